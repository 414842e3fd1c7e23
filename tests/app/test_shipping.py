"""repair.app.shipping without Ray: a parcel packed on one side of a folder, unpacked into
another, paths relocated and written back (the object store stood in for by a dict)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from repair.app import shipping
from repair.registry import PATH_OPTION


class Store:
    """put/get of the bytes, counting what was put."""

    def __init__(self) -> None:
        self.items: list[bytes] = []

    def share(self, data: bytes) -> int:
        self.items.append(data)
        return len(self.items) - 1

    def fetch(self, handle: int) -> bytes:
        return self.items[handle]


@dataclass(frozen=True)
class Options:
    validation: str | None = field(default=None, metadata={PATH_OPTION: True})
    label: str = "car"  # a string that is no path: never touched


@dataclass(frozen=True)
class Spec:
    model: Path
    data: Path
    out: Path
    options: Options


def _tree(root: Path) -> Path:
    (root / "negative" / "3" / "5").mkdir(parents=True)
    (root / "negative" / "repair.h5").write_bytes(b"all")
    (root / "negative" / "3" / "5" / "repair.h5").write_bytes(b"3 as 5")
    (root / "model").mkdir()
    (root / "model" / "model.keras").write_bytes(b"weights")
    (root / "model" / "training_log.csv").write_text("epoch\n")
    (root / "val.h5").write_bytes(b"val")
    return root


def test_a_parcel_moves_files_and_trees_once_and_paths_follow(tmp_path: Path) -> None:
    driver = _tree(tmp_path / "driver")
    store = Store()
    packer = shipping.Packer(store.share)
    spec = Spec(driver / "model", driver / "negative", driver / "out",
                Options(str(driver / "val.h5")))  # fmt: skip
    inputs = [
        shipping.Input(str(driver / "model"), ("model.keras",)),
        shipping.Input(str(driver / "negative")),
        shipping.Input(str(driver / "negative" / "3" / "5" / "repair.h5")),  # inside the tree
        *shipping.option_inputs(spec.options),
    ]
    parcel = packer.pack(inputs)
    assert len(parcel.entries) == 3 and len(store.items) == 3  # the file inside went with it
    packer.pack(inputs)
    assert len(store.items) == 3  # packed once, whatever the number of calls
    mapping = shipping.unpack(parcel, tmp_path / "worker", store.fetch)
    mapping = [(str(spec.out), str(tmp_path / "worker-out")), *mapping]
    here = shipping.relocated(spec, mapping)
    assert (here.model / "model.keras").read_bytes() == b"weights"
    assert not (here.model / "training_log.csv").exists()  # only the members asked for
    assert (here.data / "3" / "5" / "repair.h5").read_bytes() == b"3 as 5"
    assert Path(here.options.validation).read_bytes() == b"val"
    assert here.options.label == "car" and here.out == tmp_path / "worker-out"
    assert str(driver) not in f"{here.model}{here.data}{here.options.validation}"
    # what the worker writes comes back with the driver's paths
    here.out.mkdir()
    (here.out / "summary.json").write_text(f'{{"model_dir": "{here.model}"}}')
    (here.out / "repair.keras").write_bytes(bytes(here.out) + b"\x00")  # binary: left as is
    files = shipping.folder_files(here.out, shipping.reverse(mapping))
    assert files["summary.json"].decode() == f'{{"model_dir": "{driver / "model"}"}}'
    shipping.write_files(spec.out, files)
    assert (spec.out / "summary.json").read_bytes() == files["summary.json"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/a/b", "/x"), ("/a/b/c", "/x/c"), ("/a/bc", "/a/bc"), ("/a", "/a")],
)
def test_relocate_moves_whole_path_components_only(path: str, expected: str) -> None:
    assert shipping.relocate(path, [("/a/b", "/x")]) == expected


def test_a_model_travels_with_what_its_method_reads_beside_it(tmp_path: Path) -> None:
    from repair.methods.arachne.method import Arachne
    from repair.methods.neurecover.method import NeuRecover

    (tmp_path / "model.keras").write_bytes(b"weights")
    for given in (tmp_path, tmp_path / "model.keras"):  # a model folder, or the file itself
        assert shipping.model_input(str(given), Arachne) == shipping.Input(
            str(tmp_path), ("model.keras",)
        )
        assert shipping.model_input(str(given), NeuRecover).members == (
            "model.keras",
            "checkpoints",
        )


def test_a_missing_input_is_one_clear_error(tmp_path: Path) -> None:
    from repair.errors import InputNotFoundError

    packer = shipping.Packer(Store().share)
    with pytest.raises(InputNotFoundError, match="val.h5: no such file or folder"):
        packer.pack([shipping.Input(str(tmp_path / "val.h5"))])
