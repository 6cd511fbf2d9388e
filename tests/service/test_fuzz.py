"""Property-based fuzz of every API operation from its OpenAPI schema: no input may cause a 5xx."""

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from pressqa.ingest.pipeline import ingest
from pressqa.service.api import create_app
from pressqa.service.qa import PressQA
from tests.conftest import CORPUS, make_settings

KEY = "fuzz-key"


@pytest.fixture(scope="module")
def fuzz_schema(tmp_path_factory, models):
    tmp = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(CORPUS, tmp / "corpus")
    app_settings = make_settings(tmp, api_key=KEY, max_document_bytes=64 * 1024)
    ingest([app_settings.corpus_dir], app_settings, models.embedder, models.analyzer)
    engine = PressQA(app_settings)
    engine.embedder, engine.analyzer = models.embedder, models.analyzer
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(app_settings, engine))
    engine.close()


OPERATIONS = [
    ("POST", "/ask"),
    ("GET", "/documents"),
    ("POST", "/documents"),
    ("GET", "/documents/{doc_id}"),
    ("DELETE", "/documents/{doc_id}"),
    ("GET", "/health"),
    ("GET", "/timeline"),
    ("POST", "/feedback"),
    ("POST", "/watches"),
    ("GET", "/watches"),
    ("DELETE", "/watches/{watch_id}"),
    ("GET", "/watches/{watch_id}/hits"),
]


def test_every_operation_is_fuzzed(fuzz_schema):
    found = {(r.ok().method.upper(), r.ok().path) for r in fuzz_schema.get_all_operations()}
    assert found == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_input_gives_a_server_error(fuzz_schema, method, path):
    operation = fuzz_schema[path][method]

    # Schema-valid and schema-violating inputs; each sent with the right key and a wrong one.
    @given(
        case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
        | operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    )
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def check(case):
        for key in (KEY, "wrong"):
            response = case.call(headers={"Authorization": f"Bearer {key}"})
            assert response.status_code < 500, f"{method} {path}: {response.text[:300]}"
            if response.status_code >= 400:
                assert isinstance(response.json().get("detail"), str)  # a readable reason, not a traceback
            if method == "GET" or path == "/ask":
                break  # reads ignore the key

    check()
