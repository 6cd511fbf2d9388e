"""Present an evaluation: a terminal table, a JSON file, and a Markdown report with failures and plots."""

import json
import re
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pressqa.evaluation.evaluate import KS, EvalResult, calibration_summary, iter_failures
from pressqa.reader.answer_kind import KINDS

MAX_FAILURES = 40


def print_table(result: EvalResult, console: Console | None = None) -> None:
    s = result.summary()
    table = Table(title=f"PressQA eval: {result.name} ({s['questions']} questions, threshold {s['threshold']:.3f})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows = [
        ("overall EM / F1", f"{100 * s['overall']['em']:.1f} / {100 * s['overall']['f1']:.1f}"),
        (
            f"answerable EM / F1 ({s['answerable']})",
            f"{100 * s['answerable_scores']['em']:.1f} / {100 * s['answerable_scores']['f1']:.1f}",
        ),
        (f"unanswerable abstained ({s['unanswerable']})", f"{100 * s['unanswerable_abstained']:.1f}%"),
        ("abstention precision / recall", f"{s['abstention']['precision']:.3f} / {s['abstention']['recall']:.3f}"),
        *[(f"recall@{k} (shown / retriever only)", _pair(s, f"recall@{k}")) for k in KS],
        ("MRR@10 (shown / retriever only)", _pair(s, "mrr@10")),
        ("citation accuracy (passage holds the answer)", f"{s['retrieval']['citation_accuracy']:.3f}"),
        ("right release cited", _share(s["retrieval"].get("cited_release"))),
        ("retrieval ms median / p95", _latency(s["latency_ms"]["retrieval"])),
        ("reader ms median / p95", _latency(s["latency_ms"]["reader"])),
        *_calibration_rows(s["calibration"]),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console = console or Console()
    console.print(table)
    for title, groups in _group_tables(s):
        console.print(_rich_table(title, GROUP_COLUMNS, [_group_row(name, g) for name, g in groups.items()]))
    if "kind_returned" in s:
        header, rows = _kind_matrix(s["kind_returned"])
        console.print(_rich_table("kind answered (columns) for the kind asked (rows)", header, rows))


GROUP_COLUMNS = [
    "group",
    "questions",
    "EM",
    "F1",
    "abstained",
    "cited passage right",
    "right release cited",
    "recall@5",
]


def _calibration_rows(c: dict) -> list[tuple[str, str]]:
    rows = [("expected calibration error", f"{c['ece']:.3f}")]
    for name, band in c["bands"].items():
        rows.append(
            (f"{name} band (score ≥ {band['from']:.2f}): answers, right", f"{band['answers']}, {_share(band['right'])}")
        )
    return rows


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _group_tables(summary: dict) -> list[tuple[str, dict]]:
    names = (("by_kind", "by kind asked"), ("by_difficulty", "hard and easy"))
    return [(title, summary[key]) for key, title in names if key in summary]


def _group_row(name: str, g: dict) -> list[str]:
    return [
        name,
        str(g["questions"]),
        f"{100 * g['em']:.1f}",
        f"{100 * g['f1']:.1f}",
        f"{100 * g['abstained']:.0f}%",
        f"{g['cited_right']:.3f}",
        _share(g["cited_release"]),
        _share(g["recall@5"]),
    ]


def _kind_matrix(asked: dict[str, dict[str, int]]) -> tuple[list[str], list[list[str]]]:
    returned = [k for k in (*KINDS, "abstained") if any(k in row for row in asked.values())]
    returned += sorted({k for row in asked.values() for k in row} - set(returned))
    rows = [[kind, *(str(row.get(r, 0)) for r in returned)] for kind, row in sorted(asked.items())]
    return ["asked", *returned], rows


def _rich_table(title: str, header: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title)
    for i, name in enumerate(header):
        table.add_column(name, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    return table


def _markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + " --- |" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]


def _pair(summary: dict, metric: str) -> str:
    """The ranking shown (after the reader reorders) beside the retriever's own ranking."""
    return f"{summary['retrieval'][metric]:.3f} / {summary['retriever_only'][metric]:.3f}"


def _latency(p: dict) -> str:
    return f"{p['median']:.1f} / {p['p95']:.1f}"


def write_outputs(result: EvalResult, out_dir: Path) -> tuple[Path, Path]:
    """The run's JSON and Markdown report (with PNG plots beside it); returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{_slug(result.name)}-{datetime.now():%Y%m%d-%H%M%S}"
    json_path = out_dir / f"{stem}.json"
    json_path.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    recall_png, scores_png = out_dir / f"{stem}-recall.png", out_dir / f"{stem}-scores.png"
    plot_recall(result, recall_png)
    plot_scores(result, scores_png)
    reliability_png = out_dir / f"{stem}-reliability.png"
    plot_reliability(result, reliability_png)
    md_path = out_dir / f"{stem}.md"
    md_path.write_text(markdown_report(result, recall_png.name, scores_png.name, reliability_png.name))
    return json_path, md_path


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "-", re.sub(r"\.jsonl?\b", "", name)).strip("-")


def markdown_report(result: EvalResult, recall_png: str, scores_png: str, reliability_png: str) -> str:
    s = result.summary()
    lines = [
        f"# PressQA evaluation: {result.name}",
        "",
        f"{s['questions']} questions ({s['answerable']} answerable, {s['unanswerable']} unanswerable); "
        f"no-answer threshold {s['threshold']:.3f}.",
        "",
        "| metric | value |",
        "| --- | --- |",
        f"| overall EM / F1 | {100 * s['overall']['em']:.1f} / {100 * s['overall']['f1']:.1f} |",
        f"| answerable EM / F1 | {100 * s['answerable_scores']['em']:.1f} / {100 * s['answerable_scores']['f1']:.1f} |",
        f"| unanswerable abstained | {100 * s['unanswerable_abstained']:.1f}% |",
        f"| abstention precision / recall | {s['abstention']['precision']:.3f} / {s['abstention']['recall']:.3f} |",
        *[f"| recall@{k} (shown / retriever only) | {_pair(s, f'recall@{k}')} |" for k in KS],
        f"| MRR@10 (shown / retriever only) | {_pair(s, 'mrr@10')} |",
        f"| citation accuracy (passage holds the answer) | {s['retrieval']['citation_accuracy']:.3f} |",
        f"| right release cited | {_share(s['retrieval'].get('cited_release'))} |",
        f"| retrieval ms median / p95 | {_latency(s['latency_ms']['retrieval'])} |",
        f"| reader ms median / p95 | {_latency(s['latency_ms']['reader'])} |",
        *(f"| {name} | {value} |" for name, value in _calibration_rows(s["calibration"])),
        "",
        f"An answer is right when {s['calibration']['right_means']}.",
        "",
        f"![recall@k]({recall_png})  ![score distribution]({scores_png})  ![reliability]({reliability_png})",
        "",
    ]
    for title, groups in _group_tables(s):
        lines += [f"## {title.capitalize()}", ""]
        lines += _markdown_table(GROUP_COLUMNS, [_group_row(name, g) for name, g in groups.items()])
    if "kind_returned" in s:
        lines += ["## Kind answered for the kind asked", ""]
        lines += _markdown_table(*_kind_matrix(s["kind_returned"]))
    lines += [
        "## Failures",
        "",
        "| id | question | expected | got | F1 | score | cited passage |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    failures = list(iter_failures(result.records, result.threshold))
    for record, f1 in failures[:MAX_FAILURES]:
        answered = record.candidate is not None and record.score >= result.threshold
        got = record.candidate if answered else f"(abstained; best: {record.candidate})"
        expected = " / ".join(record.answers) or "(no answer)"
        passage = _cell(record.cited_passage or "", 200)
        lines.append(
            f"| {record.id} | {_cell(record.question)} | {_cell(expected)} | {_cell(got or '')} | "
            f"{f1:.2f} | {record.score:.3f} | {record.cited_doc or ''}: {passage} |"
        )
    if len(failures) > MAX_FAILURES:
        lines.append(f"\n…and {len(failures) - MAX_FAILURES} more in the JSON file.")
    return "\n".join(lines) + "\n"


def _cell(text: str, limit: int = 120) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def save_figure(plt, fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_recall(result: EvalResult, path: Path) -> None:
    plt = pyplot()
    answerable = [r for r in result.records if r.answerable]
    ks = list(range(1, max(KS) + 1))
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for ranks, label in (
        ([r.hit_rank for r in answerable], "shown (reader first)"),
        ([r.retriever_hit_rank for r in answerable], "retriever only"),
    ):
        values = [sum(1 for r in ranks if r is not None and r <= k) / max(len(ranks), 1) for k in ks]
        ax.plot(ks, values, marker="o", label=label)
    ax.legend(loc="lower right")
    ax.set(xlabel="k (passages)", ylabel="recall@k", ylim=(0, 1.02), title=f"Retrieval recall@k: {result.name}")
    ax.grid(alpha=0.3)
    save_figure(plt, fig, path)


def plot_scores(result: EvalResult, path: Path) -> None:
    """Score distribution of right answers, wrong answers and unanswerable questions, threshold marked."""
    plt = pyplot()
    right = [r.score for r in result.records if r.answerable and r.candidate_f1 >= 0.5]
    wrong = [r.score for r in result.records if r.answerable and r.candidate_f1 < 0.5]
    unanswerable = [r.score for r in result.records if not r.answerable]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    bins = [i / 20 for i in range(21)]
    for values, label in ((right, "right (F1 ≥ 0.5)"), (wrong, "wrong"), (unanswerable, "unanswerable")):
        if values:
            ax.hist(values, bins=bins, alpha=0.5, label=f"{label} ({len(values)})")
    ax.axvline(result.threshold, color="black", linestyle="--", label=f"threshold {result.threshold:.2f}")
    ax.set(xlabel="answer score", ylabel="questions", title=f"Best-candidate scores: {result.name}")
    ax.legend(fontsize=8)
    save_figure(plt, fig, path)


def plot_reliability(result: EvalResult, path: Path) -> None:
    """The share of right answers against the score said, per score bin, with the diagonal of perfect calibration."""
    plt = pyplot()
    c = calibration_summary(result)
    rows = c["reliability"]
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfectly calibrated")
    if rows:
        ax.bar(
            [(r["low"] + r["high"]) / 2 for r in rows],
            [r["right"] for r in rows],
            width=[r["high"] - r["low"] for r in rows],
            alpha=0.5,
            edgecolor="black",
            label="share right",
        )
        ax.plot([r["said"] for r in rows], [r["right"] for r in rows], marker="o", color="C1", label="mean score")
        for r in rows:
            ax.annotate(str(r["count"]), ((r["low"] + r["high"]) / 2, r["right"]), ha="center", va="bottom", fontsize=7)
    ax.set(xlabel="answer score", ylabel="share right", xlim=(0, 1), ylim=(0, 1.05))
    ax.set_title(f"Reliability: {result.name} (ECE {c['ece']:.3f})", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    save_figure(plt, fig, path)
