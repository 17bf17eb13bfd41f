"""Shared test set-up.

Importing matplotlib here builds its font cache (on a fresh machine) before nbval runs
the first notebook; otherwise the notebook's first figure would print "Matplotlib is
building the font cache" to stderr and fail the output comparison.
"""

import matplotlib
import matplotlib.font_manager

matplotlib.use("Agg")
