"""The learning curve of a training run as a picture: held-out F1 against the training pairs seen."""

from pathlib import Path


def plot_curve(curve: list[dict], path: Path) -> None:
    """One line per held-out set (answer F1, solid; no-answer accuracy, dashed) over the pairs trained on."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [k for k, v in curve[0].items() if isinstance(v, dict)] if curve else []
    fig, ax = plt.subplots(figsize=(6, 3.8))
    seen = [point["examples"] for point in curve]
    for n, name in enumerate(names):
        color = f"C{n}"
        ax.plot(seen, [p[name]["f1"] for p in curve], marker="o", color=color, label=f"{name} F1")
        ax.plot(seen, [p[name]["no_answer_accuracy"] for p in curve], ls="--", color=color, alpha=0.6)
    ax.set(xlabel="training pairs seen", ylabel="held-out score (dashed: no-answer accuracy)")
    ax.set_title("Span reader learning curve")
    ax.grid(alpha=0.3)
    if names:
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
