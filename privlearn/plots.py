"""The course's figures. Each function returns a matplotlib Figure; :func:`show`
displays one as a PNG and nothing else, so notebook outputs hold no figure reprs."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # figures are rendered by show(), never by a GUI or inline hook
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = [
    "accuracy_curves",
    "bar_chart",
    "composition_curves",
    "error_histograms",
    "error_vs_epsilon",
    "image_grid",
    "label_distribution",
    "laplace_accuracy_panel",
    "membership_vs_epsilon",
    "neighbour_histograms",
    "pipeline",
    "privacy_utility",
    "share_histograms",
    "show",
    "sigma_vs_epsilon",
]


def show(fig: Figure, *, dpi: int = 90) -> None:
    """Display ``fig`` in a notebook as a PNG (deterministic bytes) and close it."""
    from IPython.display import display

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    display({"image/png": base64.b64encode(buf.getvalue()).decode("ascii")}, raw=True)


def neighbour_histograms(out_d, out_d2, *, epsilon: float, bins) -> Figure:
    """Output histograms of a mechanism on neighbours D and D', and their ratio."""
    h1, edges = np.histogram(out_d, bins=bins)
    h2, _ = np.histogram(out_d2, bins=edges)
    centres = 0.5 * (edges[1:] + edges[:-1])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.4))
    ax1.stairs(h1 / h1.sum(), edges, label="M(D)", fill=True, alpha=0.5)
    ax1.stairs(h2 / h2.sum(), edges, label="M(D')", fill=True, alpha=0.5)
    ax1.set(xlabel="released value", ylabel="share of draws", title="Output distributions")
    ax1.legend()
    ok = (h1 >= 200) & (h2 >= 200)  # bins with enough draws for a stable ratio
    ratio = (h1[ok] / h1.sum()) / (h2[ok] / h2.sum())
    ax2.plot(centres[ok], ratio, "o", ms=4, label="estimated P[M(D) ∈ bin] / P[M(D') ∈ bin]")
    ax2.axhline(np.exp(epsilon), color="C3", ls="--", label=r"$e^{\pm\varepsilon}$")
    ax2.axhline(np.exp(-epsilon), color="C3", ls="--")
    ax2.set(xlabel="released value", ylabel="ratio of probabilities",
            title=rf"Ratio stays within $e^{{\pm\varepsilon}}$ ($\varepsilon$ = {epsilon:g})")
    ax2.legend(loc="center right", fontsize=8)
    fig.tight_layout()
    return fig


