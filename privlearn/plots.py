"""The course's figures. Each function returns a matplotlib Figure; :func:`show`
displays one as a PNG and nothing else, so notebook outputs hold no figure reprs.

A figure that silently drops or distorts what it was given misleads as much as a wrong
number: every function checks its data first (finite values, matching lengths, values
that a log axis can show, probabilities in [0, 1]) and raises with the parameter's name."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # figures are rendered by show(), never by a GUI or inline hook
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from ._validation import as_real_array, check_int, check_probability, check_real
from .dp.region import dp_tpr_bound

__all__ = [
    "accuracy_curves",
    "bar_chart",
    "composition_curves",
    "error_histograms",
    "error_vs_epsilon",
    "image_grid",
    "label_distribution",
    "laplace_accuracy_panel",
    "membership_roc",
    "neighbour_histograms",
    "pipeline",
    "privacy_region",
    "privacy_utility",
    "share_histograms",
    "show",
    "sigma_vs_epsilon",
]


def _series(name: str, values, *, positive: bool = False, unit: bool = False,
            allow_nan: bool = False, length: int | None = None) -> np.ndarray:
    """A non-empty 1-D array of reals: finite (NaN allowed with ``allow_nan``, for a point
    that is undefined), > 0 for a log axis, in [0, 1] for a share or an accuracy."""
    if isinstance(values, (str, bytes, dict)) or values is None:
        raise TypeError(f"{name} must be a 1-D sequence of numbers, got "
                        f"{type(values).__name__}")
    if allow_nan:
        raw = np.asarray(values)
        if raw.dtype.kind not in "iuf":
            raise TypeError(f"{name} must hold real numbers, got dtype {raw.dtype}")
        arr = raw.astype(float)
        if np.isinf(arr).any() or np.isnan(arr).all():
            raise ValueError(f"{name} must hold finite values (NaN marks an undefined point), "
                             "with at least one defined")
    else:
        arr = as_real_array(name, values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if length is not None and arr.size != length:
        raise ValueError(f"{name} must have {length} values, one per point, got {arr.size}")
    shown = arr[~np.isnan(arr)]
    if positive and (shown <= 0).any():
        raise ValueError(f"{name} must be > 0 (the axis is logarithmic), got "
                         f"{float(shown[shown <= 0][0])!r}")
    if unit and ((shown < 0) | (shown > 1)).any():
        raise ValueError(f"{name} must lie in [0, 1], got "
                         f"{float(shown[(shown < 0) | (shown > 1)][0])!r}")
    return arr


def _named_series(name: str, curves, **kw) -> dict[str, np.ndarray]:
    """A non-empty dict label -> series, each checked like :func:`_series`."""
    if not isinstance(curves, dict):
        raise TypeError(f"{name} must be a dict of label -> values, got {type(curves).__name__}")
    if not curves:
        raise ValueError(f"{name} must hold at least one series, got an empty dict")
    return {label: _series(f"{name}[{label!r}]", v, **kw) for label, v in curves.items()}


def _bins(bins):
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        return check_int("bins", bins, low=1)
    edges = _series("bins", bins)
    if edges.size < 2 or (np.diff(edges) <= 0).any():
        raise ValueError("bins must be a number of bins >= 1 or increasing bin edges")
    return edges


def _text_labels(name: str, labels, count: int) -> list[str]:
    if isinstance(labels, (str, bytes)) or not isinstance(labels, (list, tuple, np.ndarray)):
        raise TypeError(f"{name} must be a list of labels, got {type(labels).__name__} "
                        f"{labels!r}")
    if len(labels) != count:
        raise ValueError(f"{name} must have one label per point ({count}), got {len(labels)}")
    return [str(x) for x in labels]


def show(fig: Figure, *, dpi: int = 90) -> None:
    """Display ``fig`` in a notebook as a PNG (deterministic bytes) and close it."""
    from IPython.display import display

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    dpi = check_int("dpi", dpi, low=10, high=600)

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    display({"image/png": base64.b64encode(buf.getvalue()).decode("ascii")}, raw=True)


def neighbour_histograms(out_d, out_d2, *, epsilon: float, bins) -> Figure:
    """Output histograms of a mechanism on neighbours D and D', and their ratio."""
    out_d, out_d2 = _series("out_d", out_d), _series("out_d2", out_d2)
    epsilon = check_real("epsilon", epsilon, low=0.0)
    bins = _bins(bins)
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
    eps = _series("epsilons", epsilons, positive=True)
    classic = _series("classic", classic, positive=True, allow_nan=True, length=eps.size)
    analytic = _series("analytic", analytic, positive=True, length=eps.size)
    delta = check_probability("delta", delta)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(eps, analytic, label="analytic (Balle & Wang 2018)")
    ax.plot(eps, classic, label="classic (Dwork & Roth Thm A.1), valid for ε < 1")
    ax.axvline(1.0, color="grey", ls=":")
    ax.set(xscale="log", yscale="log", xlabel="ε", ylabel="σ for sensitivity 1",
           title=f"Gaussian noise needed for (ε, δ = {delta:g})")
    ax.legend()
    fig.tight_layout()
    return fig


