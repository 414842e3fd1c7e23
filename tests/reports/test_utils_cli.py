"""The ``repair utils`` commands on the digits data and a model trained on it."""

from __future__ import annotations

import json
import shutil

import pytest

from repair.core.data import inspect_split, read_split
from repair.core.label_results import read_results, write_results
from tests.conftest import run_ok, run_repair
from tests.reports.conftest import check_png, scores


@pytest.fixture(scope="module")
def radar_dir(digits_data_dir, digits_model_dir, tmp_path_factory):
    """The outputs of draw_radar_chart (given --input_dir, the reference's name) on test.h5."""
    out = tmp_path_factory.mktemp("radar")
    result = run_ok(
        [
            "utils",
            "draw_radar_chart",
            "--model_dir",
            digits_model_dir,
            "--input_dir",
            digits_data_dir,
            "--target_data=test.h5",
            "--output_dir",
            out,
        ]
    )
    assert result.stdout.startswith("accuracy: ")
    assert f"wrote {out}/results.json and {out}/radar.png" in result.stdout
    return out


def test_radar_results_equal_what_repair_test_reports(radar_dir, digits_data_dir, digits_model_dir):
    tested = json.loads(
        run_ok(
            ["test", "--model_dir", digits_model_dir, "--data_dir", digits_data_dir, "--json"]
        ).stdout
    )
    entries = json.loads((radar_dir / "results.json").read_text())
    assert [e[0] for e in entries] == [str(row["label"]) for row in tested["labels"]]
    for (_, counts), row in zip(entries, tested["labels"], strict=True):
        assert counts["success"] == row["correct"]
        assert counts["failure"] == row["total"] - row["correct"]
        assert counts["score"] == pytest.approx(row["accuracy"], abs=1e-3)
        assert counts["name"] == row["name"]
    check_png(radar_dir / "radar.png", (800, 800))


def test_radar_json_output_and_default_output_dir(digits_workdir, digits_model_dir):
    result = run_ok(
        [
            "utils",
            "draw_radar_chart",
            "--model-dir",
            digits_model_dir,
            "--data-dir",
            digits_workdir,
            "--filename",
            "r.png",
            "--json",
        ]
    )
    report = json.loads(result.stdout)
    assert report["results"] == str(digits_workdir / "results.json")
    assert report["chart"] == str(digits_workdir / "r.png")
    assert (
        sum(label["total"] for label in report["labels"])
        == inspect_split(digits_workdir / "test.h5").num_samples
    )
    check_png(digits_workdir / "r.png", (800, 800))


def test_radar_rejects_bad_limits_before_loading_anything(digits_data_dir, digits_model_dir):
    result = run_repair(
        [
            "utils",
            "draw_radar_chart",
            "--model_dir",
            digits_model_dir,
            "--data_dir",
            digits_data_dir,
            "--min_lim=90",
            "--max_lim=80",
        ]
    )
    assert result.exit_code == 2
    assert "--min_lim must be below --max_lim; got 90 and 80" in result.stderr


def test_bubble_chart(digits_data_dir, digits_model_dir, tmp_path):
    result = run_ok(
        [
            "utils",
            "draw_bubble_chart",
            "--model_dir",
            digits_model_dir,
            "--test_dir",
            digits_data_dir,
            "--test_data=val.h5",
            "--output_dir",
            tmp_path,
        ]
    )
    assert result.stdout.strip() == f"wrote {tmp_path}/bubble.png"
    check_png(tmp_path / "bubble.png", (800, 900))


def test_overlay(radar_dir, tmp_path):
    after = tmp_path / "after"
    repaired = [
        s if s.label != 1 else type(s)(1, "1", s.total, s.total) for s in read_results(radar_dir)
    ]
    write_results(after, repaired)
    run_ok(
        [
            "utils",
            "overlay_radar_charts",
            f"--input_dirs={radar_dir},{after}/results.json",
            "--legends",
            "before,after",
            "--output_dir",
            tmp_path,
        ]
    )
    check_png(tmp_path / "radar_overlay.png", (800, 800))
    bad = run_repair(
        [
            "utils",
            "overlay_radar_charts",
            f"--input_dirs={radar_dir},{after}",
            "--legends",
            "only one",
        ]
    )
    assert bad.exit_code == 2 and "--legends needs one name per input (2); got 1" in bad.stderr
    missing = run_repair(["utils", "overlay_radar_charts", f"--input_dirs={tmp_path}/nothing"])
    assert missing.exit_code == 1 and "results file not found" in missing.stderr


