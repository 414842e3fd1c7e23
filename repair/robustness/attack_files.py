"""``repair attack`` as a function: adversarial split files, one per (attack, eps).

Each file ``<kind>_<eps>.h5`` holds the adversarial images with the true labels, the source's
ids, class names and extra keys, and the per-image keys ``attack``, ``eps``, ``source_model``
(the resolved path of the model file) and ``source_index`` (the image's row in the source).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from repair.core.data import SplitReader, SplitWriter
from repair.core.model import check_model_matches, load_model, predict_scores, resolve_model_path
from repair.errors import DataFormatError
from repair.robustness.attacks import (
    AttackSpec,
    adversarial_examples,
    art_classifier,
    numpy_global_seed,
)
from repair.robustness.keys import ATTACK_KEY, EPS_KEY, SOURCE_INDEX_KEY, SOURCE_MODEL_KEY

ATTACK_KEYS = {
    ATTACK_KEY: str,
    EPS_KEY: np.float64,
    SOURCE_MODEL_KEY: str,
    SOURCE_INDEX_KEY: np.int64,
}


@dataclass(frozen=True)
class AttackResult:
    """One written file: how many images, how many the source model still classifies
    correctly, and the largest L-inf and the mean L2 distance to the clean images."""

    spec: AttackSpec
    path: Path
    total: int
    correct: int
    max_linf: float
    mean_l2: float

    @property
    def accuracy(self) -> float:
        return 100.0 * self.correct / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "attack": self.spec.kind,
            "eps": self.spec.eps,
            "path": str(self.path),
            "total": self.total,
            "correct": self.correct,
            "accuracy": round(self.accuracy, 4),
            "max_linf": round(self.max_linf, 6),
            "mean_l2": round(self.mean_l2, 6),
        }


def model_identity(model_dir: str | Path) -> str:
    """What ``source_model`` records: the absolute path of the model file."""
    return str(resolve_model_path(model_dir).resolve())


def check_replaceable(path: Path, source_model: str) -> None:
    """Refuse to overwrite a file that is not an attack file of the same model: examples made
    on another model (or a user's own split) must not vanish under a second run."""
    if not path.exists():
        return
    try:
        with SplitReader(path) as reader:
            owners = set(reader.extra(SOURCE_MODEL_KEY).tolist())
    except DataFormatError:
        raise DataFormatError(
            f"{path} exists and is not an attack file; choose another --output_dir "
            "(nothing was written)"
        ) from None
    if owners - {source_model}:
        raise DataFormatError(
            f"{path} holds examples made on {', '.join(sorted(owners))}; choose another "
            "--output_dir (nothing was written)"
        )


def run_attack(
    *,
    model_dir: Path,
    source: Path,
    output_dir: Path,
    specs: Sequence[AttackSpec],
    random_state: int = 0,
    batch_size: int = 256,
) -> list[AttackResult]:
    """Attack every image of ``source`` with each spec; write ``output_dir/<stratum>.h5``."""
    model = load_model(model_dir)
    identity = model_identity(model_dir)
    results = []
    with SplitReader(source) as reader:
        info = reader.info
        check_model_matches(model, info)
        for spec in specs:
            if spec.target is not None and not 0 <= spec.target < info.num_classes:
                raise DataFormatError(
                    f"--targeted label {spec.target} is not a class of {source} "
                    f"(0..{info.num_classes - 1})"
                )
        paths = [output_dir / f"{spec.stratum}.h5" for spec in specs]
        for path in paths:
            check_replaceable(path, identity)
        classifier = art_classifier(model, info.num_classes, info.image_shape)
        kept = {k: v for k, v in reader.extra_dtypes().items() if k not in ATTACK_KEYS}
        with tqdm(total=len(reader) * len(specs), desc="attack", unit="img", leave=False) as bar:
            for spec, path in zip(specs, paths, strict=True):
                results.append(
                    _attack_file(
                        reader,
                        model,
                        classifier,
                        spec,
                        path,
                        identity,
                        kept,
                        spec.seed(random_state),
                        batch_size,
                        bar,
                    )
                )
    return results


def _attack_file(
    reader: SplitReader,
    model: object,
    classifier: object,
    spec: AttackSpec,
    path: Path,
    identity: str,
    kept: dict[str, np.dtype],
    seed: int,
    batch_size: int,
    bar: tqdm,
) -> AttackResult:
    info = reader.info
    correct, max_linf, sum_l2 = 0, 0.0, 0.0
    with (
        SplitWriter(
            path,
            info.image_shape,
            info.num_classes,
            info.class_names,
            with_ids=info.has_ids,
            extras={**kept, **ATTACK_KEYS},
        ) as writer,
        numpy_global_seed(seed),
    ):
        for batch in reader.batches(batch_size):
            adversarial = adversarial_examples(
                classifier, batch.images, batch.labels, spec, batch_size
            )
            n = len(batch)
            delta = (adversarial - batch.images).reshape(n, -1)
            max_linf = max(max_linf, float(np.abs(delta).max(initial=0.0)))
            sum_l2 += float(np.linalg.norm(delta, axis=1).sum())
            predicted = np.argmax(predict_scores(model, adversarial, batch_size), axis=1)
            correct += int(np.sum(predicted == batch.labels))
            extras = {name: batch.extras[name] for name in kept}
            extras[ATTACK_KEY] = np.full(n, spec.kind, dtype=object)
            extras[EPS_KEY] = np.full(n, spec.eps)
            extras[SOURCE_MODEL_KEY] = np.full(n, identity, dtype=object)
            extras[SOURCE_INDEX_KEY] = np.arange(batch.start, batch.start + n)
            writer.append(adversarial, batch.labels, batch.image_ids, batch.attribute_ids, extras)
            bar.update(n)
    total = len(reader)
    return AttackResult(spec, path, total, correct, max_linf, sum_l2 / total if total else 0.0)
