"""The ``repair utils`` commands that compute, as keyword-only functions returning results.

Charts are drawn by :mod:`repair.reports`; numbers come from :mod:`repair.core`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repair.app.commands import TestResult, test


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
