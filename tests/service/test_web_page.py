"""The chat page in a real browser: Debian's chromium driven by Playwright, against a real uvicorn server."""

import csv
import io
import json
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from pressqa.ingest.pipeline import ingest
from pressqa.retrieval.index import Index
from pressqa.service.api import create_app
from pressqa.service.qa import PressQA
from tests.conftest import CORPUS, NEWS, ROOT, make_settings
from tests.service.test_watches import APPOINTMENT, CFO

expect = pytest.importorskip("playwright.sync_api").expect
SCREENSHOTS = ROOT / "test-results" / "screenshots"
XSS_RELEASE = (
    "Zyxor Corp. posts results <script>window.__pwned = 1</script>\n"
    'Zyxor Corp. reported revenue of $5 million on May 5, 2022. <img src=x onerror="window.__pwned = 2"> '
    'Read <a href="javascript:window.__pwned = 3">the filing</a> for details.\n'
)
WIRE_TITLE = "Moderna and China's CARsgen join forces on cancer therapy | Wire News"


def wire_repost() -> str:
    """The Moderna release re-posted by a wire service: its own headline and boilerplate, the same body."""
    text = (CORPUS / "001_dddbf5ee798e36f0.txt").read_text()
    text = f"FOR IMMEDIATE RELEASE\n\n{text}\n\nAbout Wire News\nWire News distributes press releases worldwide."
    row = {"id": "wire-moderna", "title": WIRE_TITLE, "url": "https://wire.example/moderna-carsgen", "text": text}
    return json.dumps(row) + "\n"


CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = shutil.which("chromium")
    if not executable:
        pytest.skip("Chromium not installed (apt-get install -y chromium): browser tests skipped")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_FLAGS}


@contextmanager
def served(folder: Path, models: PressQA, files: dict[str, str], **overrides) -> Iterator[str]:
    """uvicorn serving the real app over a real index of the sample corpus plus `files`; yields its URL."""
    shutil.copytree(CORPUS, folder / "corpus")
    for name, text in files.items():
        (folder / "corpus" / name).write_text(text)
    settings = make_settings(folder, **overrides)
    ingest([settings.corpus_dir], settings, models.embedder, models.analyzer)
    engine = PressQA(settings)
    engine.embedder = models.embedder
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(settings, engine), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="session")
def page_server(tmp_path_factory, models):
    """The sample corpus, a release full of markup and a re-post."""
    files = {"zyxor.txt": XSS_RELEASE, "wire.jsonl": wire_repost()}
    with served(tmp_path_factory.mktemp("page_server"), models, files) as url:
        yield url


NEWS_KEY = "news-key-0123456789"


@pytest.fixture(scope="module")
def news_folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("news_server")


@pytest.fixture(scope="module")
def news_server(news_folder, models):
    """The sample corpus and the made-up RMAT releases (`NEWS`), writes keyed with `NEWS_KEY`."""
    news = "".join(json.dumps(row) + "\n" for row in NEWS)
    with served(news_folder, models, {"news.jsonl": news}, api_key=NEWS_KEY) as url:
        yield url


def saved_feedback(folder: Path) -> list:
    index = Index.load(folder / "index")
    try:
        return index.feedback.all()
    finally:
        index.close()


@pytest.fixture(scope="session")
def base_url(page_server):
    return page_server


def ask(page, question: str) -> None:
    page.goto("/")
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")


def test_golden_answer_is_highlighted_in_its_passage(page):
    ask(page, "When did CT041 receive RMAT?")
    answer = page.locator(".turn-answer").last
    expect(answer.locator(".answer-text")).to_have_text("January 2022")
    cited = answer.locator(".passage.cited")
    expect(cited.locator(".cite")).to_contain_text("Moderna and China")
    expect(cited.locator("mark")).to_have_text("January 2022")
    expect(answer.locator(".confidence")).to_contain_text("confidence")
    expect(page.get_by_label("Your question")).to_have_value("")


