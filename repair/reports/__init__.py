"""Charts: pure functions that take results and return a matplotlib ``Figure``.

They never touch pyplot's global state (figures are built on the Agg canvas directly), so
they work in threads, in tests and on machines without a display. ``save_png`` writes one.
"""

from repair.reports._figure import new_figure, save_png

__all__ = ["new_figure", "save_png"]
