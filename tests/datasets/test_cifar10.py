"""repair prepare cifar-10: the python-version batches, as the .tar.gz and extracted."""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from repair.datasets.cifar10 import CIFAR_CLASSES, Cifar10Dataset, Cifar10Options, unpickle
from repair.errors import DataFormatError
from tests.conftest import run_ok, run_repair

PER_BATCH = 4
BATCH_NAMES = [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]


def _batch(number: int) -> tuple[bytes, np.ndarray]:
    """A batch pickled like the official ones (bytes keys, numpy data (n, 3072), list labels).

    The official files were written by numpy 1.x under Python 2: the array's class is
    ``numpy.core.multiarray``, which we write here too.
    """
    rng = np.random.default_rng(number)
    images = rng.integers(0, 256, (PER_BATCH, 32, 32, 3), dtype=np.uint8)
    batch = {
        b"batch_label": f"batch {number}".encode(),
        b"labels": [int(k) for k in rng.integers(0, 10, PER_BATCH)],
        b"data": images.transpose(0, 3, 1, 2).reshape(PER_BATCH, 3072),
        b"filenames": [f"img_{number}_{k}.png".encode() for k in range(PER_BATCH)],
    }
    data = pickle.dumps(batch, protocol=3).replace(b"numpy._core.", b"numpy.core.")
    return data, images


@pytest.fixture(scope="module")
def cifar_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray]]:
    """A folder with cifar-10-python.tar.gz; the images of each batch, (4, 32, 32, 3) uint8."""
    root = tmp_path_factory.mktemp("cifar")
    images = {}
    with tarfile.open(root / "cifar-10-python.tar.gz", "w:gz") as archive:
        for number, name in enumerate(BATCH_NAMES):
            data, images[name] = _batch(number)
            member = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return root, images


def test_archive_is_packed_with_ids_and_parts(cifar_files: tuple, tmp_path: Path) -> None:
    root, _ = cifar_files
    result = run_ok(
        [
            "prepare",
            "cifar-10",
            f"--input_dir={root}",
            f"--output_dir={tmp_path}",
            "--data_ratio=0.5,0,0.5,0",
        ]
    )
    assert "train_images: (12, 32, 32, 3)" in result.stdout
    ids, parts = [], []
    for split in ("train", "test"):
        with h5py.File(tmp_path / f"{split}.h5") as file:
            assert list(file.attrs["class_names"]) == list(CIFAR_CLASSES)
            ids += [v.decode() for v in file["image_ids"][...]]
            parts += [v.decode() for v in file["attribute_ids"][...]]
    assert "test_batch/img_5_3.png" in ids and "data_batch_1/img_0_0.png" in ids
    assert parts.count("test") == PER_BATCH and len(ids) == 6 * PER_BATCH


def test_pixels_and_labels_match_the_batches(cifar_files: tuple, tmp_path: Path) -> None:
    """Extracted folder, test batch only, no equalisation: the exact pixels come back."""
    root, images = cifar_files
    with tarfile.open(root / "cifar-10-python.tar.gz") as archive:
        archive.extractall(tmp_path, filter="data")
    plugin = Cifar10Dataset(tmp_path, Cifar10Options(subset="test", equalize=False))
    index = plugin.index()
    loaded = plugin.load(np.arange(PER_BATCH))
    assert np.array_equal(np.round(loaded * 255).astype(np.uint8), images["test_batch"])
    raw = unpickle((tmp_path / "cifar-10-batches-py" / "test_batch").read_bytes(), "test_batch")
    assert list(index.labels) == raw["labels"]
    equalised = Cifar10Dataset(tmp_path / "cifar-10-batches-py", Cifar10Options(subset="test"))
    assert equalised.load(np.arange(1)).shape == (1, 32, 32, 3)


def test_a_pickle_that_would_run_code_is_refused() -> None:
    class Evil:
        def __reduce__(self) -> tuple:
            return (print, ("pwned",))

    with pytest.raises(DataFormatError, match="refusing to load builtins.print"):
        unpickle(pickle.dumps({b"data": Evil()}), "data_batch_1")


def test_missing_files_are_named(cifar_files: tuple, tmp_path: Path) -> None:
    result = run_repair(["prepare", "cifar-10", f"--input_dir={tmp_path}", "--output_dir=out"])
    assert result.exit_code == 1 and "cifar-10-python.tar.gz" in result.stderr
    (tmp_path / "test_batch").write_bytes(_batch(0)[0])
    result = run_repair(["prepare", "cifar-10", f"--input_dir={tmp_path}", "--output_dir=out"])
    assert result.exit_code == 1 and "data_batch_1" in result.stderr
