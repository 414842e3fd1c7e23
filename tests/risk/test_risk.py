"""`repair utils risk_calculation_tool`: the reference's results.json on a hand-made fixture,
the risk and its intervals against a hand computation, the crops copied, and bad inputs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from repair.risk import rates
from tests.conftest import run_ok, run_repair
from tests.risk.conftest import RiskFixture


def wilson(k: int, n: int, z: float) -> tuple[float, float]:
    """Wilson's score interval, written out from Wilson (1927), as fractions."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


Z95 = 1.959963984540054


def test_wilson_bounds_match_published_values() -> None:
    assert wilson(5, 10, Z95) == pytest.approx((0.2366, 0.7634), abs=1e-4)


def test_risk_rows_equal_a_hand_computation() -> None:
    confusion = np.array([[1, 0, 0], [1, 1, 1], [0, 0, 1]])
    rows = rates.risk_rows(10, confusion, ("car", "pedestrian", "truck"))
    assert [row.label for row in rows] == [0, 1, 2]
    pedestrian = rows[1]
    assert pedestrian.existence.value == 0.3  # 3 pedestrians in the condition, of 10 images
    assert pedestrian.misrecognized.value == pytest.approx(2 / 3)
    assert pedestrian.risk.value == pytest.approx(0.3 * 2 / 3)
    assert pedestrian.existence.interval == pytest.approx(wilson(3, 10, Z95))
    assert pedestrian.misrecognized.interval == pytest.approx(wilson(2, 3, Z95))
    assert pedestrian.risk.interval == pytest.approx(wilson(2, 10, Z95))
    assert rows[0].risk.value == 0.0 and rows[0].risk.interval[0] == 0.0
    assert rates.risk_rows(10, np.zeros((3, 3), int), ("a", "b", "c")) == []


def test_miss_rate_summary_keeps_the_reference_keys() -> None:
    summary = rates.miss_rate_summary(np.array([[2, 1], [0, 0]]))
    assert summary == {
        "summary": {
            "0": {"total_image_count": 3, "misrecognized_image_count": 1,
                  "misrecognized_rate": 1 / 3},
            "1": {"total_image_count": 0, "misrecognized_image_count": 0,
                  "misrecognized_rate": 0},
        },
        "confusion_matrix": [[2, 1], [0, 0]],
    }  # fmt: skip


def command(fx: RiskFixture, out: Path, target: str = "scene_prob_and_miss_rate", *extra: str):
    return [
        "utils", "risk_calculation_tool", f"--calc_target={target}",
        "--h5_dataset_path", fx.splits, "--scalabel_format_label_path", fx.labels,
        "--model_dir", fx.model, "--output_dir", out, *extra,
    ]  # fmt: skip


def test_rainy_night_over_folders_of_splits_and_labels(risk_fixture, tmp_path) -> None:
    out = tmp_path / "out"
    result = run_ok(
        command(risk_fixture, out, "scene_prob_and_miss_rate",
                "--attributes", "weather=rainy, timeofday=night",
                "--create_image_subset_output_path", risk_fixture.crops)
    )  # fmt: skip
    response = json.loads((out / "results.json").read_text())["response"]
    assert response["query"] == {"weather": "rainy", "timeofday": "night"}
    # f2 is rainy at night: a0, a1, a2, b0, b1 of the 10 images.
    assert response["scene_prob"] == {
        "summary": {"total_image_count": 10, "image_count_matched_to_query": 5,
                    "existence_rate": 0.5}
    }  # fmt: skip
    assert response["miss_rate"]["confusion_matrix"] == [[1, 0, 0], [1, 1, 1], [0, 0, 1]]
    assert response["miss_rate"]["summary"]["1"] == {
        "total_image_count": 3, "misrecognized_image_count": 2, "misrecognized_rate": 2 / 3
    }  # fmt: skip
    pedestrian = response["risk"]["classes"]["1"]
    assert pedestrian["name"] == "pedestrian"
    assert pedestrian["existence_rate"] == {
        "count": 3, "total": 10, "rate": 0.3,
        "low": pytest.approx(wilson(3, 10, Z95)[0]), "high": pytest.approx(wilson(3, 10, Z95)[1]),
    }  # fmt: skip
    assert pedestrian["misrecognized_rate"]["rate"] == pytest.approx(2 / 3)
    assert pedestrian["risk"]["rate"] == pytest.approx(0.3 * 2 / 3)
    assert (pedestrian["risk"]["low"], pedestrian["risk"]["high"]) == pytest.approx(
        wilson(2, 10, Z95)
    )
    assert list(response["risk"]["classes"]) == ["0", "1", "2"]
    assert (
        "| 1 | pedestrian | 3 | 30.00% | [10.78, 60.32] | 2 | 66.67% | [20.77, 93.85] "
        "| 20.00% | [5.67, 50.98] |" in result.stdout
    )
    matched = sorted(p.name for p in (out / "matched_data").iterdir())
    assert matched == ["a0.jpg", "a1.jpg", "a2.jpg", "b0.jpg", "b1.jpg"]
    wrong = sorted(p.relative_to(out).as_posix() for p in out.rglob("misrecognition_data/*/*/*"))
    assert wrong == ["misrecognition_data/1/0/a2.jpg", "misrecognition_data/1/2/b0.jpg"]
    assert (out / "misrecognition_data/1/0/a2.jpg").read_bytes() == b"a2.jpg"


