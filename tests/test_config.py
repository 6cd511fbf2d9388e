import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from pressqa.cli import app
from pressqa.config import Settings


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"high_confidence": 0.6, "medium_confidence": 0.7}, "PRESSQA_HIGH_CONFIDENCE (0.6) must be at least"),
        ({"top_k": 60}, "PRESSQA_MAX_TOP_K (50) must be at least PRESSQA_TOP_K (60)"),
        ({"auto_list_answers": 30}, "PRESSQA_MAX_ANSWERS (20) must be at least PRESSQA_AUTO_LIST_ANSWERS (30)"),
        ({"model_path": "/no/such/model", "model_name": "x"}, "PRESSQA_MODEL_PATH (/no/such/model) is not a folder"),
        ({"model_path": "."}, "PRESSQA_MODEL_PATH is set: set PRESSQA_MODEL_NAME to that model's name too"),
        ({"reader": "transformers"}, "PRESSQA_READER=transformers reads the model folder in PRESSQA_READER_PATH"),
        ({"reader_path": "."}, "PRESSQA_READER_PATH is read only with PRESSQA_READER=transformers, not learned"),
        ({"reader": "/a/model/folder"}, "Input should be 'learned', 'heuristic' or 'transformers'"),
    ],
)
def test_settings_that_contradict_each_other_are_refused_with_their_names(overrides, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings(**overrides)


def test_a_model_folder_named_from_the_environment_is_accepted(env_settings, tmp_path):
    env_settings(model_path=tmp_path, model_name="my-model", reader="transformers", reader_path=tmp_path)
    settings = Settings()
    assert settings.resolved_model_path() == str(tmp_path) and settings.reader_path == tmp_path


def test_every_command_stops_with_a_message_on_settings_it_cannot_use(env_settings, tmp_path):
    env_settings(top_k=60, index_dir=tmp_path / "index")
    result = CliRunner().invoke(app, ["info"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "invalid settings" in result.output and "PRESSQA_TOP_K (60)" in result.output


def test_the_settings_page_is_the_one_the_fields_make():
    from pathlib import Path

    from pressqa.config import settings_markdown

    page = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
    assert page.read_text(encoding="utf-8") == settings_markdown(), "run: pressqa settings > docs/settings.md"
    assert all(field.description for field in Settings.model_fields.values())  # every row says what it does
    assert "| `PRESSQA_WRITE_NICE` | `10` |" in settings_markdown()
