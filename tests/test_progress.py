import io

from pressqa.progress import LineProgress, track


def test_line_progress_prints_periodic_lines_and_the_last_one():
    out = io.StringIO()
    lines = LineProgress("embedded texts", 5, every=0.0, stream=out)
    for _ in range(5):
        lines.update()
    printed = out.getvalue().splitlines()
    assert printed[0].startswith("embedded texts: 1/5 (") and printed[-1].startswith("embedded texts: 5/5 (")


def test_line_progress_stays_quiet_between_intervals():
    out = io.StringIO()
    lines = LineProgress("questions", 100, every=3600, stream=out)
    for _ in range(99):
        lines.update()
    assert out.getvalue() == ""
    lines.update()
    assert out.getvalue().startswith("questions: 100/100")


def test_track_off_a_terminal_yields_everything_and_reports(capsys):
    assert list(track(range(3), "questions")) == [0, 1, 2]
    assert "questions: 3/3" in capsys.readouterr().err  # pytest's stderr is not a terminal
    assert list(track(range(3), "questions", show=False)) == [0, 1, 2]
    assert capsys.readouterr().err == ""


def test_counting_a_long_paragraph_prints_no_tokenizer_warning(models, capfd):
    assert models.embedder.count_tokens("word " * 600) == 600
    captured = capfd.readouterr()
    assert "longer than the specified maximum sequence length" not in captured.err + captured.out
