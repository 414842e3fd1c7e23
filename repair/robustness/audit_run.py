"""``repair audit``'s measuring: every model on every split file, and the tables it writes.

Files are named by glob patterns relative to the data folder. Each model is loaded once and
predicts every file exactly as ``repair test`` does (same batches, same arg-max), so the
accuracy of a stratum that fills a file equals what ``repair test`` prints for that file.
The charts are drawn by :mod:`repair.reports.robustness` (the application layer calls both).
"""

from __future__ import annotations

import glob
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from repair.core.data import SplitReader
from repair.core.files import write_text_atomic
from repair.core.model import load_model, predict_split
from repair.errors import ConfigError, InputNotFoundError
from repair.robustness.attack_files import model_identity
from repair.robustness.audit import (
    AUDIT_FILE,
    LABELS_FILE,
    OTHER,
    TRANSFER_FILE,
    AuditRow,
    audit_csv,
    audit_file,
    image_strata,
    sort_key,
)
from repair.robustness.audit_summary import (
    MeanRow,
    TransferCell,
    mean_by_intensity,
    transfer_cells,
    transfer_csv,
)
from repair.robustness.keys import STRATUM_KEYS

TRANSFER_CHART = "transfer.png"
CATEGORY_CHART = "audit_{category}.png"  # one accuracy-by-intensity chart per category


@dataclass
class AuditResult:
    """What ``run_audit`` measured and, once written, the files (``written``); ``notes`` name
    patterns that matched nothing."""

    models: list[str]
    files: list[str]
    rows: list[AuditRow]
    label_rows: list[AuditRow]
    means: list[MeanRow]
    transfer: list[TransferCell]
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def expand_patterns(data_dir: Path, patterns: Sequence[str]) -> tuple[list[Path], list[str]]:
    """The split files named by ``patterns`` (relative to ``data_dir``; ``*``, ``?``, ``[]``
    and ``**`` globs), in pattern order then name order, each once; hidden files (atomic
    writes in progress) are skipped. A literal name that does not exist is an error; a glob
    that matches nothing gives a note."""
    files: dict[Path, None] = {}
    notes = []
    for pattern in patterns:
        if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise ConfigError(f"--target_data patterns are relative to --data_dir; got {pattern!r}")
        if not glob.has_magic(pattern):
            path = data_dir / pattern
            if not path.is_file():
                raise InputNotFoundError(f"data file not found: {path}")
            files[path] = None
            continue
        matches = [
            p
            for p in sorted(data_dir.glob(pattern))
            if p.is_file() and p.suffix == ".h5" and not p.name.startswith(".")
        ]
        if not matches:
            notes.append(f"no split file matches {pattern!r} in {data_dir}")
        files.update(dict.fromkeys(matches))
    if not files:
        raise InputNotFoundError(f"no split file matches {', '.join(patterns)} in {data_dir}")
    return list(files), notes


def corruption_category(name: str) -> str:
    """The category of corruption ``name`` in the registry of ``repair corrupt``; ``other`` for
    a name it does not know (a user's own corruption)."""
    from repair.robustness.corruptions import CORRUPTIONS

    entry = CORRUPTIONS.get(name)
    return OTHER if entry is None else entry.category


def model_names(model_dirs: Sequence[Path]) -> list[str]:
    """The names the audit gives the models: the paths as given, without a trailing slash."""
    names = [str(path).rstrip("/") or "/" for path in model_dirs]
    if len(set(names)) != len(names):
        raise ConfigError(f"--model_dirs names a model twice: {', '.join(names)}")
    return names


def run_audit(
    *,
    model_dirs: Sequence[Path],
    data_dir: Path,
    patterns: Sequence[str],
    category_of: Callable[[str], str],
    batch_size: int = 256,
) -> AuditResult:
    """Measure every model on every file (nothing is written: see :func:`write_audit_tables`)."""
    names = model_names(model_dirs)
    paths, notes = expand_patterns(data_dir, patterns)
    identities = {model_identity(path): name for path, name in zip(model_dirs, names, strict=True)}
    rows: list[AuditRow] = []
    label_rows: list[AuditRow] = []
    files = [path.relative_to(data_dir).as_posix() for path in paths]
    step, steps = 0, len(names) * len(paths)
    for model_dir, name in zip(model_dirs, names, strict=True):
        model = load_model(model_dir)
        for path, file in zip(paths, files, strict=True):
            step += 1
            with SplitReader(path) as reader:
                info = reader.info
                extras = {k: reader.extra(k) for k in STRATUM_KEYS if k in info.extras}
                strata, which = image_strata(len(reader), extras, category_of, identities)
                desc = f"audit {step}/{steps} {file}"
                predictions = predict_split(model, reader, batch_size, desc=desc)
            class_names = [info.class_name(i) for i in range(info.num_classes)]
            found, per_label = audit_file(
                name, file, strata, which, predictions.true, predictions.predicted, class_names
            )
            rows += found
            label_rows += per_label
    rows.sort(key=lambda row: sort_key(row, names))
    label_rows.sort(key=lambda row: sort_key(row, names))
    return AuditResult(
        names,
        files,
        rows,
        label_rows,
        mean_by_intensity(rows, names),
        transfer_cells(rows, names),
        notes=notes,
    )


def write_audit_tables(result: AuditResult, output_dir: Path) -> list[Path]:
    """audit.csv, audit_labels.csv and, with transfer cells, transfer.csv; each written
    atomically."""
    written = [
        write_text_atomic(output_dir / AUDIT_FILE, audit_csv(result.rows)),
        write_text_atomic(output_dir / LABELS_FILE, audit_csv(result.label_rows, per_label=True)),
    ]
    if result.transfer:
        table = transfer_csv(result.transfer, result.models)
        written.append(write_text_atomic(output_dir / TRANSFER_FILE, table))
    return written
