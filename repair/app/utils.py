"""The ``repair utils`` commands that compute, as keyword-only functions returning results.

Charts are drawn by :mod:`repair.reports`; numbers come from :mod:`repair.core`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repair.app.commands import TestResult, test

if TYPE_CHECKING:
    from repair.core.iterations import IterationRow


@dataclass(frozen=True)
class RadarResult:
    """The model tested per label, and the files written."""

    scores: TestResult
    results: Path
    chart: Path


def draw_radar_chart(
    *,
    model: Path | Any,
    data_file: Path,
    output_dir: Path,
    filename: str = "radar.png",
    min_lim: float = 0.0,
    max_lim: float = 100.0,
    batch_size: int = 256,
    title_model: str | None = None,
) -> RadarResult:
    """Test ``model`` per label on ``data_file``; write results.json and a radar chart."""
    from repair.core.label_results import write_results
    from repair.core.run_files import RESULTS_FILENAME
    from repair.reports._figure import save_png
    from repair.reports.radar import radar_chart, radar_title

    scores = test(model=model, data_file=data_file, batch_size=batch_size)
    results = write_results(output_dir / RESULTS_FILENAME, scores.labels)
    title = radar_title(title_model or str(model), str(data_file))
    figure = radar_chart(list(scores.labels), title, min_lim, max_lim)
    return RadarResult(scores, results, save_png(figure, output_dir / filename))


def draw_bubble_chart(
    *, model_dir: Path, data_file: Path, output_dir: Path, filename: str, batch_size: int = 256
) -> Path:
    """Draw the confusion matrix of the model on ``data_file`` as bubbles; the chart's path."""
    from repair.core.model import predict_file
    from repair.core.results import confusion_matrix
    from repair.reports._figure import save_png
    from repair.reports.bubble import bubble_chart
    from repair.reports.radar import radar_title

    info, predictions = predict_file(model_dir, data_file, batch_size)
    counts = confusion_matrix(predictions.true, predictions.predicted, info.num_classes)
    title = radar_title(str(model_dir), str(data_file), "Predicted vs true label")
    return save_png(bubble_chart(counts, info.class_names, title), output_dir / filename)


def split_dataset(
    *, source: Path, output_dir: Path, chunk_size: int = 100, num_chunks: int = 10
) -> tuple[list[Any], list[Path]]:
    """Cut ``source`` into output_dir/<k>/repair.h5; the chunks, and older chunks left there."""
    from repair.core.chunking import split_into_chunks, stale_chunks

    chunks = split_into_chunks(source, output_dir, chunk_size, num_chunks)
    return chunks, stale_chunks(output_dir, len(chunks))


@dataclass(frozen=True)
class OverlayResult:
    """The chart written and the legend name of each run, in input order."""

    chart: Path
    names: tuple[str, ...]


def overlay_radar_charts(
    *,
    inputs: Sequence[Path],
    legends: Sequence[str] | None = None,
    output_dir: Path | None = None,
    filename: str = "radar_overlay.png",
    title: str | None = None,
    min_lim: float = 0.0,
    max_lim: float = 100.0,
) -> OverlayResult:
    """Overlay the results.json of ``inputs`` (folders or files) on one radar chart, aligned
    by label; legends default to the folder names, the output folder to the first input's."""
    from repair.core.label_results import read_results, results_path
    from repair.reports._figure import save_png
    from repair.reports.radar import overlay_radar_chart

    paths = [Path(path) for path in inputs]
    runs = [read_results(path) for path in paths]
    names = list(legends or [results_path(path).parent.name or str(path) for path in paths])
    title = title or "Accuracy per label (%)\n" + " vs ".join(names)
    figure = overlay_radar_chart(list(zip(names, runs, strict=True)), title, min_lim, max_lim)
    chart = save_png(figure, (output_dir or results_path(paths[0]).parent) / filename)
    return OverlayResult(chart, tuple(names))


@dataclass(frozen=True)
class IterationTable:
    """One label over a run's iterations: its class name, the rows, the markdown table, the
    best iteration (None: no gain over the start is significant) and the files written."""

    name: str
    rows: tuple[IterationRow, ...]
    table: str
    best: IterationRow | None
    written: tuple[Path, ...]


def iteration_table(
    *,
    run_dir: Path,
    label: str,
    iterations: int | None = None,
    output_dir: Path | None = None,
    title: str | None = None,
) -> IterationTable:
    """Tabulate ``label`` (a class name or index) over run_dir/0, 1, ...: write
    iterations.csv, iterations.md and iterations.png into ``output_dir`` (default: run_dir)."""
    from repair.core.files import write_text_atomic
    from repair.core.iterations import best_iteration, iteration_rows, rows_to_csv, rows_to_markdown
    from repair.core.staging import staged
    from repair.reports._figure import save_png, shorten
    from repair.reports.lines import accuracy_over_iterations, label_phrase

    name, rows = iteration_rows(run_dir, label, iterations)
    output_dir = Path(output_dir or run_dir)
    table = rows_to_markdown(name, rows)
    title = title or (
        f"Accuracy of {label_phrase(name)} over repair iterations\nrun: {shorten(str(run_dir))}"
    )
    names = ("iterations.csv", "iterations.md", "iterations.png")
    with staged(output_dir, "iteration_table") as stage:  # the three files of one table
        write_text_atomic(stage / names[0], rows_to_csv(name, rows))
        write_text_atomic(stage / names[1], table + "\n")
        save_png(accuracy_over_iterations(rows, name, title), stage / names[2])
    written = tuple(output_dir / file for file in names)
    return IterationTable(name, tuple(rows), table, best_iteration(rows), written)


@dataclass(frozen=True)
class LabelIndex:
    """A class's label index and its name in the split file."""

    index: int
    name: str


def label_index(*, data_file: Path, label: str) -> LabelIndex:
    """The label whose class name (case-insensitive) or index is ``label`` in ``data_file``;
    ConfigError naming the known classes when there is none."""
    from repair.core.data import inspect_split
    from repair.errors import ConfigError

    info = inspect_split(data_file)
    index = info.label_index(label)
    if index is None:
        names = [info.class_name(i) for i in range(info.num_classes)]
        raise ConfigError(
            f"--label {label!r} is not a class of {info.path}. Known: " + ", ".join(names)
        )
    return LabelIndex(index, info.class_name(index))