def sigma_vs_epsilon(epsilons, classic, analytic, *, delta: float) -> Figure:
    """σ of the classic (ε < 1 only) and analytic Gaussian calibrations against ε."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    eps = np.asarray(epsilons)
    classic = np.asarray(classic, dtype=float)
    ax.plot(eps, analytic, label="analytic (Balle & Wang 2018)")
    ax.plot(eps, classic, label="classic (Dwork & Roth Thm A.1), valid for ε < 1")
    ax.axvline(1.0, color="grey", ls=":")
    ax.set(xscale="log", yscale="log", xlabel="ε", ylabel="σ for sensitivity 1",
           title=f"Gaussian noise needed for (ε, δ = {delta:g})")
    ax.legend()
    fig.tight_layout()
    return fig


def composition_curves(ks, curves: dict, *, title: str) -> Figure:
    """Total ε against the number of releases k, one line per accounting method."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for label, values in curves.items():
        ax.plot(ks, values, label=label)
    ax.set(xscale="log", yscale="log", xlabel="number of releases k", ylabel="total ε",
           title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def laplace_accuracy_panel(epsilons, *, sensitivity: float = 1.0) -> Figure:
    """Laplace noise densities for several ε, and the 95% error bound against ε."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.4))
    x = np.linspace(-15, 15, 601)
    for eps in epsilons:
        b = sensitivity / eps
        ax1.plot(x, np.exp(-np.abs(x) / b) / (2 * b), label=f"ε = {eps:g}")
    ax1.set(xlabel="noise added to a count", ylabel="density", title="Laplace noise")
    ax1.legend()
    grid = np.geomspace(0.01, 10, 200)
    ax2.plot(grid, sensitivity * np.log(20) / grid, color="grey")
    for i, eps in enumerate(epsilons):
        ax2.plot([eps], [sensitivity * np.log(20) / eps], "o", color=f"C{i}")
    ax2.set(xscale="log", yscale="log", xlabel="ε",
            ylabel="error bound (95% of releases)", title="Accuracy: |noise| ≤ Δ·ln(20)/ε")
    fig.tight_layout()
    return fig


def label_distribution(partitions: dict, labels, *, num_classes: int = 10) -> Figure:
    """One panel per partitioning: stacked bars of each client's label counts."""
    labels = np.asarray(labels)
    fig, axes = plt.subplots(1, len(partitions), figsize=(4.2 * len(partitions), 3.2))
    axes = np.atleast_1d(axes)
    cmap = plt.get_cmap("tab10")
    for ax, (name, parts) in zip(axes, partitions.items(), strict=True):
        counts = np.array([np.bincount(labels[p], minlength=num_classes) for p in parts])
        bottom = np.zeros(len(parts))
        for c in range(num_classes):
            ax.bar(np.arange(len(parts)), counts[:, c], bottom=bottom, color=cmap(c),
                   width=0.85, label=str(c))
            bottom += counts[:, c]
        ax.set(title=name, xlabel="client")
    axes[0].set_ylabel("examples")
    axes[-1].legend(title="digit", fontsize=7, ncol=2, loc="upper right")
    fig.tight_layout()
    return fig


def accuracy_curves(histories: dict, *, title: str, target: float | None = None) -> Figure:
    """Test accuracy per round, one line per run (``FedAvgHistory`` objects)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for label, hist in histories.items():
        ax.plot(np.arange(1, len(hist.accuracy) + 1), hist.accuracy, label=label)
    if target is not None:
        ax.axhline(target, color="grey", ls=":", label=f"target {target:g}")
    ax.set(xlabel="round", ylabel="test accuracy", ylim=(0, 1), title=title)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def privacy_utility(epsilons, accuracies, *, baseline: float, title: str,
                    labels=None) -> Figure:
    """Accuracy against ε (log scale), with the non-private accuracy as a line."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.plot(epsilons, accuracies, "o-", label="private")
    if labels is not None:
        for e, a, text in zip(epsilons, accuracies, labels, strict=True):
            ax.annotate(text, (e, a), textcoords="offset points", xytext=(4, -12), fontsize=8)
    ax.axhline(baseline, color="C3", ls="--", label=f"non-private ({baseline:.2f})")
    ax.set(xscale="log", xlabel="ε (δ = 1e-5)", ylabel="test accuracy", ylim=(0, 1),
           title=title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def share_histograms(samples: dict, *, bins: int = 32, title: str) -> Figure:
    """Histograms of one party's share under different secrets, on a common axis."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for label, values in samples.items():
        ax.hist(values, bins=bins, histtype="step", density=True, lw=1.8, label=label)
    ax.set(xlabel="value of the share (scaled to [0, 1))", ylabel="density", title=title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def bar_chart(labels, values, *, ylabel: str, title: str, fmt: str = "{:.1%}") -> Figure:
    """Labelled bars, each with its value printed on top."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    bars = ax.bar(range(len(values)), values, color="C0")
    ax.set_xticks(range(len(values)), labels, fontsize=8)
    for bar, v in zip(bars, values, strict=True):
        ax.annotate(fmt.format(v), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=8)
    ax.set(ylabel=ylabel, title=title, ylim=(0, max(1.0, max(values)) * 1.1))
    fig.tight_layout()
    return fig


def error_histograms(samples: dict, *, xlabel: str, title: str, bins: int = 40) -> Figure:
    """Overlaid histograms of errors, one per setting."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for label, values in samples.items():
        ax.hist(values, bins=bins, alpha=0.5, label=label)
    ax.set(xlabel=xlabel, ylabel="count", title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def image_grid(images: dict, *, shape=(8, 8), title: str | None = None) -> Figure:
    """Images side by side (e.g. a digit and its reconstructions), titled by the dict keys."""
    fig, axes = plt.subplots(1, len(images), figsize=(2.2 * len(images), 2.6))
    for ax, (label, img) in zip(np.atleast_1d(axes), images.items(), strict=True):
        ax.imshow(np.asarray(img, dtype=float).reshape(shape), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(label, fontsize=8)
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def membership_vs_epsilon(points, non_private_advantage: float, *, delta: float = 1e-5,
                          chance: float | None = None) -> Figure:
    """Measured membership advantage against ε, with the DP bound, the non-private value
    and (optionally) the level a leak-free model reaches by chance."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    eps = np.array([e for e, _ in points])
    adv = np.array([a for _, a in points])
    grid = np.geomspace(max(eps.min() / 2, 1e-3), eps.max() * 2, 200)
    bound = (np.expm1(grid) + 2 * delta) / (np.exp(grid) + 1)
    ax.plot(grid, np.minimum(bound, 1.0), "--", color="C3",
            label="bound for any attack on an (ε, δ)-DP model")
    ax.plot(eps, adv, "o-", label="measured: DP-SGD models")
    ax.axhline(non_private_advantage, color="grey", ls=":", label="measured: non-private model")
    if chance is not None:
        ax.axhline(chance, color="C2", ls="-.", lw=1, label="chance level (95%)")
    ax.set(xscale="log", xlabel="ε", ylabel="advantage (TPR − FPR)", ylim=(0, 1),
           title="Membership inference")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def pipeline() -> Figure:
    """Where each technique sits in a federated pipeline, from raw data to released model."""
    fig, ax = plt.subplots(figsize=(10, 3.2))
    ax.set(xlim=(0, 10), ylim=(0, 3.2))
    ax.axis("off")
    boxes = [(0.2, "client data\n(stays local)", "FL"),
             (2.2, "local training\n(DP-SGD: noise\non each step)", "DP"),
             (4.2, "update in transit\n(encrypted or\nmasked)", "HE / MPC"),
             (6.2, "server aggregation\n(sees only the sum)", "MPC / HE"),
             (8.2, "released model\n(DP-FedAvg noise)", "DP")]
    for x, text, tag in boxes:
        ax.add_patch(plt.Rectangle((x, 1.0), 1.6, 1.3, fill=False, lw=1.5))
        ax.text(x + 0.8, 1.65, text, ha="center", va="center", fontsize=8)
        ax.text(x + 0.8, 0.6, tag, ha="center", va="center", fontsize=10, color="C3",
                fontweight="bold")
    for x, _, _ in boxes[:-1]:
        ax.annotate("", xy=(x + 2.0, 1.65), xytext=(x + 1.6, 1.65),
                    arrowprops={"arrowstyle": "->", "lw": 1.5})
    ax.text(5.0, 2.85, "where each technique protects a federated pipeline", ha="center",
            fontsize=11)
    return fig


def error_vs_epsilon(epsilons, curves: dict, *, title: str) -> Figure:
    """An error measure against ε (log-log), one line per setting (e.g. number of users)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for label, values in curves.items():
        ax.plot(epsilons, values, "o-", label=label)
    ax.set(xscale="log", yscale="log", xlabel="ε per user", ylabel="error", title=title)
    ax.legend()
    fig.tight_layout()
    return fig