def test_citation_opens_the_release_scrolled_to_the_span(page):
    ask(page, "When did CT041 receive RMAT?")
    page.locator(".passage.cited .cite").first.click()
    dialog = page.locator("#doc-view")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#doc-title")).to_contain_text("Moderna and China")
    mark = dialog.locator("#doc-text mark")
    expect(mark).to_have_text("January 2022")
    expect(mark).to_be_in_viewport()
    full_text = dialog.locator("#doc-text").inner_text()
    assert "PackGene is a CRO & CDMO technology company" in full_text  # the whole release, not the passage
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_a_reposted_release_is_shown_once_with_its_other_publisher(page):
    ask(page, "When did CT041 receive RMAT?")
    answer = page.locator(".turn-answer").last
    expect(answer.locator(".answer-text")).to_have_text("January 2022")
    titles = answer.locator(".passage .cite").all_inner_texts()
    assert sum(t == WIRE_TITLE or t.startswith("Moderna and China’s CARsgen") for t in set(titles)) == 1
    family = answer.locator(".passage.cited .family")
    expect(family).to_contain_text("Also published by")
    member = family.locator(".family-member")
    expect(member).to_have_count(1)
    shown_wire = answer.locator(".passage.cited .cite").inner_text() == WIRE_TITLE
    expect(member).to_have_text("001_dddbf5ee798e36f0.txt" if shown_wire else "wire.example")
    member.click()  # the other copy opens in the release view, which names the first as its family
    dialog = page.locator("#doc-view")
    expect(dialog.locator("#doc-title")).to_have_text(re.compile("Moderna and China"))
    expect(dialog.locator("#doc-family .family-member")).to_have_count(1)
    expect(dialog.locator("#doc-text")).to_contain_text("January 2022")


def test_a_follow_up_question_leans_on_the_previous_one_until_a_new_topic(page):
    ask(page, "When did CT041 receive RMAT?")
    expect(page.locator(".turn-answer").last.locator(".answer-text")).to_have_text("January 2022")
    box = page.get_by_label("Your question")
    box.fill("and orphan drug designation?")
    box.press("Enter")
    answer = page.locator(".turn-answer").nth(1)
    expect(answer.locator(".understood")).to_have_text("Understood as: When did CT041 receive orphan drug designation?")
    expect(answer.locator(".answer-text")).to_have_text("October 2020")
    expect(answer.locator(".passage.cited mark")).to_have_text("October 2020")
    page.get_by_role("button", name="New topic").click()
    expect(page.locator(".turn-answer")).to_have_count(0)
    box.fill("and orphan drug designation?")
    box.press("Enter")
    expect(page.locator(".turn-answer")).to_have_count(1)
    expect(page.locator(".understood")).to_have_count(0)  # read on its own: nothing to lean on


def test_a_follow_up_about_that_trial_is_answered_from_the_previous_release(page, news_server):
    page.goto(news_server + "/")
    box = page.get_by_label("Your question")
    box.fill("Who is the chief executive of Alveo Therapeutics?")
    box.press("Enter")
    expect(page.locator(".turn-answer").last.locator(".answer-text")).to_contain_text("Maria Okafor")
    box.fill("How many patients were in that trial?")
    box.press("Enter")
    answer = page.locator(".turn-answer").nth(1)
    understood = "Understood as: How many patients were in Alveo Therapeutics’ trial?"
    expect(answer.locator(".understood")).to_have_text(understood)
    expect(answer.locator(".answer-text")).to_have_text("24")
    expect(answer.locator(".anchored")).to_be_visible()


