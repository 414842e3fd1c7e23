"""The embedding drift is measured on: the input of the layer Arachne would repair.

It is computed with the extractor Arachne's cache uses (:func:`input_extractor`), in batches,
so the drift report describes exactly the vectors a repair of that layer would work on. Imports
TensorFlow: import this module inside commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from repair.core.data import SplitInfo, SplitReader
from repair.core.layer_input import default_target_layer, input_extractor
from repair.core.model import check_model_matches, predict_scores
from repair.core.tf import keras
from repair.errors import ConfigError, DataFormatError, ModelError


@dataclass(frozen=True)
class Embedded:
    """A split seen by the model: features (n, d) float32, the flattened input of the layer;
    true / predicted (n,) int64 class indices; info: the split's header."""

    features: np.ndarray
    true: np.ndarray
    predicted: np.ndarray
    info: SplitInfo

    @property
    def wrong(self) -> np.ndarray:
        return self.true != self.predicted


def embedding_layer(model: keras.Model, layer: int | None) -> int:
    """``layer`` as an index into ``model.layers`` (negative counts from the end), or Arachne's
    default target layer when None; ConfigError naming ``--layer`` when out of range."""
    if layer is None:
        try:
            return default_target_layer(model)
        except ModelError as error:
            raise ModelError(str(error).replace("--target_layer", "--layer")) from None
    count = len(model.layers)
    if not -count <= layer < count:
        raise ConfigError(
            f"--layer must lie in [{-count}, {count - 1}] (the model has {count} layers); "
            f"got {layer}"
        )
    return layer % count


def embed_split(
    model: keras.Model, path: Path, layer_index: int, batch_size: int, desc: str
) -> Embedded:
    """Embeddings, true and predicted labels of every input of the split file ``path``."""
    extract = input_extractor(model, layer_index)
    features, true, predicted = [], [], []
    with SplitReader(path) as reader:
        check_model_matches(model, reader.info)
        if len(reader) < 2:
            raise DataFormatError(f"{path} holds {len(reader)} inputs; drift needs 2 or more")
        with tqdm(total=len(reader), desc=desc, unit="img", leave=False) as bar:
            for batch in reader.batches(batch_size):
                inputs = extract(batch.images)
                features.append(inputs.reshape(len(batch), -1))
                scores = predict_scores(model, batch.images, batch_size)
                predicted.append(np.argmax(scores, axis=1))
                true.append(batch.labels)
                bar.update(len(batch))
        info = reader.info
    return Embedded(
        features=np.concatenate(features).astype(np.float32),
        true=np.concatenate(true).astype(np.int64),
        predicted=np.concatenate(predicted).astype(np.int64),
        info=info,
    )
