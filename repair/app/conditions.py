"""Operating conditions as keyword-only functions: ``utils add_attributes``.

Frame conditions (``weather``, ``timeofday``, ...) are per-image string keys of the splits
(docs/formats.md); :mod:`repair.core.conditions` parses and matches ``key=value`` tests on them.
"""

from __future__ import annotations

from pathlib import Path

from repair.core.attributes import AddedAttributes


def add_attributes(*, data_dir: Path, csv: Path) -> AddedAttributes:
    """Add the CSV's per-image keys (``image_id,<key>,...``) to every split of ``data_dir``.

    Keys that ``repair corrupt`` and ``repair attack`` write (the audit reads them as strata)
    are refused, so that a CSV cannot relabel a robustness stratum."""
    from repair.core import attributes
    from repair.robustness.keys import SOURCE_INDEX_KEY, STRATUM_KEYS

    table = attributes.read_attribute_csv(Path(csv))
    owned = dict.fromkeys((*STRATUM_KEYS, SOURCE_INDEX_KEY), "repair corrupt / repair attack")
    attributes.check_keys_free(table, owned)
    return attributes.add_attributes(Path(data_dir), table)
