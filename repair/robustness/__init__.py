"""Robustness: common corruptions of images (Hendrycks & Dietterich) as pure array functions.

``CORRUPTIONS`` maps each name to its category and function; :func:`corrupt` applies one at an
intensity with a seeded generator. Nothing here reads or writes files or imports TensorFlow.

Beside them: adversarial attacks through ART (``attacks``; files in ``attack_files``) and the
stratified audit as tables (``audit``; reading and writing in ``audit_run``), imported on
demand. Their charts are drawn in :mod:`repair.reports.robustness`.
"""

from repair.robustness.corruptions import (
    CATEGORIES,
    COMMON,
    CORRUPTIONS,
    EXTRA,
    LEFT_OUT,
    Corruption,
    category_of,
    corrupt,
    get_corruption,
    resolve_names,
    stratum_rng,
)

__all__ = [
    "CATEGORIES",
    "COMMON",
    "CORRUPTIONS",
    "EXTRA",
    "LEFT_OUT",
    "Corruption",
    "category_of",
    "corrupt",
    "get_corruption",
    "resolve_names",
    "stratum_rng",
]
