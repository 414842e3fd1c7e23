"""``repair saliency`` as a keyword-only function: Grad-CAM maps of a split's inputs.

Writes ``saliency.h5`` (the maps and which class each explains) and ``overlays/<position>.png``
for the first ``max_overlays`` inputs, committed as one set. The maps come from
:mod:`repair.explain.gradcam`, the pictures from :mod:`repair.reports.saliency`; ``repair
report`` calls the same two. TensorFlow is imported inside.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from tqdm import tqdm

from repair.core.files import atomic_path
from repair.core.run_files import OVERLAYS_DIRNAME, SALIENCY_FILENAME
from repair.core.staging import staged

SALIENCY_COMMAND = "saliency"  # its manifest: .repair-saliency.json
EXPLAINS = ("pred", "true")
METHOD = "Grad-CAM (Selvaraju et al., ICCV 2017)"


@dataclass(frozen=True)
class SaliencyResult:
    """What ``repair saliency`` wrote: the layer explained, what was differentiated (``logit``
    or ``output``), which class each map explains (``pred`` or ``true``), the count of maps,
    the maps' file and the overlays."""

    layer_index: int
    layer_name: str
    score: str
    explains: str
    count: int
    map_shape: tuple[int, int]
    maps_path: Path
    overlays: tuple[Path, ...]


class _MapsFile:
    """saliency.h5 grown batch by batch: maps (N, H, W) float32; classes, labels, predicted
    (N,) int64; positions (N,) int64 in the data file; image_ids (N,) when it has them."""

    def __init__(self, file: h5py.File, shape: tuple[int, int], with_ids: bool) -> None:
        self.file = file
        gzip = {"compression": "gzip", "compression_opts": 4}
        chunk = max(1, min(1024, (1 << 20) // (4 * shape[0] * shape[1])))
        file.create_dataset("maps", (0, *shape), "float32", maxshape=(None, *shape),
                            chunks=(chunk, *shape), **gzip)  # fmt: skip
        self.keys = ["classes", "labels", "predicted", "positions"]
        for key in self.keys:
            file.create_dataset(key, (0,), "int64", maxshape=(None,), chunks=(4096,), **gzip)
        if with_ids:
            file.create_dataset("image_ids", (0,), h5py.string_dtype("utf-8"), maxshape=(None,),
                                chunks=(4096,), **gzip)  # fmt: skip
            self.keys.append("image_ids")

    def append(self, **columns: np.ndarray) -> None:
        for key, values in columns.items():
            if key not in self.keys and key != "maps":
                continue
            dataset = self.file[key]
            start = dataset.shape[0]
            dataset.resize(start + len(values), axis=0)
            dataset[start:] = values


def saliency(
    *,
    model_dir: Path,
    data: Path,
    output_dir: Path,
    layer: str | None = None,
    explains: str = "pred",
    max_overlays: int = 100,
    batch_size: int = 64,
) -> SaliencyResult:
    """Grad-CAM maps of every input of the split file ``data`` at the Conv2D layer named
    ``layer`` (default: the last one), for the predicted (``pred``) or true (``true``) class;
    overlay PNGs of the first ``max_overlays`` inputs."""
    from repair.core.data import SplitReader
    from repair.core.model import check_model_matches, load_model, predict_scores
    from repair.explain.gradcam import GradCam, gradcam_layer
    from repair.reports.saliency import overlay_rgb, save_rgb_png

    if explains not in EXPLAINS:
        from repair.errors import ConfigError

        raise ConfigError(f"--class must be one of {', '.join(EXPLAINS)}; got {explains!r}")
    model = load_model(model_dir)
    explain = GradCam(model, gradcam_layer(model, layer, str(model_dir)))
    overlays: list[str] = []
    with (
        SplitReader(data) as reader,
        staged(output_dir, SALIENCY_COMMAND, last=SALIENCY_FILENAME) as stage,
    ):
        info = reader.info
        check_model_matches(model, info)
        shape = (int(info.image_shape[0]), int(info.image_shape[1]))
        with atomic_path(stage / SALIENCY_FILENAME) as tmp, h5py.File(tmp, "w") as file:
            maps_file = _MapsFile(file, shape, info.has_ids)
            bar = tqdm(total=len(reader), desc="grad-cam", unit="img", leave=False)
            for batch in reader.batches(batch_size):
                predicted = np.argmax(predict_scores(model, batch.images, batch_size), axis=1)
                classes = predicted if explains == "pred" else batch.labels
                maps = explain(batch.images, classes)
                positions = np.arange(batch.start, batch.start + len(batch), dtype=np.int64)
                maps_file.append(maps=maps, classes=classes, labels=batch.labels,
                                 predicted=predicted, positions=positions,
                                 image_ids=batch.image_ids)  # fmt: skip
                for k in range(min(len(batch), max_overlays - batch.start)):
                    name = f"{batch.start + k}.png"
                    save_rgb_png(
                        overlay_rgb(batch.images[k], maps[k]), stage / OVERLAYS_DIRNAME / name
                    )
                    overlays.append(name)
                bar.update(len(batch))
            bar.close()
            file.attrs.update(
                method=METHOD,
                layer=explain.layer_name,
                layer_index=explain.layer_index,
                score=explain.score,
                explains=explains,
                model=str(model_dir),
                data=str(data),
            )
            if info.class_names is not None:
                file.attrs["class_names"] = list(info.class_names)
    return SaliencyResult(
        layer_index=explain.layer_index,
        layer_name=explain.layer_name,
        score=explain.score,
        explains=explains,
        count=len(reader),
        map_shape=shape,
        maps_path=output_dir / SALIENCY_FILENAME,
        overlays=tuple(output_dir / OVERLAYS_DIRNAME / name for name in overlays),
    )
