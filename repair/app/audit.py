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
    mlflow_uri: str | None = None,
) -> AuditResult:
    """Measure each model on each file matched by ``patterns`` (globs inside ``data_dir``);
    write audit.csv, audit_labels.csv, the charts and, for transferred adversarial examples,
    transfer.csv and transfer.png into ``output_dir`` (and log them to MLflow at
    ``mlflow_uri`` when given: the mean accuracies, one step per model and intensity)."""
    from repair.app.tracking import command_run
    from repair.robustness.audit_run import corruption_category, run_audit

    params = {"model_dirs": ",".join(map(str, model_dirs)), "data_dir": data_dir,
              "target_data": ",".join(patterns), "batch_size": batch_size}  # fmt: skip
    with command_run(mlflow_uri, "audit", params) as tracked:
        result = run_audit(
            model_dirs=[Path(path) for path in model_dirs],
            data_dir=Path(data_dir),
            patterns=list(patterns),
            output_dir=Path(output_dir),
            category_of=corruption_category,
            batch_size=batch_size,
        )
        tracked.log_report({"means": [mean.to_dict() for mean in result.means]})
        tracked.log_files(result.written, root=Path(output_dir))
    return result
