"""Interactive demos. Each mirrors a static figure in :mod:`privlearn.plots`, which the
notebook shows next to it so that validation has something to compare."""

from __future__ import annotations

from ._validation import check_real
from .plots import laplace_accuracy_panel, show

__all__ = ["epsilon_slider"]


def epsilon_slider(*, sensitivity: float = 1.0):
    """A slider over ε that redraws the Laplace noise and its 95% error bound."""
    import ipywidgets as widgets

    sensitivity = check_real("sensitivity", sensitivity, low=0.0)  # now, not when drawn

    def draw(epsilon: float) -> None:
        show(laplace_accuracy_panel([epsilon], sensitivity=sensitivity))

    slider = widgets.FloatLogSlider(value=1.0, base=10, min=-2, max=1, step=0.05,
                                    description="ε", continuous_update=False)
    return widgets.interactive(draw, epsilon=slider)
