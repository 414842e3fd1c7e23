"""The risk tool on generated BDD-style frames through the real pipeline (create_category_dir,
prepare bdd-objects): the existence counts equal counts made from the label JSON itself."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from repair.datasets.bdd.synthetic import write_frames
from tests.conftest import run_ok


@pytest.fixture(scope="module")
def bdd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("risk-bdd")
    frames = write_frames(
        root / "frames", root / "labels" / "det.json", 12, objects_per_frame=10, width=320,
        height=180, seed=4,
    )  # fmt: skip
    run_ok(
        ["create_category_dir", "--input_dir", root / "frames", "--label_file",
         root / "labels" / "det.json", "--output_dir", root / "crops", "--workers=1"]
    )  # fmt: skip
    run_ok(
        ["prepare", "bdd-objects", "--input_dir", root / "crops", "--output_dir", root / "data",
         "--data_ratio=1,0,0,0", "--workers=1"]
    )  # fmt: skip
    (root / "frames.json").write_text(json.dumps({f["name"]: f["attributes"] for f in frames}))
    return root


def expected_counts(root: Path, key: str) -> Counter:
    """Crops per value of the frame attribute ``key``, from image_info.json and the labels."""
    attributes = json.loads((root / "frames.json").read_text())
    crops = json.loads((root / "crops" / "image_info.json").read_text())  # one record per crop
    return Counter(attributes[crop["frame"]].get(key, "undefined") for crop in crops)


@pytest.mark.parametrize("labels", [True, False], ids=["label-json", "per-image-keys"])
def test_existence_counts_equal_the_label_json(bdd: Path, tmp_path: Path, labels: bool) -> None:
    counts = expected_counts(bdd, "timeofday")
    assert len(counts) > 1  # the generator varies the time of day
    source = ["--scalabel_format_label_path", bdd / "labels"] if labels else []
    for value, count in counts.items():
        out = tmp_path / value.replace("/", "-")
        run_ok(
            ["utils", "risk_calculation_tool", "--calc_target=scene_prob", "--h5_dataset_path",
             bdd / "data" / "train.h5", *source, "--attributes", f"timeofday={value}",
             "--output_dir", out, "--create_image_subset_output_path", bdd / "crops"]
        )  # fmt: skip
        summary = json.loads((out / "results.json").read_text())["response"]["scene_prob"]
        assert summary["summary"]["total_image_count"] == sum(counts.values())
        assert summary["summary"]["image_count_matched_to_query"] == count
        assert len(list((out / "matched_data").iterdir())) == count
