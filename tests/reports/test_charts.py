"""The chart functions: what they draw, and that the PNGs are real, readable images."""

from __future__ import annotations

import numpy as np
import pytest

from repair.core.iterations import IterationRow
from repair.core.results import confusion_matrix
from repair.reports._figure import save_png, shorten
from repair.reports.bubble import bubble_axes, bubble_chart
from repair.reports.lines import accuracy_over_iterations
from repair.reports.radar import overlay_radar_chart, radar_chart, radar_title
from tests.reports.conftest import BDD_NAMES, check_png, scores


def tick_texts(ax, axis="x"):
    return [t.get_text() for t in getattr(ax, f"get_{axis}ticklabels")()]


def test_radar_chart_names_axes_and_shows_scores(bdd_scores, tmp_path):
    figure = radar_chart(bdd_scores, radar_title("models/vgg", "data/test.h5"))
    ax = figure.axes[0]
    assert ax.name == "polar"
    texts = tick_texts(ax)
    assert len(texts) == 5
    pedestrian = next(s for s in bdd_scores if s.label == 6)
    assert f"pedestrian (6)\n{pedestrian.accuracy:.2f}" in texts
    assert "model: models/vgg" in figure.get_suptitle()
    assert "data: data/test.h5" in figure.get_suptitle()
    check_png(save_png(figure, tmp_path / "radar.png"), (800, 800))


def test_overlay_aligns_runs_by_label_and_has_a_legend(tmp_path):
    before = scores({2: (90, 100), 6: (70, 100), 8: (85, 100)})
    after = list(reversed(scores({8: (80, 100), 6: (76, 100), 12: (50, 100)})))  # order shuffled
    figure = overlay_radar_chart([("before", before), ("after", after)], "before vs after")
    ax = figure.axes[0]
    texts = tick_texts(ax)
    assert [t.split("\n")[0] for t in texts] == [
        "car (2)",
        "pedestrian (6)",
        "traffic light (8)",
        "truck (12)",
    ]
    assert texts[1].endswith("70.00 → 76.00")
    assert texts[0].endswith("90.00 → -")
    lines = [
        line
        for line in ax.get_lines()
        if line.get_label() in ("before (overall 81.67%)", "after (overall 68.67%)")
    ]
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0].get_ydata(), [90, 70, 85, np.nan, 90])
    np.testing.assert_allclose(lines[1].get_ydata(), [np.nan, 76, 80, 50, np.nan])
    legend = figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == [
        "before (overall 81.67%)",
        "after (overall 68.67%)",
    ]
    check_png(save_png(figure, tmp_path / "overlay.png"), (800, 800))


def test_radar_limits_clip_values_and_are_checked():
    run = scores({2: (20, 100), 6: (95, 100)})
    ax = radar_chart(run, "t", min_lim=50, max_lim=100).axes[0]
    assert ax.get_ylim() == (50, 100)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [50, 95, 50])
    assert tick_texts(ax)[0].endswith("20.00")  # the text keeps the true value
    with pytest.raises(ValueError, match="min_lim"):
        radar_chart(run, "t", min_lim=100, max_lim=100)


def test_bubble_axes_keep_predicted_classes_absent_from_the_data():
    true = np.array([2, 2, 2, 2, 6, 6])
    predicted = np.array([2, 2, 7, 7, 6, 1])  # 7 and 1 never occur as true labels
    rows, columns, shares = bubble_axes(confusion_matrix(true, predicted, 13))
    assert rows.tolist() == [2, 6]
    assert columns.tolist() == [1, 2, 6, 7]
    np.testing.assert_allclose(shares, [[0, 0.5, 0, 0.5], [0.5, 0, 0.5, 0]])


def test_bubble_chart_draws_every_class_with_names(bdd_predictions, tmp_path):
    true, predicted = bdd_predictions
    figure = bubble_chart(confusion_matrix(true, predicted, 13), BDD_NAMES, "title")
    ax = figure.axes[0]
    assert tick_texts(ax, "x") == [
        "bus (1)",
        "car (2)",
        "pedestrian (6)",
        "rider (7)",
        "traffic light (8)",
        "traffic sign (9)",
        "truck (12)",
    ]
    assert tick_texts(ax, "y")[0] == "car (2)"
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["correct", "misclassified"]
    sizes = ax.collections[0].get_sizes()
    assert len(sizes) == np.count_nonzero(bubble_axes(confusion_matrix(true, predicted, 13))[2])
    check_png(save_png(figure, tmp_path / "bubble.png"), (800, 900))


