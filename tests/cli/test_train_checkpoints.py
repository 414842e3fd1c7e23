"""repair train --checkpoints every|last|none: keep what the repair methods read, no more."""

from __future__ import annotations

import json
from pathlib import Path

from repair.core.data import read_split, write_split
from tests.conftest import run_ok, run_repair


def _checkpoints(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "checkpoints").iterdir())


def test_checkpoint_policies_and_reruns_replace_only_recorded_checkpoints(
    digits_data_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    train = read_split(digits_data_dir / "train.h5")
    write_split(data / "train.h5", train.images[:64], train.labels[:64], num_classes=10)
    out = tmp_path / "model"
    base = ["train", "--data_dir", data, "--output_dir", out, "--batch_size=32"]

    run_ok([*base, "--epochs=3", "--checkpoints=every"])
    assert _checkpoints(out) == ["epoch_001.keras", "epoch_002.keras", "epoch_003.keras"]
    recorded = json.loads((out / ".repair-train-checkpoints.json").read_text())["files"]
    assert len(recorded) == 3
    (out / "checkpoints" / "mine.keras").write_text("the user's own")

    run_ok([*base, "--epochs=1", "--checkpoints=none"])
    assert _checkpoints(out) == ["mine.keras"]
    assert (out / "model.keras").is_file()

    run_ok([*base, "--epochs=3"])  # default: last
    assert _checkpoints(out) == ["epoch_002.keras", "epoch_003.keras", "mine.keras"]

    result = run_repair([*base, "--checkpoints=some"])
    assert result.exit_code == 2 and "--checkpoints" in result.stderr