def test_split_dataset(digits_workdir):
    total = inspect_split(digits_workdir / "repair.h5").num_samples
    result = run_ok(
        ["utils", "split_dataset", "--input", digits_workdir / "repair.h5", "--chunk_size", 100]
    )
    out = digits_workdir / "repairsets"
    count = -(-total // 100)
    assert f"wrote {count} chunks ({total} samples) to {out}" in result.stdout
    assert f"the data ran out after {count} of 10 chunks" in result.stdout
    whole = read_split(digits_workdir / "repair.h5")
    last = read_split(out / str(count - 1) / "repair.h5")
    assert list(last.image_ids) == list(whole.image_ids[(count - 1) * 100 :])
    assert inspect_split(out / "0" / "repair.h5").class_names == tuple(map(str, range(10)))
    result = run_ok(
        [
            "utils",
            "split_dataset",
            "--input",
            digits_workdir / "repair.h5",
            "--chunk_size=30",
            "--num_chunks=2",
            "--output_dir",
            digits_workdir / "few",
            "--json",
        ]
    )
    report = json.loads(result.stdout)
    assert [(c["start"], c["stop"]) for c in report["chunks"]] == [(0, 30), (30, 60)]
    assert (
        run_repair(
            ["utils", "split_dataset", "--input", digits_workdir / "repair.h5", "--chunk_size=0"]
        ).exit_code
        == 2
    )


@pytest.fixture
def before_after(tmp_path):
    before, after = tmp_path / "before", tmp_path / "after"
    write_results(before, scores({2: (950, 1000), 6: (70, 100), 8: (80, 100)}))
    write_results(after, scores({2: (940, 1000), 6: (78, 100), 8: (80, 100)}))
    return before, after


def test_compare_prints_the_table_and_passes(before_after):
    before, after = before_after
    result = run_ok(
        [
            "utils",
            "compare",
            "--before",
            before,
            "--after",
            after,
            "--require",
            "pedestrian>=75,car>=90,overall>=-1",
        ]
    )
    lines = result.stdout.splitlines()
    assert "| 6 | pedestrian | 70.00% | 78.00% | +8.00 |" in lines
    assert "| overall | | 91.67% | 91.50% | -0.17 |" in lines
    assert "ok   pedestrian accuracy >= 75%: got 78.00%" in lines


def test_compare_fails_with_one_line_per_failed_requirement(before_after):
    before, after = before_after
    result = run_repair(
        [
            "utils",
            "compare",
            "--before",
            before,
            "--after",
            after / "results.json",
            "--require=pedestrian>=80,car>=+0,traffic light>=80",
        ]
    )
    assert result.exit_code == 1
    assert "FAIL pedestrian accuracy >= 80%: got 78.00%" in result.stdout
    assert "FAIL car change in points >= +0: got -1.00" in result.stdout
    assert "ok   traffic light accuracy >= 80%: got 80.00%" in result.stdout
    assert result.stderr.startswith("error: 2 of 3 requirements failed")
    report = json.loads(
        run_repair(
            [
                "utils",
                "compare",
                "--before",
                before,
                "--after",
                after,
                "--require=car>=+0",
                "--json",
            ]
        ).stdout
    )
    assert report["passed"] is False
    assert report["requirements"] == [{"requirement": "car>=+0", "actual": -1.0, "passed": False}]


@pytest.mark.parametrize(
    ("require", "message"),
    [
        ("pedestrian=>75", "cannot read 'pedestrian=>75'"),
        ("bus>=10", "unknown label 'bus'. Known: car, pedestrian, traffic light, overall"),
    ],
)
def test_compare_usage_errors(before_after, require, message):
    before, after = before_after
    result = run_repair(
        ["utils", "compare", "--before", before, "--after", after, "--require", require]
    )
    assert result.exit_code == 2 and message in result.stderr


def test_iteration_table(tmp_path):
    for k, (correct, overall_extra) in enumerate([(70, 0), (75, 5), (74, 3)]):
        write_results(
            tmp_path / str(k), scores({2: (900 + overall_extra, 1000), 6: (correct, 100)})
        )
    summary = {"patched": 3, "negatives": 4, "broken": 1, "positives": 90, "seed": 1}
    (tmp_path / "1" / "summary.json").write_text(json.dumps(summary))
    shutil.rmtree(tmp_path / "2")  # a gap ends the table: 0 and 1 only
    write_results(tmp_path / "3", scores({2: (1, 1)}))
    result = run_ok(["utils", "iteration_table", "--run_dir", tmp_path, "--label", "pedestrian"])
    assert "| 0 | 70 | 30 | 70.00 [60.42, 78.11] | 88.18 | - | start |" in result.stdout
    assert "| 1 | 75 | 25 | 75.00 [65.70, 82.45] | 89.09 | - | 3/4 patched, 1/90 broken |" in (
        result.stdout
    )
    assert "best iteration: none" in result.stdout  # no paired.json: no significance known
    csv_lines = (tmp_path / "iterations.csv").read_text().splitlines()
    assert csv_lines[0] == (
        "iteration,correct,incorrect,accuracy_pedestrian,overall_accuracy,"
        "patched,negatives,broken,positives,accuracy_pedestrian_low,accuracy_pedestrian_high,"
        "p_vs_start"
    )
    assert csv_lines[1].startswith("0,70,30,70.0,88.181818") and ",,,,60.4" in csv_lines[1]
    assert ",3,4,1,90,65.69" in csv_lines[2] and csv_lines[2].endswith(",")
    assert len(csv_lines) == 3
    assert (tmp_path / "iterations.md").read_text() in result.stdout
    check_png(tmp_path / "iterations.png", (900, 560))
    (tmp_path / "1" / "summary.json").unlink()
    only_start = run_ok(
        [
            "utils",
            "iteration_table",
            "--run_dir",
            tmp_path,
            "--label",
            "6",
            "--iterations=1",
            "--output_dir",
            tmp_path / "t",
        ]
    )
    assert (
        "| 1 | 75 | 25 | 75.00 [65.70, 82.45] | 89.09 | - | no negatives: skipped |"
        in only_start.stdout
    )
    bad = run_repair(["utils", "iteration_table", "--run_dir", tmp_path, "--label", "bus"])
    assert bad.exit_code == 1 and "label 'bus' is not in" in bad.stderr
    beyond = run_repair(
        ["utils", "iteration_table", "--run_dir", tmp_path, "--label", "6", "--iterations=2"]
    )
    assert beyond.exit_code == 1 and "no iteration results found" in beyond.stderr


def test_label_index(digits_data_dir):
    assert (
        run_ok(["utils", "label_index", "--data_dir", digits_data_dir, "--label", "7"]).stdout
        == "7\n"
    )
    bad = run_repair(["utils", "label_index", "--data_dir", digits_data_dir, "--label", "cat"])
    assert bad.exit_code == 2 and "Known: 0, 1, 2" in bad.stderr
