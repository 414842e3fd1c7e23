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
    from repair.reports._figure import save_png
    from repair.reports.robustness import category_charts, transfer_heatmap
    from repair.robustness.audit_run import (
        CATEGORY_CHART,
        TRANSFER_CHART,
        corruption_category,
        run_audit,
        write_audit_tables,
    )

    output_dir = Path(output_dir)
    result = run_audit(
        model_dirs=[Path(path) for path in model_dirs],
        data_dir=Path(data_dir),
        patterns=list(patterns),
        category_of=corruption_category,
        batch_size=batch_size,
    )
    written = write_audit_tables(result, output_dir)
    for category, figure in category_charts(result.rows, result.models).items():
        written.append(save_png(figure, output_dir / CATEGORY_CHART.format(category=category)))
    if result.transfer:
        figure = transfer_heatmap(result.transfer, result.models)
        written.append(save_png(figure, output_dir / TRANSFER_CHART))
    result.written = written
    return result
