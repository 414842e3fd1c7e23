"""The commands that need no model, with small real inputs for each, and a probe that says
whether running one imported TensorFlow.

Shared by tests/cli/test_no_tensorflow.py (no command may import it) and
scripts/bench_imports.py (how long each takes beside ``repair --help``). The inputs: the digits
test split, results.json files of three "iterations" (a nearest-centroid classifier of the
digits fitted on 50, 150 and all training images: real predictions without a model), and a few
BDD-style frames (repair/datasets/bdd/synthetic.py) cut into a category folder.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np

from repair.app.bdd import create_category_dir
from repair.core.data import read_split
from repair.core.label_results import write_results
from repair.core.results import label_scores
from repair.datasets.bdd.synthetic import write_frames

# Runs ``repair ARGS`` in-process, then prints which heavy modules the run imported.
PROBE = """
import json, sys
from repair.cli.main import app
code = 0
try:
    app(args=sys.argv[1:], prog_name="repair")
except SystemExit as exit:
    code = exit.code
heavy = sorted(name for name in ("tensorflow", "keras") if name in sys.modules)
print("probe:", json.dumps({"code": code, "heavy": heavy}))
"""

# name -> (arguments, relative to the inputs folder; a file the command writes, or None)
COMMANDS: dict[str, tuple[list[str], str | None]] = {
    "--help": (["--help"], None),
    "optimize --help": (["optimize", "--help"], None),
    "utils label_index": (["utils", "label_index", "--data_dir=data", "--label=3"], None),
    "utils split_dataset": (
        ["utils", "split_dataset", "--input=data/test.h5", "--chunk_size=50", "--num_chunks=2"]
        + ["--output_dir=out/chunks"],
        "out/chunks/1/repair.h5",
    ),
    "utils compare": (
        ["utils", "compare", "--before=run/0", "--after=run/2", "--require=overall>=+0"],
        None,
    ),
    "utils overlay_radar_charts": (
        ["utils", "overlay_radar_charts", "--input_dirs=run/0,run/2", "--output_dir=out/radar"],
        "out/radar/radar_overlay.png",
    ),
    "utils iteration_table": (
        ["utils", "iteration_table", "--run_dir=run", "--label=3", "--output_dir=out/table"],
        "out/table/iterations.png",
    ),
    "corrupt": (
        ["corrupt", "--data_dir=data", "--corruptions=fog,gaussian_noise", "--intensities=1,3"]
        + ["--output_dir=out/corrupted"],
        "out/corrupted/fog_3.h5",
    ),
    "prepare digits": (
        ["prepare", "digits", "--output_dir=out/digits", "--random_state=0"],
        "out/digits/repair.h5",
    ),
    "create_category_dir": (
        ["create_category_dir", "--input_dir=bdd/images", "--label_file=bdd/labels.json"]
        + ["--output_dir=out/categories", "--workers=1"],
        "out/categories/summary.json",
    ),
    "create_image_subset": (
        ["create_image_subset", "--category_dir=categories", "--output_dir=out/subset"]
        + ["--num=10", "--resize_to=32"],
        "out/subset/image_info.json",
    ),
}


def probe_command(args: list[str], preamble: str = "") -> list[str]:
    """The command line that runs ``repair ARGS`` under :data:`PROBE`, after ``preamble``."""
    return [sys.executable, "-c", preamble + "\n" + PROBE, *args]


def nearest_centroid(train_images: np.ndarray, train_labels: np.ndarray, images: np.ndarray):
    """Predicted labels (n,) of ``images``: the class whose mean training image is nearest."""
    flat = train_images.reshape(len(train_images), -1)
    centroids = np.stack([flat[train_labels == c].mean(axis=0) for c in range(10)])
    distances = ((images.reshape(len(images), 1, -1) - centroids[None]) ** 2).sum(axis=-1)
    return np.argmin(distances, axis=1)


def make_inputs(folder: Path, digits_dir: Path) -> Path:
    """Write every command's inputs into ``folder`` from the digits splits in ``digits_dir``
    (train.h5, test.h5); return ``folder``."""
    (folder / "data").mkdir(parents=True)
    shutil.copy(digits_dir / "test.h5", folder / "data" / "test.h5")
    train, test = read_split(digits_dir / "train.h5"), read_split(digits_dir / "test.h5")
    for iteration, count in enumerate((50, 150, len(train))):
        predicted = nearest_centroid(train.images[:count], train.labels[:count], test.images)
        scores = label_scores(test.labels, predicted, 10, [str(c) for c in range(10)])
        (folder / "run" / str(iteration)).mkdir(parents=True)
        write_results(folder / "run" / str(iteration), scores)
    images, labels = folder / "bdd" / "images", folder / "bdd" / "labels.json"
    write_frames(images, labels, 4, objects_per_frame=6, width=160, height=90, seed=0)
    create_category_dir(
        input_dir=images, label_file=labels, output_dir=folder / "categories", workers=1
    )
    return folder
