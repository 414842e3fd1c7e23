"""Load, save and run Keras models (docs/formats.md, "Models")."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from repair.core.data import SplitInfo, SplitReader
from repair.core.files import atomic_path
from repair.core.run_files import MODEL_FILENAME
from repair.core.tf import keras
from repair.errors import InputNotFoundError, ModelError

MODEL_SUFFIXES = (".keras", ".h5")


def resolve_model_path(path: str | Path) -> Path:
    """The model file behind ``--model_dir``: ``DIR/model.keras``, or a ``.keras``/``.h5`` file."""
    path = Path(path)
    if not path.exists():
        raise InputNotFoundError(f"model not found: {path}")
    if path.is_file():
        if path.suffix not in MODEL_SUFFIXES:
            raise ModelError(f"a model file must end in .keras or .h5; got {path}")
        return path
    candidate = path / MODEL_FILENAME
    if candidate.is_file():
        return candidate
    if (path / "saved_model.pb").is_file():
        raise ModelError(
            f"{path} is a legacy TensorFlow SavedModel; convert it once with TensorFlow 2.15 "
            f"(tf.keras.models.load_model('{path}').save('{path}/model.keras')) and retry"
        )
    raise ModelError(f"no {MODEL_FILENAME} in {path}")


KERAS_OBJECTS = "repair.keras_objects"  # entry points: modules that register Keras layers


def register_keras_objects() -> None:
    """Import the modules declared in the ``repair.keras_objects`` entry-point group, whose
    import registers custom layers (``keras.saving.register_keras_serializable``): a model
    file that uses them (ViT's patches, HydraNet's gate) then loads."""
    from importlib.metadata import entry_points

    for entry in entry_points(group=KERAS_OBJECTS):
        entry.load()


def load_model(path: str | Path) -> keras.Model:
    """The model at ``path`` (see :func:`resolve_model_path`), without its optimizer state."""
    model_path = resolve_model_path(path)
    check_model_file(model_path)
    register_keras_objects()
    try:
        return keras.models.load_model(model_path, compile=False)
    except Exception as error:  # Keras raises many kinds on a corrupt file
        raise ModelError(f"cannot load model {model_path}: it is corrupt ({error})") from None


def check_model_file(model_path: Path) -> None:
    """Raise ModelError when ``model_path`` is not the archive its suffix promises.

    Keras reports a ``.keras`` file that is not a zip archive as "File not found", which sends
    a user looking for a file that is right there.
    """
    if model_path.suffix == ".keras" and not zipfile.is_zipfile(model_path):
        raise ModelError(
            f"cannot load model {model_path}: the file is corrupt (not a .keras zip archive)"
        )
    if model_path.suffix == ".h5":
        import h5py

        if not h5py.is_hdf5(model_path):
            raise ModelError(f"cannot load model {model_path}: the file is corrupt (not HDF5)")


def save_model(model: keras.Model, path: str | Path) -> Path:
    """Save atomically as ``path`` (a ``.keras`` file) or ``path/model.keras`` (a folder)."""
    path = Path(path)
    target = path if path.suffix == ".keras" else path / MODEL_FILENAME
    with atomic_path(target) as tmp:
        model.save(tmp)
    return target


def num_classes_of(model: keras.Model) -> int:
    return int(model.output_shape[-1])


def check_model_matches(model: keras.Model, info: SplitInfo) -> None:
    """Raise ModelError when ``model`` cannot take the images or labels of ``info``."""
    expected = tuple(model.input_shape[1:])
    actual = info.image_shape
    if len(expected) != len(actual) or any(
        e not in (None, a) for e, a in zip(expected, actual, strict=True)
    ):
        raise ModelError(f"model expects images of shape {expected}; {info.path} holds {actual}")
    if num_classes_of(model) != info.num_classes:
        raise ModelError(
            f"model predicts {num_classes_of(model)} classes; {info.path} has {info.num_classes}"
        )


@dataclass(frozen=True)
class Predictions:
    """true / predicted: (N,) int class indices of every sample of a split, in file order."""

    true: np.ndarray
    predicted: np.ndarray

    @property
    def correct(self) -> np.ndarray:
        return self.true == self.predicted


def predict_scores(model: keras.Model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Model outputs (n, K) for images (n, H, W, C), computed in batches."""
    outputs = [
        np.asarray(model.predict_on_batch(images[start : start + batch_size]))
        for start in range(0, len(images), batch_size)
    ]
    if not outputs:
        return np.zeros((0, num_classes_of(model)), dtype=np.float32)
    return np.concatenate(outputs)


def predict_split(
    model: keras.Model, reader: SplitReader, batch_size: int = 256, desc: str = "predict"
) -> Predictions:
    """Predicted and true labels of every sample of a split, reading it in batches."""
    check_model_matches(model, reader.info)
    true, predicted = [], []
    with tqdm(total=len(reader), desc=desc, unit="img", leave=False) as bar:
        for batch in reader.batches(batch_size):
            true.append(batch.labels)
            predicted.append(np.argmax(predict_scores(model, batch.images, batch_size), axis=1))
            bar.update(len(batch))
    if not true:
        empty = np.zeros(0, dtype=np.int64)
        return Predictions(empty, empty)
    return Predictions(np.concatenate(true), np.concatenate(predicted).astype(np.int64))


def predict_file(
    model_dir: str | Path, path: str | Path, batch_size: int = 256, desc: str = "predict"
) -> tuple[SplitInfo, Predictions]:
    """Load the model at ``model_dir`` and predict every sample of the split file ``path``."""
    model = load_model(model_dir)
    with SplitReader(path) as reader:
        return reader.info, predict_split(model, reader, batch_size, desc)


@dataclass(frozen=True)
class LayerRow:
    """One entry of ``model.layers``: what ``repair inspect`` prints."""

    index: int
    name: str
    type: str
    output_shape: tuple[int | None, ...] | None
    params: int

    def to_dict(self) -> dict[str, object]:
        shape = None if self.output_shape is None else list(self.output_shape)
        return {"index": self.index, "name": self.name, "type": self.type,
                "output_shape": shape, "params": self.params}  # fmt: skip


def layer_rows(model: keras.Model) -> list[LayerRow]:
    """Index, name, class, output shape (batch axis None) and parameter count of each layer."""
    rows = []
    for index, layer in enumerate(model.layers):
        try:
            shape = tuple(None if d is None else int(d) for d in layer.output.shape)
        except (AttributeError, ValueError):  # a layer never called has no output yet
            shape = None
        rows.append(LayerRow(index, layer.name, type(layer).__name__, shape, layer.count_params()))
    return rows
