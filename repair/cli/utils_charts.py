"""``repair utils`` chart commands: radar chart, overlaid radar charts, bubble chart.

Each turns its options into one call of :mod:`repair.app.utils` and prints the result;
matplotlib and TensorFlow are imported inside the commands so that ``--help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from repair.cli._app import UsageError
from repair.cli._options import (
    BatchSize,
    JsonOutput,
    ModelDir,
    file_name_option,
    parse_name_list,
)

ChartDataDir = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        "--input-dir",
        help="Folder holding TARGET_DATA (--input_dir is the reference toolkit's name).",
        exists=True,
        file_okay=False,
        show_default=False,
    ),
]
TargetData = Annotated[
    str, typer.Option("--target-data", "--test-data", help="Split file inside DATA_DIR.")
]
ChartOutputDir = Annotated[
    Path | None,
    typer.Option(help="Folder for the outputs [default: DATA_DIR].", show_default=False),
]
MinLim = Annotated[float, typer.Option(help="Centre of the radar chart (percent).")]
MaxLim = Annotated[float, typer.Option(help="Rim of the radar chart (percent).")]


def _check_limits(min_lim: float, max_lim: float) -> None:
    if not min_lim < max_lim:
        raise UsageError(f"--min_lim must be below --max_lim; got {min_lim:g} and {max_lim:g}")


def draw_radar_chart_command(
    model_dir: ModelDir,
    data_dir: ChartDataDir,
    target_data: TargetData = "test.h5",
    output_dir: ChartOutputDir = None,
    filename: Annotated[
        str, file_name_option("Name of the chart file (inside the output folder).")
    ] = "radar.png",
    min_lim: MinLim = 0.0,
    max_lim: MaxLim = 100.0,
    batch_size: BatchSize = 256,
    json_output: JsonOutput = False,
) -> None:
    """Test the model per label; write results.json and a radar chart of the accuracies."""
    _check_limits(min_lim, max_lim)
    from repair.app.utils import draw_radar_chart
    from repair.core.results import format_label_table

    drawn = draw_radar_chart(
        model=model_dir,
        data_file=data_dir / target_data,
        output_dir=output_dir or data_dir,
        filename=filename,
        min_lim=min_lim,
        max_lim=max_lim,
        batch_size=batch_size,
    )
    results, chart, accuracy = drawn.results, drawn.chart, drawn.scores.accuracy
    if json_output:
        labels = [score.to_dict() for score in drawn.scores.labels]
        report = {"accuracy": round(accuracy, 4), "labels": labels}
        print(json.dumps({**report, "results": str(results), "chart": str(chart)}))
        return
    print(f"accuracy: {accuracy:.2f}%")
    print(format_label_table(drawn.scores.labels))
    print(f"wrote {results} and {chart}")


def overlay_radar_charts_command(
    input_dirs: Annotated[
        str,
        typer.Option(
            help="Comma-separated folders (or results.json files) to overlay, e.g. before,after.",
            show_default=False,
        ),
    ],
    legends: Annotated[
        str | None,
        typer.Option(help="Comma-separated legend per input [default: the folder names]."),
    ] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the chart [default: the first input's folder].", show_default=False
        ),
    ] = None,
    filename: Annotated[
        str, file_name_option("Name of the chart file (inside the output folder).")
    ] = "radar_overlay.png",
    title: Annotated[
        str | None, typer.Option(help="Chart title [default: names the runs].")
    ] = None,
    min_lim: MinLim = 0.0,
    max_lim: MaxLim = 100.0,
) -> None:
    """Overlay the results.json of several runs on one radar chart, aligned by label."""
    _check_limits(min_lim, max_lim)
    paths = [Path(part) for part in parse_name_list(input_dirs)]
    names = parse_name_list(legends) if legends is not None else None
    if not paths:
        raise UsageError("--input_dirs needs at least one folder")
    if names is not None and len(names) != len(paths):
        raise UsageError(
            f"--legends needs one name per input ({len(paths)}); got {len(names)}: {legends!r}"
        )
    from repair.app.utils import overlay_radar_charts

    result = overlay_radar_charts(
        inputs=paths,
        legends=names,
        output_dir=output_dir,
        filename=filename,
        title=title,
        min_lim=min_lim,
        max_lim=max_lim,
    )
    print(f"wrote {result.chart}")


def draw_bubble_chart_command(
    model_dir: ModelDir,
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir",
            "--input-dir",
            "--test-dir",
            help="Folder holding TARGET_DATA (--input_dir, --test_dir: older names).",
            exists=True,
            file_okay=False,
            show_default=False,
        ),
    ],
    target_data: TargetData = "test.h5",
    output_dir: ChartOutputDir = None,
    filename: Annotated[
        str, file_name_option("Name of the chart file (inside the output folder).")
    ] = "bubble.png",
    batch_size: BatchSize = 256,
) -> None:
    """Draw the confusion matrix as bubbles: true vs predicted label, normalised per true label."""
    from repair.app.utils import draw_bubble_chart

    chart = draw_bubble_chart(
        model_dir=model_dir,
        data_file=data_dir / target_data,
        output_dir=output_dir or data_dir,
        filename=filename,
        batch_size=batch_size,
    )
    print(f"wrote {chart}")
