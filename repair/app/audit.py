"""``audit`` as a keyword-only function: every model on every split file, tables and charts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from repair.robustness.audit_run import AuditResult


def audit(
    *,
    model_dirs: Sequence[Path],
    data_dir: Path,
    patterns: Sequence[str] = ("test.h5", "corrupted/*.h5", "adversarial/**/*.h5"),
    output_dir: Path = Path("audit"),
    batch_size: int = 256,
) -> AuditResult:
    """Measure each model on each file matched by ``patterns`` (globs inside ``data_dir``);
    write audit.csv, audit_labels.csv, the charts and, for transferred adversarial examples,
    transfer.csv and transfer.png into ``output_dir``."""
    from repair.robustness.audit_run import corruption_category, run_audit

    return run_audit(
        model_dirs=[Path(path) for path in model_dirs],
        data_dir=Path(data_dir),
        patterns=list(patterns),
        output_dir=Path(output_dir),
        category_of=corruption_category,
        batch_size=batch_size,
    )
