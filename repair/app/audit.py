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
    from repair.reports._figure import save_png
    from repair.reports.conditions import accuracy_by_condition
    from repair.reports.robustness import category_charts, transfer_heatmap
    from repair.robustness.audit_conditions import (
        chart_file,
        condition_chart_name,
        is_condition_row,
        key_of,
        parse_strata_keys,
    )
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
        strata_keys=() if strata is None else parse_strata_keys(strata),
    )
    written = write_audit_tables(result, output_dir)
    for category, figure in category_charts(result.rows, result.models).items():
        written.append(save_png(figure, output_dir / CATEGORY_CHART.format(category=category)))
    shown = chart_file(result.rows)
    condition_rows = [row for row in result.label_rows if is_condition_row(row)]
    for key in dict.fromkeys(key_of(row) for row in condition_rows):
        figure = accuracy_by_condition(result.label_rows, key, result.models, shown)
        written.append(save_png(figure, output_dir / condition_chart_name(key)))
    if result.transfer:
        figure = transfer_heatmap(result.transfer, result.models)
        written.append(save_png(figure, output_dir / TRANSFER_CHART))
    result.written = written
    return result
