"""``repair audit``: accuracy of several models on clean, corrupted and adversarial splits."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from repair.cli._app import UsageError
from repair.cli._options import BatchSize, DataDir, JsonOutput, parse_name_list
from repair.errors import ConfigError

DEFAULT_FILES = "test.h5,corrupted/*.h5,adversarial/**/*.h5"


def audit_command(
    model_dirs: Annotated[
        str,
        typer.Option(
            help="Comma-separated model folders (or .keras files), e.g. models/a,models/b.",
            show_default=False,
        ),
    ],
    data_dir: DataDir,
    target_data: Annotated[
        str,
        typer.Option(
            help="Comma-separated split files or glob patterns inside DATA_DIR "
            "(a pattern that matches nothing is noted and skipped)."
        ),
    ] = DEFAULT_FILES,
    output_dir: Annotated[
        Path, typer.Option(help="Folder for audit.csv, audit_labels.csv and the charts.")
    ] = Path("audit"),
    batch_size: BatchSize = 256,
    strata: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated per-image keys (e.g. weather,timeofday): a condition row "
            "per value (kind key=value) and audit_condition_<key>.png.",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOutput = False,
) -> None:
    """Measure every model on every file: audit.csv, audit_labels.csv, one chart per category,
    and transfer.csv / transfer.png for adversarial examples measured on other models."""
    models = [Path(name) for name in parse_name_list(model_dirs)]
    patterns = parse_name_list(target_data)
    if not models:
        raise UsageError(f"--model_dirs needs at least one model folder; got {model_dirs!r}")
    if not patterns:
        raise UsageError(f"--target_data needs at least one file or pattern; got {target_data!r}")
    from repair.app.audit import audit
    from repair.robustness.audit_conditions import parse_strata_keys
    from repair.robustness.audit_summary import format_means

    try:
        if strata is not None:
            parse_strata_keys(strata)
        result = audit(
            model_dirs=models,
            data_dir=data_dir,
            patterns=patterns,
            output_dir=output_dir,
            batch_size=batch_size,
            strata=strata,
        )
    except ConfigError as error:  # a pattern outside DATA_DIR, a model named twice
        raise UsageError(str(error)) from None
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if json_output:
        report = {
            "models": result.models,
            "files": result.files,
            "rows": [row.to_dict() for row in result.rows],
            "means": [mean.to_dict() for mean in result.means],
            "written": [str(path) for path in result.written],
        }
        print(json.dumps(report))
        return
    print("mean accuracy (%) per model and intensity:")
    print(format_means(result.means, result.models))
    print(
        f"{len(result.models)} models x {len(result.files)} files: "
        f"wrote {', '.join(path.name for path in result.written)} to {output_dir}"
    )
