"""HDF5 dataset splits (docs/formats.md): reading, writing and validating a data folder's files.

The format, its keys and its types live in :mod:`~repair.core.data.format`, the checks in
:mod:`~repair.core.data.checks`, reading in :mod:`~repair.core.data.reader` and writing in
:mod:`~repair.core.data.writer`. Most of the package reads or writes splits, so the few names
it uses everywhere are importable from here.
"""

from repair.core.data.format import Batch, SplitInfo
from repair.core.data.reader import SplitReader, inspect_split, read_split
from repair.core.data.writer import SplitWriter, write_split

__all__ = [
    "Batch",
    "SplitInfo",
    "SplitReader",
    "SplitWriter",
    "inspect_split",
    "read_split",
    "write_split",
]
