"""results.json reading and writing, and before/after comparison by label."""

from __future__ import annotations

import json

import pytest

from repair.core.label_results import (
    compare_results,
    display_name,
    find_label,
    format_comparison,
    overall_of,
    read_results,
    write_results,
)
from repair.errors import DataFormatError, InputNotFoundError
from tests.reports.conftest import scores


def test_write_follows_spec_and_round_trips(tmp_path):
    original = scores({12: (97, 486), 2: (11140, 11611), 6: (1132, 1530)})
    path = write_results(tmp_path, original)
    assert path == tmp_path / "results.json"
    entries = json.loads(path.read_text())
    assert [e[0] for e in entries] == ["2", "6", "12"]  # label order, not text order
    assert entries[1][1] == {
        "success": 1132,
        "failure": 398,
        "score": pytest.approx(73.98692810457516),
        "name": "pedestrian",
    }
    assert read_results(tmp_path) == original
    assert not [p for p in tmp_path.iterdir() if p.name != "results.json"]  # no temp files left


def test_reads_the_reference_toolkits_file(tmp_path):
    # The reference sorts labels as text and writes no class names.
    reference = [
        ["12", {"success": 97, "failure": 389, "score": 19.958847736625515}],
        ["2", {"success": 11140, "failure": 471, "score": 95.94350185169236}],
    ]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(reference, indent=4))
    read = read_results(path)
    assert [(s.label, s.name, s.correct, s.total) for s in read] == [
        (2, "2", 11140, 11611),
        (12, "12", 97, 486),
    ]
    assert read[0].accuracy == pytest.approx(95.94350185169236)


@pytest.mark.parametrize(
    "content",
    [
        '{"a": 1}',
        '[["x", {"success": 1, "failure": 0}]]',
        '[["1", {"success": 1}]]',
        "not json",
        '[["1", {"success": -1, "failure": 0}]]',
    ],
)
def test_bad_files_are_reported_with_their_path(tmp_path, content):
    path = tmp_path / "results.json"
    path.write_text(content)
    with pytest.raises(DataFormatError, match="results.json"):
        read_results(tmp_path)


def test_missing_file(tmp_path):
    with pytest.raises(InputNotFoundError, match="results file not found"):
        read_results(tmp_path)


def test_overall_and_names():
    run = scores({2: (9, 10), 6: (1, 10)})
    assert overall_of(run) == pytest.approx(50.0)
    assert overall_of([]) == 0.0
    assert display_name(run[1]) == "pedestrian (6)"
    assert display_name(scores({3: (1, 1)}, names=[str(i) for i in range(10)])[0]) == "3"
    assert find_label(run, "Pedestrian").label == 6
    assert find_label(run, "2").name == "car"
    assert find_label(run, "truck") is None


def test_compare_aligns_by_label_not_position():
    before = scores({2: (90, 100), 6: (70, 100), 8: (50, 50)})
    after = scores({2: (89, 100), 6: (80, 100), 12: (5, 10)})  # 8 missing, 12 new
    comparison = compare_results(before, after)
    rows = {row.label: row for row in comparison.labels}
    assert sorted(rows) == [2, 6, 8, 12]
    assert rows[6].change == pytest.approx(10.0)
    assert rows[2].change == pytest.approx(-1.0)
    assert rows[8].after is None and rows[8].change is None
    assert rows[12].before is None and rows[12].name == "truck"
    assert comparison.overall_before == pytest.approx(210 / 250 * 100)
    assert comparison.overall_after == pytest.approx(174 / 210 * 100)
    table = format_comparison(comparison)
    assert "| 6 | pedestrian | 70.00% | 80.00% | +10.00 |" in table
    assert "| 8 | traffic light | 100.00% | - | - |" in table
    assert table.splitlines()[-1].startswith("| overall | | 84.00% | 82.86% | -1.14 |")
    data = comparison.to_dict()
    assert data["overall"]["change"] == pytest.approx(-1.1429, abs=1e-4)
    assert data["labels"][2]["after"] is None
