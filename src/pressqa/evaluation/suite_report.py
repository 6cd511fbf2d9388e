"""The selection suite as a picture: each kind's figures side by side, so a kind left behind shows at a glance."""

from pathlib import Path

from pressqa.evaluation.report import pyplot, save_figure

# (table key, label): the shares a user feels, higher is better for the first two, lower for the rest.
BARS = (
    ("f1", "answerable F1"),
    ("f1_never_abstaining", "F1 never abstaining"),
    ("answerable_abstained", "answerable abstained"),
    ("unanswerable_answered", "unanswerable answered"),
    ("wrong_type", "wrong type"),
)


def plot_suite(table: dict[str, dict], path: Path) -> None:
    """Grouped bars: one group per figure, one bar per kind (and their mean)."""
    plt = pyplot()
    kinds = list(table)
    fig, ax = plt.subplots(figsize=(8.5, 3.8))
    width = 0.8 / max(len(kinds), 1)
    for k, kind in enumerate(kinds):
        values = [100 * (table[kind][key] or 0.0) for key, _ in BARS]
        positions = [i + (k - (len(kinds) - 1) / 2) * width for i in range(len(BARS))]
        hatch = "//" if kind == "mean" else None
        ax.bar(positions, values, width, label=kind, color=f"C{k}", hatch=hatch, alpha=0.85)
    ax.set_xticks(range(len(BARS)), [label for _, label in BARS], fontsize=8)
    ax.set_ylabel("per cent")
    ax.set_title("Selection suite: every kind of release")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    save_figure(plt, fig, path)
