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
    strata: str | None = None,
) -> AuditResult:
    """Measure each model on each file matched by ``patterns`` (globs inside ``data_dir``);
    write audit.csv, audit_labels.csv, the charts and, for transferred adversarial examples,
    transfer.csv and transfer.png into ``output_dir``. ``strata`` (``weather,timeofday``) adds
    a condition row per value of those per-image keys, and a chart per key."""
    from repair.robustness.audit_conditions import parse_strata_keys
    from repair.robustness.audit_run import corruption_category, run_audit

    return run_audit(
        model_dirs=[Path(path) for path in model_dirs],
        data_dir=Path(data_dir),
        patterns=list(patterns),
        output_dir=Path(output_dir),
        category_of=corruption_category,
        batch_size=batch_size,
        strata_keys=() if strata is None else parse_strata_keys(strata),
    )
