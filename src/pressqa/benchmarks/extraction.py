"""How well release pages are read: real releases wrapped in real-world page chrome, then extracted again.

Each release (title, date, text) is put in one of three page templates modelled on the places releases are
published: a corporate newsroom (cookie banner, menus, share bar, related posts, newsletter form; the date in
`article:published_time`), a wire service (ticker bar, "most read" sidebar, contact box; the date in a
`<time datetime>`), and a government press office (skip links, mega menu, breadcrumbs, a "Press Release" label
and the date only as visible text). The figures: token F1 of the extracted text against the release text, and
the share of pages whose title and date come back exactly.
"""

import html
import json
import random
import statistics
from datetime import date
from pathlib import Path

from pressqa.ingest.load import html_to_document_fields, make_document, visible_text_fields
from pressqa.metrics import f1_score


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(p.strip())}</p>\n" for p in text.splitlines() if p.strip())


def newsroom(title: str, day: date, text: str) -> str:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)} | Newsroom | Acme Corporation</title>
<meta property="article:published_time" content="{day.isoformat()}T09:00:00-05:00">
<meta property="og:site_name" content="Acme Corporation"><link rel="stylesheet" href="/main.css">
<script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}</script></head>
<body><div id="cookie-consent" class="cookie-banner"><p>We use cookies to improve your experience. By continuing
to browse you agree to our use of cookies.</p><button>Accept all</button><button>Manage preferences</button></div>
<header class="site-header"><a href="/" class="logo">Acme Corporation</a><nav><ul><li><a href="/about">About
us</a></li><li><a href="/products">Products</a></li><li><a href="/investors">Investors</a></li><li><a href="/news">
Newsroom</a></li><li><a href="/careers">Careers</a></li></ul></nav><form class="search"><input name="q"
placeholder="Search"></form></header>
<main><article class="post"><h1 class="entry-title">{html.escape(title)}</h1>
<div class="share"><a href="#">Share on LinkedIn</a> <a href="#">Share on X</a> <a href="#">Email</a></div>
<div class="entry-content">{_paragraphs(text)}</div></article>
<aside class="related"><h2>Related news</h2><ul><li><a href="/news/1">Acme Corporation reports fourth-quarter
results</a></li><li><a href="/news/2">Acme Corporation names new chief financial officer</a></li></ul></aside>
</main><footer><div class="newsletter"><h3>Subscribe to our newsletter</h3><form><input name="email">
<button>Sign up</button></form></div><p>© 2024 Acme Corporation. All rights reserved.</p><ul><li><a href="/privacy">
Privacy policy</a></li><li><a href="/terms">Terms of use</a></li><li><a href="/cookies">Cookie settings</a></li>
</ul></footer></body></html>"""


def wire(title: str, day: date, text: str) -> str:
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)} - Wire News</title>
<meta name="viewport" content="width=device-width"></head><body>
<div class="ticker">Markets: DOW +0.4% · S&amp;P 500 +0.2% · NASDAQ -0.1%</div>
<div class="topbar"><a href="/">Wire News</a> | <a href="/news">All news</a> | <a href="/login">Log in</a> |
<a href="/send">Send a release</a></div>
<div class="container"><div class="main"><div class="release-header"><h1>{html.escape(title)}</h1>
<p class="meta">News provided by <a href="/org/1">Acme Corporation</a> <time datetime="{day.isoformat()}">
{day.strftime("%b %d, %Y")}</time>, 09:00 ET</p></div>
<div class="release-body">{_paragraphs(text)}</div>
<div class="contact-box"><h3>Media contact</h3><p>Press Office, press@example.com</p></div></div>
<div class="sidebar"><h2>Most read</h2><ol><li><a href="/n/1">Company X completes merger with Company Y</a></li>
<li><a href="/n/2">Regulator approves new treatment for rare disease</a></li><li><a href="/n/3">Startup raises
$40 million in Series B round</a></li></ol><div class="ad">Advertisement</div></div></div>
<footer><p>Wire News is a distribution service. Copyright 2024 Wire News Inc.</p><a href="/terms">Terms</a>
<a href="/privacy">Privacy</a></footer></body></html>"""


