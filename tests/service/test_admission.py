import asyncio
import threading
import time

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from pressqa.service.admission import QUEUE_CAP, Admission, DeadlineExceeded, Overloaded
from pressqa.service.api import create_app
from pressqa.service.qa import PressQA


def test_a_full_house_refuses_after_the_wait_and_frees_slots_when_done():
    async def scenario():
        admission = Admission(limit=1, wait_s=0.05)
        async with admission.admitted():
            started = time.monotonic()
            with pytest.raises(Overloaded) as refused:
                async with admission.admitted():
                    pass
            assert time.monotonic() - started < 0.5 and refused.value.retry_after_s == 1
        async with admission.admitted():  # the slot was given back
            pass

    asyncio.run(scenario())


def test_a_full_queue_refuses_at_once_and_the_queued_question_gets_the_slot():
    async def scenario():
        admission = Admission(limit=1, wait_s=5, queue=1, service_s=2.0)
        async with admission.admitted():
            queued = asyncio.create_task(admission.admitted().__aenter__())
            await asyncio.sleep(0.01)
            assert admission.waiting == 1
            started = time.monotonic()
            # Two pieces of work ahead of it at 2 s each: it is told to come back after 4 s.
            with pytest.raises(Overloaded, match="busy answering other questions: retry in 4 s"):
                async with admission.admitted():
                    pass
            assert time.monotonic() - started < 0.1  # refused without waiting: the queue was full
        await asyncio.wait_for(queued, 1)  # the slot given back went to the question queued
        assert admission.waiting == 0

    asyncio.run(scenario())


def test_questions_queue_while_the_deadline_leaves_time_to_answer_them_and_the_rest_are_refused_at_once():
    async def scenario():
        admission = Admission(limit=1, wait_s=0, service_s=0.1)  # no fixed wait: the deadline decides
        deadline = time.monotonic() + 1.05  # about 1 s: nine questions of 0.1 s can wait and still be answered
        served: list[int] = []

        async def ask(n: int) -> str:
            try:
                async with admission.admitted(deadline):
                    await asyncio.sleep(0.05)
                    served.append(n)
                    return "answered"
            except Overloaded as refused:
                assert refused.retry_after_s == 1 and time.monotonic() < deadline - 0.5  # at once
                return "refused"

        outcomes = await asyncio.gather(*(ask(n) for n in range(15)))
        assert outcomes.count("answered") == 10 and outcomes[10:] == ["refused"] * 5
        assert served == list(range(10))  # first come, first served
        assert 0.04 < admission.service.value < 0.1  # the moving average followed the work's real time

    asyncio.run(scenario())


def test_behind_a_standing_queue_a_question_queues_only_behind_about_one_per_slot():
    async def scenario():
        admission = Admission(limit=1, wait_s=0, service_s=0.1, burst_s=0.05)
        async with admission.admitted():
            await asyncio.sleep(0.1)  # every slot busy for longer than a burst: the queue is standing
            assert admission.standing()
            deadline = time.monotonic() + 5.0  # time enough for 40 questions, were it a burst
            slot = admission.admitted(deadline)
            queued = asyncio.create_task(slot.__aenter__())
            await asyncio.sleep(0.01)
            assert admission.waiting == 1
            with pytest.raises(Overloaded) as refused:
                async with admission.admitted(deadline):
                    pass
            assert refused.value.retry_after_s == 1
        await asyncio.wait_for(queued, 1)
        assert admission.in_flight == 1 and admission.standing()  # the slot went straight to the next in line
        await slot.__aexit__(None, None, None)
        assert admission.in_flight == 0 and not admission.standing()  # a slot came free: the queue drained

    asyncio.run(scenario())


