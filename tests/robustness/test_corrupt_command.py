"""`repair corrupt` end to end, and accuracy under corruption of a small digits model."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from repair.core.data import read_split
from repair.robustness import COMMON
from repair.robustness.corrupt_split import corrupt_split
from tests.conftest import run_ok, run_repair


@pytest.fixture(scope="session")
def digits32_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The digits upscaled to 32x32 RGB (CIFAR's shape), with a `base` CNN trained on them."""
    folder = tmp_path_factory.mktemp("digits32")
    run_ok(
        ["prepare", "digits", "--output_dir", folder, "--data_ratio=0.6,0.1,0.15,0.15"]
        + ["--image_size=32", "--rgb", "--random_state=0"]
    )
    run_ok(
        ["train", "--model=base", "--data_dir", folder, "--output_dir", folder / "model"]
        + ["--epochs=3", "--batch_size=32", "--random_state=0"]
    )
    return folder


def test_corrupt_writes_one_split_per_stratum_with_its_keys(digits_workdir: Path) -> None:
    result = run_ok(
        ["corrupt", "--data_dir", digits_workdir, "--target_data=test.h5"]
        + ["--corruptions=fog,contrast,shot_noise", "--intensities=2-3", "--json"]
    )
    summary = json.loads(result.stdout)
    out = digits_workdir / "corrupted"
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"{c}_{i}.h5" for c in ("fog", "contrast", "shot_noise") for i in (2, 3))
    assert [f["category"] for f in summary["files"]][::2] == ["noise", "weather", "digital"]
    source = read_split(digits_workdir / "test.h5")
    fog = read_split(out / "fog_3.h5")
    np.testing.assert_array_equal(fog.labels, source.labels)
    np.testing.assert_array_equal(fog.image_ids, source.image_ids)
    assert set(fog.extras["corruption"]) == {"fog"}
    np.testing.assert_array_equal(fog.extras["intensity"], 3)
    np.testing.assert_array_equal(fog.extras["source_index"], np.arange(len(source)))
    assert not np.allclose(fog.images, source.images)
    with h5py.File(out / "fog_3.h5") as file:
        assert list(file.attrs["class_names"]) == [str(d) for d in range(10)]
    # the same seed rewrites the same files; another seed changes the noise
    first = read_split(out / "shot_noise_2.h5").images
    run_ok(["corrupt", "--data_dir", digits_workdir, "--corruptions=shot_noise", "--intensities=2"])
    np.testing.assert_array_equal(read_split(out / "shot_noise_2.h5").images, first)
    run_ok(
        ["corrupt", "--data_dir", digits_workdir, "--corruptions=shot_noise", "--intensities=2"]
        + ["--random_state=1"]
    )
    assert not np.array_equal(read_split(out / "shot_noise_2.h5").images, first)
    assert not list(out.glob(".*"))  # no temporary file left


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--corruptions=frost"], 2, "frost"),
        (["--corruptions=fgo"], 2, "no corruption 'fgo'"),
        (["--intensities=0-6"], 2, "--intensities"),
        (["--preset=imagenet"], 1, "64 px"),
        (["--target_data=missing.h5"], 1, "not found"),
    ],
)
def test_bad_options_fail_with_one_line(
    digits_data_dir: Path, tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    result = run_repair(
        ["corrupt", "--data_dir", digits_data_dir, "--output_dir", tmp_path / "out", *args]
    )
    assert result.exit_code == code, result.output
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_an_interrupted_run_leaves_no_file(
    digits_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import repair.robustness.corrupt_split as module

    calls = []

    def failing(images, name, intensity, *, rng, preset):  # noqa: ANN001, ANN202
        calls.append(name)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return images

    monkeypatch.setattr(module, "corrupt", failing)
    with pytest.raises(KeyboardInterrupt):
        corrupt_split(
            source=digits_data_dir / "test.h5",
            output_dir=tmp_path,
            corruptions=["fog", "snow"],
            intensities=[1, 2],
            progress=False,
        )
    assert list(tmp_path.iterdir()) == []


def test_accuracy_does_not_rise_with_intensity(digits32_dir: Path, tmp_path: Path) -> None:
    from repair.app.corrupt import corrupt
    from repair.core.model import load_model, predict_scores

    summary = corrupt(
        source=digits32_dir / "test.h5", output_dir=tmp_path, corruptions="common", progress=False
    )
    assert [f.corruption for f in summary.files][::5] == list(COMMON)
    model = load_model(digits32_dir / "model")
    clean = read_split(digits32_dir / "test.h5")
    strata = [read_split(stratum.path) for stratum in summary.files]
    images = np.concatenate([clean.images] + [data.images for data in strata])
    predicted = np.argmax(predict_scores(model, images), axis=1).reshape(len(strata) + 1, -1)
    correct = predicted == clean.labels  # every stratum keeps the source's order
    clean_accuracy = float(correct[0].mean())
    accuracy = {
        (stratum.corruption, stratum.intensity): float(row.mean())
        for stratum, row in zip(summary.files, correct[1:], strict=True)
    }
    means = [np.mean([accuracy[(c, level)] for c in COMMON]) for level in range(1, 6)]
    print("clean", round(clean_accuracy, 3), "mean per intensity", np.round(means, 3))
    assert clean_accuracy > 0.8
    assert clean_accuracy >= means[0]
    assert all(later <= earlier for earlier, later in zip(means, means[1:], strict=False))
    assert means[-1] < clean_accuracy - 0.05  # intensity 5 hurts
