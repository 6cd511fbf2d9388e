import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from pressqa.cli import app
from pressqa.config import Settings, get_settings


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"high_confidence": 0.6, "medium_confidence": 0.7}, "PRESSQA_HIGH_CONFIDENCE (0.6) must be at least"),
        ({"top_k": 60}, "PRESSQA_MAX_TOP_K (50) must be at least PRESSQA_TOP_K (60)"),
        ({"auto_list_answers": 30}, "PRESSQA_MAX_ANSWERS (20) must be at least PRESSQA_AUTO_LIST_ANSWERS (30)"),
    ],
)
def test_settings_that_contradict_each_other_are_refused_with_their_names(overrides, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings(**overrides)


def test_every_command_stops_with_a_message_on_settings_it_cannot_use(monkeypatch, tmp_path):
    monkeypatch.setenv("PRESSQA_TOP_K", "60")
    monkeypatch.setenv("PRESSQA_INDEX_DIR", str(tmp_path / "index"))
    result = CliRunner().invoke(app, ["info"])
    get_settings.cache_clear()
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "invalid settings" in result.output and "PRESSQA_TOP_K (60)" in result.output


def test_the_settings_page_is_the_one_the_fields_make():
    from pathlib import Path

    from pressqa.config import settings_markdown

    page = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
    assert page.read_text(encoding="utf-8") == settings_markdown(), "run: pressqa settings > docs/settings.md"
    assert all(field.description for field in Settings.model_fields.values())  # every row says what it does
    assert "| `PRESSQA_WRITE_NICE` | `10` |" in settings_markdown()