def test_iteration_plot(tmp_path):
    rows = [
        IterationRow(0, 70, 30, 70.0, 90.0),
        IterationRow(1, 75, 25, 75.0, 89.5),
        IterationRow(2, 74, 26, 74.0, 89.8),
    ]
    figure = accuracy_over_iterations(rows, "pedestrian", "Accuracy of pedestrian")
    ax = figure.axes[0]
    label_line, overall_line = ax.get_lines()
    assert label_line.get_label() == "pedestrian accuracy"
    np.testing.assert_allclose(label_line.get_ydata(), [70, 75, 74])
    np.testing.assert_allclose(overall_line.get_ydata(), [90, 89.5, 89.8])
    check_png(save_png(figure, tmp_path / "iterations.png"), (900, 560))


def text_boxes(figure, texts):
    renderer = figure.canvas.get_renderer()
    return [text.get_window_extent(renderer) for text in texts]


def test_iteration_plot_value_labels_never_overlap():
    # close values (92.00 over 91.11), equal values, crossing lines
    rows = [
        IterationRow(0, 21, 4, 84.0, 91.48),
        IterationRow(1, 23, 2, 92.0, 91.11),
        IterationRow(2, 23, 2, 91.0, 91.11),
        IterationRow(3, 23, 2, 91.11, 91.11),
        IterationRow(4, 23, 2, 100.0, 99.9),
    ]
    figure = accuracy_over_iterations(rows, "9", "t")
    ax = figure.axes[0]
    texts = ax.texts
    assert len(texts) == 2 * len(rows)
    boxes = text_boxes(figure, texts)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    inside = ax.get_window_extent()
    for text, box in zip(texts, boxes, strict=True):
        point_y = ax.transData.transform(text.xy)[1]
        assert box.y0 > point_y or box.y1 < point_y  # beside its point, not across it
        assert inside.y0 <= box.y0 and box.y1 <= inside.y1  # inside the axes, also at 100 %
    at = {(text.xy[0], text.get_text()): box for text, box in zip(texts, boxes, strict=True)}
    assert at[(1, "92.00")].y0 > at[(1, "91.11")].y1  # the higher value's label on top
    assert all(0 <= tick <= 100 for tick in ax.get_yticks())


@pytest.mark.parametrize("names", [None, BDD_NAMES], ids=["digits", "bdd"])
def test_bubble_chart_legend_sits_under_the_axes(names):
    rng = np.random.default_rng(1)
    true = rng.integers(0, 13 if names else 10, 500)
    predicted = np.where(rng.random(500) < 0.8, true, rng.integers(0, 13 if names else 10, 500))
    figure = bubble_chart(confusion_matrix(true, predicted, 13), names, "a\nb\nc")
    ax, legend = figure.axes[0], figure.legends[0]
    renderer = figure.canvas.get_renderer()
    frame = ax.get_tightbbox(renderer)  # the axes with its tick labels and axis labels
    below = legend.get_window_extent(renderer)
    title = figure.get_suptitle()
    assert title == "a\nb\nc"
    title_box = figure._suptitle.get_window_extent(renderer)
    assert 0 < frame.y0 - below.y1 < 40  # no empty band between the chart and the legend
    assert 0 < title_box.y0 - frame.y1 < 40
    assert below.y0 >= 0 and frame.x0 >= 0 and frame.x1 <= figure.bbox.width
    box = ax.get_window_extent(renderer)
    assert box.width == pytest.approx(box.height)
    assert box.height > 0.6 * figure.bbox.height  # the chart fills the figure


def test_charts_leave_pyplot_alone(bdd_scores):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    radar_chart(bdd_scores, "t")
    assert plt.get_fignums() == before


def test_shorten_keeps_the_tail():
    assert shorten("short") == "short"
    long = "a/" * 50 + "model"
    assert shorten(long, 20) == "…" + long[-19:] and len(shorten(long, 20)) == 20