def test_a_name_in_an_answer_opens_its_timeline_in_date_order(page):
    ask(page, "When did CT041 receive RMAT?")
    page.locator(".turn-answer").last.get_by_role("button", name="Timeline of CT041").click()
    timeline = page.get_by_role("article", name="Timeline of CT041")
    expect(timeline.locator(".list-head")).to_have_text("Timeline of CT041: 2 releases, newest first")
    assert timeline.locator(".timeline-date").all_inner_texts() == ["2021-07-31", "undated"]
    expect(timeline.locator(".timeline-item").last).to_contain_text("no date")
    with page.expect_download() as download:
        timeline.get_by_role("link", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [r["date"] for r in rows] == ["2021-07-31", ""] and all("CT041" in r["answer"] for r in rows)
    timeline.locator(".timeline-item .cite").first.click()
    dialog = page.locator("#doc-view")
    expect(dialog.locator("#doc-title")).to_contain_text("CARsgen Therapeutics Group")
    expect(dialog.locator("#doc-text mark")).to_contain_text("CT041")


def test_a_list_question_gets_a_list_whose_items_open_their_releases(page, news_server):
    page.goto(news_server + "/")
    box = page.get_by_label("Your question")
    box.fill("Which gene and cell therapies received RMAT designation?")
    box.press("Enter")
    answer = page.locator(".turn-answer").last
    expect(answer.locator(".list-head")).to_contain_text("answers, each from its own release")
    items = answer.locator(".answer-list .answer-item")
    expect(items.first).to_be_visible()
    texts = items.locator(".answer-text").all_inner_texts()
    assert {"BL-7", "AV-101"} <= set(texts) and len(texts) == len(set(texts))
    expect(items.filter(has_text="BL-7").locator(".meta")).to_contain_text("2022-06-10")
    items.filter(has_text="AV-101").locator(".answer-text").click()
    dialog = page.locator("#doc-view")
    expect(dialog.locator("#doc-title")).to_contain_text("Alveo")
    expect(dialog.locator("#doc-text mark")).to_have_text("AV-101")
    page.keyboard.press("Escape")
    expect(answer.locator(".passage.cited")).to_have_count(len(texts))  # every item's passage is cited
    with page.expect_download() as download:
        answer.get_by_role("button", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [r["answer"] for r in rows] == texts and all(r["doc_id"] and r["date"] for r in rows)


def test_feedback_needs_the_key_then_saves_a_verdict_and_a_selected_correction(page, news_server, news_folder):
    page.goto(news_server + "/")
    box = page.get_by_label("Your question")
    box.fill("When did Brightline Bio raise $40 million?")
    box.press("Enter")
    answer = page.locator(".turn-answer").last
    expect(answer.locator(".answer-text")).to_have_text("January 2022")
    answer.get_by_role("button", name="Right answer: January 2022").click()
    expect(answer.locator(".feedback-status")).to_contain_text("API key")  # keyed like every write
    assert saved_feedback(news_folder) == []
    page.locator("summary", has_text="Options").click()
    page.get_by_label("API key (for feedback and alerts)").fill(NEWS_KEY)
    answer.get_by_role("button", name="Right answer: January 2022").click()
    expect(answer.locator(".feedback-status")).to_have_text("Thanks: saved as right.")
    answer.get_by_role("button", name="Wrong answer: January 2022").click()  # changed their mind: one verdict
    expect(answer.locator(".feedback-status")).to_have_text("Thanks: saved as wrong.")
    # Select "$40 million" in the cited passage and send it as the right answer.
    answer.locator(".passage.cited .passage-text").evaluate(
        """(holder) => {
            const walker = document.createTreeWalker(holder, NodeFilter.SHOW_TEXT);
            let node;
            while ((node = walker.nextNode()) && !node.data.includes("$40 million")) {}
            const range = document.createRange();
            range.setStart(node, node.data.indexOf("$40 million"));
            range.setEnd(node, node.data.indexOf("$40 million") + "$40 million".length);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
        }"""
    )
    answer.get_by_role("button", name="Use my selection as the right answer").click()
    expect(answer.locator(".feedback-status")).to_have_text("Thanks: your correction is saved.")
    (row,) = saved_feedback(news_folder)
    assert (row.question, row.answer, row.verdict, row.correct) == (
        "When did Brightline Bio raise $40 million?", "January 2022", "wrong", "$40 million"
    )  # fmt: skip


def test_a_watched_question_alerts_when_a_release_added_later_answers_it(page, news_server):
    page.goto(news_server + "/")
    expect(page.locator("#alerts-badge")).to_be_hidden()
    page.locator("summary", has_text="Options").click()
    page.get_by_label("API key (for feedback and alerts)").fill(NEWS_KEY)
    box = page.get_by_label("Your question")
    box.fill(CFO)
    box.press("Enter")
    answer = page.locator(".turn-answer").last
    expect(answer.locator(".abstain")).to_be_visible()  # no release says yet
    answer.get_by_role("button", name="Watch this question").click()
    expect(answer.locator(".watch-status")).to_contain_text("Alerts")
    added = httpx.post(news_server + "/documents", json=APPOINTMENT, headers={"Authorization": f"Bearer {NEWS_KEY}"})
    assert added.json()["watch_hits"] == 1
    expect(page.locator("#alerts-badge")).to_have_text("1", timeout=20_000)  # the page polls for new hits
    page.get_by_role("button", name="Alerts: 1 new").click()
    item = page.locator(".alert-item").first
    expect(item.locator(".alert-question")).to_have_text(CFO)
    expect(item.locator("mark")).to_have_text("Dana Whitfield")
    expect(page.locator("#alerts-badge")).to_be_hidden()  # seen
    item.get_by_role("button", name="Dana Whitfield: open the release").click()
    expect(page.locator("#doc-title")).to_have_text(APPOINTMENT["title"])
    expect(page.locator("#doc-text mark")).to_have_text("Dana Whitfield")


def test_keyboard_alone_asks_and_opens_a_citation(page):
    page.goto("/")
    page.keyboard.type("Where is GenScript headquartered?")
    page.keyboard.press("Enter")
    expect(page.locator(".answer-text").last).to_contain_text("Nanjing")
    page.locator(".passage.cited .cite").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#doc-text mark")).to_contain_text("Nanjing")


def test_unanswerable_question_says_so_and_shows_passages(page):
    ask(page, "Who is the CEO of Pfizer?")
    answer = page.locator(".turn-answer").last
    expect(answer.locator(".abstain")).to_have_text("The releases don't answer this.")
    expect(answer.locator(".passage").first).to_be_visible()
    expect(answer.locator("mark")).to_have_count(0)


def test_unreachable_api_shows_an_error_and_keeps_the_question(page):
    page.route("**/ask", lambda route: route.abort())
    ask(page, "When did CT041 receive RMAT?")
    expect(page.get_by_role("alert")).to_contain_text("could not be reached")
    expect(page.get_by_label("Your question")).to_have_value("When did CT041 receive RMAT?")
    expect(page.get_by_label("Your question")).to_be_enabled()


def test_server_error_message_is_shown(page):
    page.route(
        "**/ask",
        lambda route: route.fulfill(
            status=503,
            content_type="application/json",
            body='{"detail": "No index at index/. Build it with: pressqa ingest"}',
        ),
    )
    ask(page, "Anything?")
    expect(page.get_by_role("alert")).to_contain_text("pressqa ingest")


def test_a_busy_server_is_retried_once_after_its_retry_after(page):
    calls = []

    def busy_then_pass(route):
        calls.append(1)
        if len(calls) == 1:
            body = '{"detail": "PressQA is busy answering other questions: retry in 1 s."}'
            route.fulfill(status=503, content_type="application/json", headers={"Retry-After": "1"}, body=body)
        else:
            route.continue_()

    page.route("**/ask", busy_then_pass)
    ask(page, "When did CT041 receive RMAT?")
    expect(page.locator("#status")).to_contain_text("busy: retrying in 1 s")
    expect(page.locator(".turn-answer").last.locator(".answer-text")).to_have_text("January 2022")
    assert len(calls) == 2


def test_markup_in_releases_and_questions_shows_as_text_and_never_runs(page):
    ask(page, 'How much revenue did Zyxor report? <img src=x onerror="window.__pwned=9">')
    answer = page.locator(".turn-answer").last
    expect(answer.locator(".answer-text")).to_have_text("$5 million")
    expect(page.locator(".turn-question").last).to_contain_text("<img src=x")
    passage = answer.locator(".passage.cited .passage-text")
    expect(passage).to_contain_text('<img src=x onerror="window.__pwned = 2">')
    expect(passage).to_contain_text('<a href="javascript:window.__pwned = 3">')
    answer.locator(".passage.cited .cite").click()
    expect(page.locator("#doc-text")).to_contain_text("<script>window.__pwned = 1</script>")
    assert page.locator("#doc-text img, #doc-text script, #doc-text a, .passages img, .passages a").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_content_security_policy_forbids_inline_scripts(page):
    response = page.goto("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


@pytest.mark.parametrize(("name", "width", "height"), [("phone-375", 375, 812), ("desktop", 1280, 900)])
def test_screenshots_phone_and_desktop(page, name, width, height):
    page.set_viewport_size({"width": width, "height": height})
    ask(page, "When did CT041 receive RMAT?")
    expect(page.locator(".answer-text").last).to_have_text("January 2022")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing spills sideways
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"chat-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    assert re.search(r"January 2022", page.locator(".passage.cited").first.inner_text())