def test_a_label_query_and_a_rerun_that_replaces_only_its_own_files(risk_fixture, tmp_path):
    out = tmp_path / "out"
    crops = ["--create_image_subset_output_path", risk_fixture.crops]
    run_ok(
        command(
            risk_fixture, out, "scene_prob_and_miss_rate", "--attributes=timeofday=night", *crops
        )
    )
    assert (out / "matched_data" / "a5.jpg").is_file()
    (out / "matched_data" / "mine.txt").write_text("the user's")
    run_ok(
        command(risk_fixture, out, "scene_prob_and_miss_rate", "--label=pedestrian",
                "--attributes", "weather=rainy", "--format_json", *crops)
    )  # fmt: skip
    text = (out / "results.json").read_text()
    assert text.startswith('{\n    "response"')  # --format_json: the reference's indent
    response = json.loads(text)["response"]
    assert response["query"] == {"label": "1", "weather": "rainy"}
    # pedestrians in rainy frames (f2, f3): a1, a2, b0 of 10; a2 and b0 missed.
    assert response["scene_prob"]["summary"]["existence_rate"] == 0.3
    # The same pedestrian row as the query without --label: existence 3/10, risk 2/10.
    assert list(response["risk"]["classes"]) == ["1"]
    assert response["risk"]["classes"]["1"]["risk"]["count"] == 2
    assert response["risk"]["classes"]["1"]["risk"]["rate"] == pytest.approx(0.2)
    matched = sorted(p.name for p in (out / "matched_data").iterdir())
    assert matched == ["a1.jpg", "a2.jpg", "b0.jpg", "mine.txt"]
    assert not (out / "misrecognition_data" / "0").exists()  # a5 (car at night) was dropped


def test_miss_rate_alone_counts_every_image_of_one_file(risk_fixture, tmp_path) -> None:
    out = tmp_path / "out"
    result = run_ok(
        ["utils", "risk_calculation_tool", "--calc_target", "miss_rate", "--h5_dataset_path",
         risk_fixture.splits / "a.h5", "--model_dir", risk_fixture.model, "--output_dir", out,
         "--json"]
    )  # fmt: skip
    response = json.loads(result.stdout)["response"]
    assert set(response) == {"miss_rate"}
    assert response["miss_rate"]["confusion_matrix"] == [[1, 1, 0], [1, 1, 1], [0, 0, 1]]
    assert json.loads((out / "results.json").read_text()) == {"response": response}
    assert not (out / "matched_data").exists()


def test_scene_prob_alone_needs_no_model(risk_fixture, tmp_path) -> None:
    out = tmp_path / "out"
    result = run_ok(
        ["utils", "risk_calculation_tool", "--calc_target=scene_prob", "--h5_dataset_path",
         risk_fixture.splits, "--scalabel_format_label_path", risk_fixture.labels,
         "--attributes", "scene=highway", "--output_dir", out, "--label", "0"]
    )  # fmt: skip
    response = json.loads((out / "results.json").read_text())["response"]
    # Cars: a0 (f2, city street), a5 (f4, highway), b2 (f1, highway).
    assert response == {
        "query": {"label": "0", "scene": "highway"},
        "scene_prob": {"summary": {"total_image_count": 10, "image_count_matched_to_query": 2,
                                   "existence_rate": 0.2}},
    }  # fmt: skip
    assert "2 of 10 images match" in result.stdout


def test_without_label_files_the_splits_own_keys_give_the_same_figures(risk_fixture, tmp_path):
    from tests.risk.conftest import IMAGES, write_images

    for name, rows in IMAGES.items():
        write_images(tmp_path / "keyed" / name, rows, frame_keys=True)
    out = tmp_path / "out"
    run_ok(
        ["utils", "risk_calculation_tool", "--calc_target=scene_prob_and_miss_rate",
         "--h5_dataset_path", tmp_path / "keyed", "--model_dir", risk_fixture.model,
         "--output_dir", out, "--attributes", "weather=rainy,timeofday=night"]
    )  # fmt: skip
    response = json.loads((out / "results.json").read_text())["response"]
    assert response["scene_prob"]["summary"]["image_count_matched_to_query"] == 5
    assert response["miss_rate"]["confusion_matrix"] == [[1, 0, 0], [1, 1, 1], [0, 0, 1]]
    assert response["risk"]["classes"]["1"]["risk"]["rate"] == pytest.approx(0.2)
    bad = run_repair(
        ["utils", "risk_calculation_tool", "--calc_target=scene_prob", "--h5_dataset_path",
         tmp_path / "keyed", "--output_dir", out, "--attributes", "timeofday=dusk"]
    )  # fmt: skip
    assert bad.exit_code == 2
    assert "has timeofday=dusk; its values: daytime, night" in bad.stderr