def test_slots_default_to_the_cores_a_question_does_not_share(corpus_engine, monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    settings = corpus_engine.settings.model_copy(update={"threads": 2, "max_questions_in_flight": None})
    admission = Admission.from_settings(settings)
    assert (admission.limit, admission.queue) == (4, QUEUE_CAP)  # the deadline, not a count, bounds the queue
    writes = Admission.for_writes(settings.model_copy(update={"max_writes_waiting": 3}))
    assert (writes.limit, writes.queue) == (1, 3) and "saving other releases" in writes.work


def test_a_question_past_its_deadline_stops_before_the_next_stage(corpus_engine):
    with pytest.raises(DeadlineExceeded, match="before retrieval"):
        corpus_engine.ask("When did CT041 receive RMAT?", deadline=time.monotonic() - 1)


@pytest.fixture()
def busy_client(corpus_engine, monkeypatch):
    """One question in flight at a time, none queued; questions take 2 s more than they do (far from "at once" even
    on a loaded 2-core machine)."""
    settings = corpus_engine.settings.model_copy(update={"max_questions_in_flight": 1, "max_questions_waiting": 0})
    engine = PressQA(settings)
    engine.embedder = corpus_engine.embedder
    retrieve = engine.pipeline.retrieve

    def slow_retrieve(*args, **kwargs):
        time.sleep(2.0)
        return retrieve(*args, **kwargs)

    monkeypatch.setattr(engine.pipeline, "retrieve", slow_retrieve)
    with TestClient(create_app(settings, engine)) as client:
        yield client
    engine.close()


def test_overload_gets_503_with_retry_after_at_once_and_health_stays_fast(busy_client):
    results: list = []

    def ask():
        started = time.monotonic()
        response = busy_client.post("/ask", json={"question": "When did CT041 receive RMAT?"})
        results.append((response, time.monotonic() - started))

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    assert busy_client.get("/health").status_code == 200
    assert time.monotonic() - started < 1.0  # not queued behind the question in flight
    for thread in threads:
        thread.join()
    codes = sorted(r.status_code for r, _ in results)
    assert codes == [200, 503, 503]
    for response, seconds in results:
        if response.status_code == 503:
            assert response.headers["retry-after"] == "1" and "busy" in response.json()["detail"]
            assert seconds < 1.0  # refused at once, not after the question in flight


def test_a_request_deadline_gives_504(busy_client):
    response = busy_client.post("/ask", json={"question": "When did CT041 receive RMAT?", "timeout_ms": 200})
    assert response.status_code == 504 and "deadline" in response.json()["detail"]
    assert busy_client.post("/ask", json={"question": "ok?", "timeout_ms": 10}).status_code == 422


def test_writes_past_the_queue_are_refused_up_front_and_those_acknowledged_are_saved(corpus_engine, tmp_path):
    import shutil

    shutil.copytree(corpus_engine.settings.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns(".lock"))
    update = {"index_dir": tmp_path / "index", "api_key": SecretStr("k"), "max_writes_waiting": 0}
    settings = corpus_engine.settings.model_copy(update=update)
    engine = PressQA(settings)
    engine.embedder = corpus_engine.embedder
    add = engine.add_document

    def slow_add(doc, *args):
        time.sleep(0.5)
        return add(doc, *args)

    engine.add_document = slow_add
    results: list = []
    with TestClient(create_app(settings, engine)) as client:

        def write(n: int) -> None:
            body = {"doc_id": f"w{n}", "text": f"Acme Bio {n} announces a Phase 2 trial of AB-{n}."}
            results.append(client.post("/documents", json=body, headers={"Authorization": "Bearer k"}))

        threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
            time.sleep(0.1)
        for thread in threads:
            thread.join()
        saved = {d["doc_id"] for d in client.get("/documents").json()}
    engine.close()
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 503], [r.text for r in results]
    refused = next(r for r in results if r.status_code == 503)
    assert "saving other releases" in refused.json()["detail"] and int(refused.headers["retry-after"]) >= 1
    accepted = next(r for r in results if r.status_code == 201).json()["doc_id"]
    assert accepted in saved and ({"w0", "w1"} - {accepted}).isdisjoint(saved)


def test_timelines_have_a_budget_of_their_own_and_never_take_a_question_slot(corpus_engine, monkeypatch):
    update = {"max_reads_in_flight": 1, "max_reads_waiting": 0, "max_questions_in_flight": 1}
    settings = corpus_engine.settings.model_copy(update=update)
    engine = PressQA(settings)
    engine.embedder = corpus_engine.embedder
    import pressqa.service.answering as answering

    timeline = answering.timeline

    def slow_timeline(*args, **kwargs):
        time.sleep(1.0)
        return timeline(*args, **kwargs)

    monkeypatch.setattr(answering, "timeline", slow_timeline)
    results: list = []
    with TestClient(create_app(settings, engine)) as client:
        threads = [
            threading.Thread(target=lambda: results.append(client.get("/timeline", params={"q": "CARsgen"})))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        asked = client.post("/ask", json={"question": "Who is the chairman of CARsgen?"})
        for thread in threads:
            thread.join()
    engine.close()
    assert asked.status_code == 200  # the slow timeline held no question slot
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 503]
    refused = next(r for r in results if r.status_code == 503)
    assert "listing releases" in refused.json()["detail"] and int(refused.headers["retry-after"]) >= 1