def composition_curves(ks, curves: dict, *, title: str,
                       xlabel: str = "number of releases k") -> Figure:
    """Total ε against the number of releases k (or epochs, steps: ``xlabel``), one line
    per accounting method."""
    ks = _series("ks", ks, positive=True)
    curves = _named_series("curves", curves, positive=True, length=ks.size)
    if not isinstance(xlabel, str):
        raise TypeError(f"xlabel must be a str, got {type(xlabel).__name__}")
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for label, values in curves.items():
        ax.plot(ks, values, label=label)
    ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel="total ε", title=title)
    # 0.3, 2, 1000 rather than 3×10⁻¹; minor ticks labelled only on an axis short enough
    # (about a decade) to have few major ones
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    values = np.concatenate(list(curves.values()))
    for axis, data in ((ax.xaxis, ks), (ax.yaxis, values)):
        axis.set_major_formatter(plain)
        axis.set_minor_formatter(plain if np.log10(data.max() / data.min()) <= 1.2
                                 else NullFormatter())
    ax.legend()
    fig.tight_layout()
    return fig


def laplace_accuracy_panel(epsilons, *, sensitivity: float = 1.0) -> Figure:
    """Laplace noise densities for several ε, and the 95% error bound against ε."""
    epsilons = _series("epsilons", epsilons, positive=True)
    sensitivity = check_real("sensitivity", sensitivity, low=0.0)
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
    num_classes = check_int("num_classes", num_classes, low=1, high=10)  # tab10's colours
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0 or labels.dtype.kind not in "iu":
        raise TypeError(f"labels must be a non-empty 1-D array of integer labels, got shape "
                        f"{labels.shape} and dtype {labels.dtype}")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"labels must lie in 0..{num_classes - 1} (num_classes={num_classes}), "
                         f"got {int(labels.min())}..{int(labels.max())}")
    if not isinstance(partitions, dict) or not partitions:
        raise TypeError("partitions must be a non-empty dict of name -> list of index arrays")
    for name, parts in partitions.items():
        for i, p in enumerate(parts):
            idx = np.asarray(p)
            if idx.dtype.kind not in "iu" or (idx.size and (idx.min() < 0
                                                            or idx.max() >= labels.size)):
                raise ValueError(f"partitions[{name!r}][{i}] must hold indices into labels "
                                 f"(0..{labels.size - 1})")
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
    if not isinstance(histories, dict) or not histories:
        raise TypeError("histories must be a non-empty dict of label -> FedAvgHistory")
    for label, hist in histories.items():
        if not hasattr(hist, "accuracy"):
            raise TypeError(f"histories[{label!r}] must be a FedAvgHistory, got "
                            f"{type(hist).__name__}")
        _series(f"histories[{label!r}].accuracy", hist.accuracy, unit=True)
    if target is not None:
        target = check_probability("target", target, closed=True)
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
    epsilons = _series("epsilons", epsilons, positive=True)
    accuracies = _series("accuracies", accuracies, unit=True, length=epsilons.size)
    baseline = check_probability("baseline", baseline, closed=True)
    if labels is not None:
        labels = _text_labels("labels", labels, epsilons.size)
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
    samples = _named_series("samples", samples)
    bins = _bins(bins)
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for label, values in samples.items():
        ax.hist(values, bins=bins, histtype="step", density=True, lw=1.8, label=label)
    ax.set(xlabel="value of the share (scaled to [0, 1))", ylabel="density", title=title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def bar_chart(labels, values, *, ylabel: str, title: str, fmt: str = "{:.1%}") -> Figure:
    """Labelled bars, each with its value printed on top (the axis starts at 0, so
    values must be >= 0)."""
    values = _series("values", values)
    if (values < 0).any():
        raise ValueError(f"values must be >= 0 (bars start at 0), got {float(values.min())!r}")
    labels = _text_labels("labels", labels, values.size)
    if not isinstance(fmt, str):
        raise TypeError(f"fmt must be a format string such as '{{:.1%}}', got "
                        f"{type(fmt).__name__}")
    try:
        fmt.format(float(values[0]))
    except (KeyError, IndexError, ValueError) as err:
        raise ValueError(f"fmt must format one number, e.g. '{{:.1%}}', got {fmt!r} "
                         f"({err!r})") from None
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
    samples = _named_series("samples", samples)
    bins = _bins(bins)
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for label, values in samples.items():
        ax.hist(values, bins=bins, alpha=0.5, label=label)
    ax.set(xlabel=xlabel, ylabel="count", title=title)
    ax.legend()
    fig.tight_layout()
    return fig


def image_grid(images: dict, *, shape=(8, 8), title: str | None = None) -> Figure:
    """Images side by side (e.g. a digit and its reconstructions), titled by the dict keys.

    Pixels are drawn on a fixed [0, 1] scale, so images must hold values in [0, 1]
    (clamp a reconstruction, divide 0..255 data by 255)."""
    if not isinstance(images, dict) or not images:
        raise TypeError("images must be a non-empty dict of label -> image")
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"shape must be a tuple of ints, got {type(shape).__name__}")
    shape = tuple(check_int(f"shape[{i}]", d, low=1) for i, d in enumerate(shape))
    if len(shape) != 2:
        raise ValueError(f"shape must be (height, width), got {shape}")
    pixels = {}
    for label, img in images.items():
        arr = img.detach().cpu().numpy() if hasattr(img, "detach") else img
        arr = as_real_array(f"images[{label!r}]", arr).ravel()
        if arr.size != shape[0] * shape[1]:
            raise ValueError(f"images[{label!r}] has {arr.size} pixels, shape {shape} needs "
                             f"{shape[0] * shape[1]}")
        if ((arr < 0) | (arr > 1)).any():
            raise ValueError(f"images[{label!r}] must hold pixel values in [0, 1], got "
                             f"{float(arr.min())!r}..{float(arr.max())!r}")
        pixels[label] = arr.reshape(shape)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None, got {type(title).__name__}")
    fig, axes = plt.subplots(1, len(images), figsize=(2.2 * len(images), 2.6))
    for ax, (label, img) in zip(np.atleast_1d(axes), pixels.items(), strict=True):
        ax.imshow(img, cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(label, fontsize=8)
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _roc_pairs(name: str, curves) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    if not isinstance(curves, dict) or not curves:
        raise TypeError(f"{name} must be a non-empty dict of label -> (fpr, tpr), got "
                        f"{type(curves).__name__}")
    out = {}
    for label, pair in curves.items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"{name}[{label!r}] must be an (fpr, tpr) pair of arrays, got "
                            f"{type(pair).__name__}")
        fpr = _series(f"{name}[{label!r}] fpr", pair[0], unit=True)
        tpr = _series(f"{name}[{label!r}] tpr", pair[1], unit=True, length=fpr.size)
        out[label] = (fpr, tpr)
    return out