def government(title: str, day: date, text: str) -> str:
    return f"""<!DOCTYPE html><html lang="en" dir="ltr"><head><meta charset="utf-8">
<title>{html.escape(title)} | Office of Public Affairs | Department of Justice</title></head><body>
<a href="#main-content" class="skip">Skip to main content</a>
<div class="banner">An official website of the United States government. Here's how you know.</div>
<header><a href="/">Department of Justice</a><nav class="megamenu"><ul><li><a href="/about">About</a><ul>
<li><a href="/ag">The Attorney General</a></li><li><a href="/dag">Deputy Attorney General</a></li></ul></li>
<li><a href="/news">News</a><ul><li><a href="/news/press">Press releases</a></li><li><a href="/news/speeches">
Speeches</a></li></ul></li><li><a href="/resources">Resources</a></li><li><a href="/careers">Careers</a></li>
</ul></nav></header>
<div class="breadcrumb"><a href="/">Home</a> » <a href="/opa">Office of Public Affairs</a> » <a href="/news">
News</a></div>
<main id="main-content"><div class="label">Press Release</div><h1 class="page-title">{html.escape(title)}</h1>
<div class="date">{day.strftime("%A, %B %-d, %Y")}</div><div class="field--body">{_paragraphs(text)}</div>
<div class="topics"><h3>Topic(s):</h3><a href="/topics/1">Health Care Fraud</a></div>
<div class="component"><h3>Component(s):</h3><a href="/civil">Civil Division</a></div>
<div class="pr-number">Press Release Number: 17-1404</div></main>
<footer><div class="sitemap"><a href="/accessibility">Accessibility</a> <a href="/foia">FOIA</a>
<a href="/privacy">Privacy Policy</a> <a href="/legal">Legal Policies &amp; Disclaimers</a></div>
<p>U.S. Department of Justice, 950 Pennsylvania Avenue NW, Washington DC 20530-0001</p></footer></body></html>"""


TEMPLATES = {"newsroom": newsroom, "wire": wire, "government": government}


def sample_releases(path: Path, count: int, seed: int = 7) -> list[dict]:
    """`count` releases of a JSONL file, drawn with a fixed seed, each with a title, an ISO date and text."""
    with path.open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    usable = [r for r in records if r.get("title") and r.get("date") and len(r.get("text", "")) > 200]
    return random.Random(seed).sample(usable, min(count, len(usable)))


def measure(releases: list[dict]) -> dict:
    """Build a page per release (templates in turn), extract it, and score text, title and date."""
    rows = []
    for i, release in enumerate(releases):
        name, template = list(TEMPLATES.items())[i % len(TEMPLATES)]
        page = template(release["title"], date.fromisoformat(release["date"]), release["text"])
        fields = html_to_document_fields(page)
        doc = make_document(fields["text"], doc_id=str(i), title=fields["title"], date=fields["date"])
        rows.append(
            {
                "id": release.get("id"),
                "template": name,
                "text_f1": round(f1_score(doc.text, release["text"]), 4),
                # The baseline: the page's whole visible text, as PressQA read pages before trafilatura.
                "baseline_f1": round(f1_score(visible_text_fields(page)["text"], release["text"]), 4),
                "title_right": " ".join(doc.title.split()) == " ".join(release["title"].split()),
                "date_right": doc.date == release["date"],
            }
        )
    return {"pages": len(rows), **_summary(rows), "by_template": _by_template(rows), "rows": rows}


def _summary(rows: list[dict]) -> dict:
    return {
        "text_f1_mean": round(statistics.mean(r["text_f1"] for r in rows), 4),
        "text_f1_min": round(min(r["text_f1"] for r in rows), 4),
        "baseline_text_f1_mean": round(statistics.mean(r["baseline_f1"] for r in rows), 4),
        "baseline_text_f1_min": round(min(r["baseline_f1"] for r in rows), 4),
        "title_right": round(sum(r["title_right"] for r in rows) / len(rows), 4),
        "date_right": round(sum(r["date_right"] for r in rows) / len(rows), 4),
    }


def _by_template(rows: list[dict]) -> dict:
    names = sorted({r["template"] for r in rows})
    return {name: _summary([r for r in rows if r["template"] == name]) for name in names}
