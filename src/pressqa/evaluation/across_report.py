"""Present an across-releases evaluation (lists, timelines, follow-ups): a terminal table, JSON and Markdown."""

import json
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pressqa.evaluation.across import AcrossResult, given_items
from pressqa.evaluation.report import _markdown_table, _slug

# What each figure should reach, and why (also in the README).
TARGETS = {
    "list precision": (0.8, "each item is an answer: a wrong one costs a user what a wrong answer does"),
    "list recall": (0.6, "a list reads a few dozen passages; the timeline shows the rest"),
    "timeline recall": (0.95, "a timeline is a lookup: it should miss next to nothing"),
    "timeline precision": (0.95, "releases that do not name the entity are noise"),
    "timeline order": (1.0, "dates decide the order"),
    "follow-up rewritten": (0.9, "a follow-up should be read as the user meant"),
    "follow-up EM gap": (0.05, "a follow-up should cost at most 5 points against the question asked in full"),
    "follow-up from previous release": (0.9, "a follow-up is about what was just discussed: read there first"),
}


def figures(result: AcrossResult) -> list[tuple[str, float | None, str]]:
    """(figure, value, its target as text) rows."""
    s = result.summary()
    lists, timelines, followups = s["list"], s["timeline"], s["followup"]
    gap = followups["full_em"] - followups["em"] if followups["tasks"] else None
    rows = [
        ("list precision", lists["precision"] if lists["tasks"] else None),
        ("list recall", lists["recall"] if lists["tasks"] else None),
        ("timeline recall", timelines["recall"] if timelines["tasks"] else None),
        ("timeline precision", timelines["precision"] if timelines["tasks"] else None),
        ("timeline order", timelines["order"] if timelines["tasks"] else None),
        ("follow-up rewritten", followups["rewritten"] if followups["tasks"] else None),
        ("follow-up EM gap", gap),
        ("follow-up from previous release", followups["from_previous"] if followups["tasks"] else None),
    ]
    return [(name, value, _target(name)) for name, value in rows]


def _target(name: str) -> str:
    value, _ = TARGETS[name]
    return f"≤ {value:.2f}" if name.endswith("gap") else f"≥ {value:.2f}"


def _value(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def print_across(result: AcrossResult, console: Console | None = None) -> None:
    s = result.summary()
    table = Table(title=f"PressQA across releases: {result.name}")
    for column in ("figure", "value", "target"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for name, value, target in figures(result):
        table.add_row(name, _value(value), target)
    f = s["followup"]
    table.add_row("follow-up EM / full question EM", f"{f['em']:.3f} / {f['full_em']:.3f}", "")
    if f["tasks"]:
        table.add_row("follow-up / full question median ms", f"{f['median_ms']} / {f['full_median_ms']}", "≤ +20 ms")
    console = console or Console()
    console.print(table)
    console.print(
        f"{s['list']['tasks']} lists ({s['list']['answers_given']} answers given), {s['timeline']['tasks']} "
        f"timelines, {f['tasks']} follow-ups; list median {s['list']['median_ms']} ms, timeline median "
        f"{s['timeline']['median_ms']} ms"
    )


def write_across(result: AcrossResult, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"across-{_slug(result.name)}-{datetime.now():%Y%m%d-%H%M%S}"
    json_path, md_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    json_path.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    md_path.write_text(markdown_across(result))
    return json_path, md_path


def markdown_across(result: AcrossResult) -> str:
    rows = [[name, _value(value), target, TARGETS[name][1]] for name, value, target in figures(result)]
    lines = [f"# PressQA across releases: {result.name}", ""]
    lines += _markdown_table(["figure", "value", "target", "why"], rows)
    if result.lists:
        lines += ["## Lists", ""]
        lines += _markdown_table(
            ["question", "answers given (✓ an expected item)", "expected found"],
            [[r["question"], ", ".join(f"{i['text']}{' ✓' if i['match'] is not None else ''}" for i in items) or "none",
              f"{len({i['match'] for i in items} - {None})}/{r['expected']}"]
             for r, items in ((r, given_items(r, result.list_threshold)) for r in result.lists)],
        )  # fmt: skip
    if result.timelines:
        lines += ["## Timelines", ""]
        lines += _markdown_table(
            ["name", "expected found", "other releases listed", "pairs in order"],
            [[r["name"], f"{r['found']}/{r['expected']}", str(r["extra"]), f"{r['pairs_in_order']}/{r['pairs']}"]
             for r in result.timelines],
        )  # fmt: skip
    if result.followups:
        lines += ["## Follow-ups", ""]
        lines += _markdown_table(
            ["follow-up", "understood as", "answer (EM)", "asked in full", "answer (EM)"],
            [[r["question"], r["understood_as"] or "(as it is)", f"{r['answer']} ({r['em']:.0f})", r["full"] or "",
              f"{r['full_answer']} ({r['full_em']:.0f})"] for r in result.followups],
        )  # fmt: skip
    return "\n".join(lines)