def membership_roc(curves: dict, *, bounds: dict | None = None,
                   title: str = "Membership inference: TPR at each FPR") -> Figure:
    """ROC curves of membership attacks on log-log axes, where confident identification
    (low FPR) is visible (Carlini et al. 2022, "Membership inference attacks from first
    principles", IEEE S&P), with TPR = FPR (a model that leaks nothing) dotted.

    Parameters
    ----------
    curves : dict
        label -> (fpr, tpr) arrays, e.g. ``MembershipResult.roc()``; points at FPR or TPR 0
        cannot sit on a log axis and are left out.
    bounds : dict, optional
        label -> (fpr, tpr) drawn dashed, e.g. ``attacks.dp_tpr_bound`` over a grid of FPRs.
    """
    drawn = _roc_pairs("curves", curves)
    dashed = _roc_pairs("bounds", bounds) if bounds is not None else {}
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    lowest = min(f[f > 0].min() for f, _ in drawn.values() if (f > 0).any())
    bound_colours, curve_colours = ["C3", "C4", "C5"], ["C0", "C1", "C2", "C8", "C9", "C6"]
    for i, (label, (fpr, tpr)) in enumerate(dashed.items()):
        keep = (fpr > 0) & (tpr > 0)
        ax.plot(fpr[keep], tpr[keep], "--", lw=1, color=bound_colours[i % 3], label=label)
    for i, (label, (fpr, tpr)) in enumerate(drawn.items()):
        keep = (fpr > 0) & (tpr > 0)
        ax.step(fpr[keep], tpr[keep], where="post", color=curve_colours[i % 6], label=label)
    ax.plot([lowest, 1], [lowest, 1], ":", color="grey", label="TPR = FPR: no leak")
    ax.set(xscale="log", yscale="log", xlim=(lowest, 1), ylim=(lowest, 1.05),
           xlabel="false-positive rate", ylabel="true-positive rate", title=title)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def privacy_region(curves: dict, *, epsilon: float, delta: float = 0.0,
                   points: dict | None = None,
                   title: str = "Every test of 'is this person in?' stays in the region"
                   ) -> Figure:
    """The (ε, δ)-DP privacy region, shaded, with attacks' ROC curves drawn in it.

    The region holds the (FPR, TPR) pairs allowed by TPR <= e^ε·FPR + δ and
    1 − FPR <= e^ε(1 − TPR) + δ (Kairouz, Oh & Viswanath 2015, Theorem 2.1); linear axes.

    Parameters
    ----------
    curves : dict
        label -> (fpr, tpr) arrays, drawn as lines (e.g. an attack's exact ROC).
    epsilon, delta : float
        ε >= 0 and δ in [0, 1] of the region.
    points : dict, optional
        label -> (fpr, tpr) arrays, drawn as dots (e.g. the ROC measured on samples).
    """
    drawn = _roc_pairs("curves", curves)
    dotted = _roc_pairs("points", points) if points is not None else {}
    epsilon = check_real("epsilon", epsilon, low=0.0, low_open=False, high=700.0)
    delta = check_probability("delta", delta, closed=True)
    fpr = np.linspace(0.0, 1.0, 401)
    upper = np.array([dp_tpr_bound(f, epsilon, delta) for f in fpr])
    # the lower edge is the upper one seen from the complementary test (swap TPR and FPR)
    lower = 1.0 - np.array([dp_tpr_bound(1.0 - f, epsilon, delta) for f in fpr])
    fig, ax = plt.subplots(figsize=(4.6, 4.4))
    ax.fill_between(fpr, lower, upper, color="C0", alpha=0.15,
                    label=f"privacy region, ε = {epsilon:g}, δ = {delta:g}")
    ax.plot(fpr, fpr, ":", color="grey", label="TPR = FPR: a coin flip")
    for i, (label, (f, t)) in enumerate(drawn.items()):
        ax.plot(f, t, color=f"C{i + 1}", label=label)
    for i, (label, (f, t)) in enumerate(dotted.items()):
        ax.plot(f, t, "o", ms=2.5, color=f"C{i + len(drawn) + 1}", label=label)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="false-positive rate",
           ylabel="true-positive rate", title=title)
    ax.set_aspect("equal")
    ax.legend(fontsize=7, loc="lower right")
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
    epsilons = _series("epsilons", epsilons, positive=True)
    curves = _named_series("curves", curves, positive=True, length=epsilons.size)
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for label, values in curves.items():
        ax.plot(epsilons, values, "o-", label=label)
    ax.set(xscale="log", yscale="log", xlabel="ε per user", ylabel="error", title=title)
    ax.legend()
    fig.tight_layout()
    return fig
