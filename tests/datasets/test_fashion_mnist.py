"""repair prepare fashion-mnist: the four official idx files, generated here, through the CLI."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import read_split
from repair.datasets.fashion_mnist import CLASS_NAMES, parse_idx
from repair.errors import DataFormatError
from tests.conftest import run_ok, run_repair

NUM = {"train": 12, "t10k": 6}


def idx_bytes(array: np.ndarray) -> bytes:
    """The idx encoding of a uint8 array: magic 0x000008NN, NN big-endian sizes, the bytes."""
    header = (0x0800 | array.ndim).to_bytes(4, "big") + np.array(array.shape, ">u4").tobytes()
    return header + array.astype(np.uint8).tobytes()


def write_fashion(folder: Path, gz: bool = True) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Random 28x28 images and cycling labels in the four official files; returns them."""
    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    parts = {}
    for part, count in NUM.items():
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = (np.arange(count) * 3 % 10).astype(np.uint8)
        for kind, array, ndim in (("images", images, 3), ("labels", labels, 1)):
            name = f"{part}-{kind}-idx{ndim}-ubyte"
            data = idx_bytes(array)
            if gz:
                (folder / f"{name}.gz").write_bytes(gzip.compress(data))
            else:
                (folder / name).write_bytes(data)
        parts[part] = (images, labels)
    return parts


def prepare(input_dir: Path, output_dir: Path, *extra: str, ok: bool = True):  # noqa: ANN201
    args = [
        "prepare",
        "fashion-mnist",
        f"--input_dir={input_dir}",
        f"--output_dir={output_dir}",
        "--data_ratio=0.5,0.25,0.25,0",
        "--random_state=3",
        *extra,
    ]
    return run_ok(args) if ok else run_repair(args)


def assert_one_error(result, *fragments: str) -> None:  # noqa: ANN001
    assert result.exit_code == 1, result.output
    lines = result.stderr.replace("\r", "\n").strip().splitlines()
    assert lines[-1].startswith("error: "), result.stderr
    assert sum("error" in line.lower() for line in lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[-1], lines[-1]


@pytest.fixture(scope="module")
def fashion_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("fashion")
    return folder, write_fashion(folder)


def test_every_image_keeps_its_pixels_label_and_id(fashion_dir, tmp_path: Path) -> None:
    folder, parts = fashion_dir
    result = prepare(folder, tmp_path, "--equalize=False")
    assert "train_images: (9, 28, 28, 1)" in result.stdout
    seen = []
    for split in ("train", "val", "test"):
        batch = read_split(tmp_path / f"{split}.h5")
        assert batch.images.shape[1:] == (28, 28, 1)
        for image, label, image_id, part in zip(
            batch.images, batch.labels, batch.image_ids, batch.attribute_ids, strict=True
        ):
            name, number = image_id.split("_")
            assert name == part and part in ("train", "test")
            source_images, source_labels = parts["t10k" if part == "test" else "train"]
            assert label == source_labels[int(number)]
            np.testing.assert_allclose(image[..., 0], source_images[int(number)] / 255, atol=1e-6)
            seen.append(image_id)
    assert len(seen) == len(set(seen)) == sum(NUM.values())
    assert not (tmp_path / "repair.h5").exists()


def test_class_names_and_reference_preprocessing(fashion_dir, tmp_path: Path) -> None:
    folder, _ = fashion_dir
    prepare(folder, tmp_path, "--image_size=32", "--rgb")
    from repair.core.data import SplitReader

    info = SplitReader(tmp_path / "train.h5").info
    assert info.class_names == CLASS_NAMES and info.num_classes == 10
    images = read_split(tmp_path / "train.h5").images
    assert images.shape == (9, 32, 32, 3)
    np.testing.assert_array_equal(images[..., 0], images[..., 2])
    # Equalised (the default): every image spans the whole range.
    assert np.allclose(images.max(axis=(1, 2, 3)), 1.0)


def test_plain_files_and_one_subset(tmp_path: Path) -> None:
    parts = write_fashion(tmp_path / "in", gz=False)
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / "in" / name).unlink()  # the test part is not needed for --subset=train
    prepare(tmp_path / "in", tmp_path / "out", "--subset=train", "--equalize=False")
    batches = [read_split(tmp_path / "out" / f"{s}.h5") for s in ("train", "val", "test")]
    assert sum(len(b.labels) for b in batches) == NUM["train"]
    assert {part for b in batches for part in b.attribute_ids} == {"train"}
    assert sorted(label for b in batches for label in b.labels) == sorted(parts["train"][1])


def test_missing_files_are_all_named(tmp_path: Path) -> None:
    write_fashion(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    (tmp_path / "train-images-idx3-ubyte.gz").unlink()
    result = prepare(tmp_path, tmp_path / "out", ok=False)
    assert_one_error(
        result, "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", str(tmp_path)
    )
    assert not (tmp_path / "out").exists()


def test_bad_magic_number(tmp_path: Path) -> None:
    write_fashion(tmp_path)
    labels = idx_bytes(np.zeros(6, np.uint8))
    # An images file given where the labels belong: magic 0x803, not 0x801.
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(np.zeros((6, 28, 28), np.uint8)))
    )
    assert labels[:4] == b"\0\0\x08\x01"
    result = prepare(tmp_path, tmp_path / "out", ok=False)
    assert_one_error(result, "t10k-labels-idx1-ubyte.gz", "0x00000803", "0x00000801")


def test_truncated_file(tmp_path: Path) -> None:
    write_fashion(tmp_path, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    result = prepare(tmp_path, tmp_path / "out", ok=False)
    assert_one_error(result, str(path), "truncated")


def test_corrupt_gzip(tmp_path: Path) -> None:
    write_fashion(tmp_path)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:20])
    assert_one_error(prepare(tmp_path, tmp_path / "out", ok=False), str(path), "corrupt gzip")


def test_counts_and_labels_must_agree(tmp_path: Path) -> None:
    write_fashion(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(np.zeros(5, np.uint8)))
    )
    assert_one_error(prepare(tmp_path, tmp_path / "out", ok=False), "12 images", "5 labels")
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(np.full(12, 10, np.uint8)))
    )
    assert_one_error(prepare(tmp_path, tmp_path / "out", ok=False), "label 10", "0-9")


@pytest.mark.parametrize(
    ("option", "fragment"),
    [("--subset=val", "--subset must be one of"), ("--image_size=0", "--image_size")],
)
def test_bad_options_are_usage_errors(fashion_dir, tmp_path: Path, option, fragment) -> None:
    result = prepare(fashion_dir[0], tmp_path, option, ok=False)
    assert result.exit_code == 2 and fragment in result.stderr, result.output


def test_parse_idx_rejects_short_headers(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="too short"):
        parse_idx(b"\0\0", 1, tmp_path / "x")
    with pytest.raises(DataFormatError, match="inside its idx header"):
        parse_idx(b"\0\0\x08\x03\0\0\0\x01", 3, tmp_path / "x")


def test_parts_must_have_one_image_size(tmp_path: Path) -> None:
    write_fashion(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(
        gzip.compress(idx_bytes(np.zeros((6, 20, 20), np.uint8)))
    )
    assert_one_error(prepare(tmp_path, tmp_path / "out", ok=False), "differ in size", "(20, 20)")
