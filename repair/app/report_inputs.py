"""The report's input pages: the inputs a reviewer should look at, one page each.

Which inputs: those a variability run found unstable (right in some of its models and wrong in
others, most variable first, as per_input.csv orders them), and for each repair run the
negatives the repair fixed and the positives it broke. Each page shows the image, its true label,
every model's prediction and each model's Grad-CAM map of its predicted class (the last Conv2D
layer; a model without one gets a line saying so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from repair.app.report_evidence import Evidence, per_input_rows
from repair.core.run_files import SPLIT_FILENAME
from repair.reports.html import escape, image_bytes, page, table

INPUTS_DIRNAME = "inputs"


@dataclass(frozen=True)
class InputCase:
    """One input to show: where it lies, why it is shown, and the models to show it under."""

    split: Path
    position: int
    reason: str
    source: str
    models: tuple[tuple[str, str], ...]  # (name shown, model path)


def _variability_cases(evidence: Evidence) -> list[InputCase]:
    try:
        return _unstable_inputs(evidence)
    except (KeyError, TypeError, ValueError) as error:
        from repair.errors import DataFormatError

        raise DataFormatError(
            f"{evidence.main} (with its per_input.csv) is not a variability run's: "
            f"{type(error).__name__} {error}"
        ) from None


def _unstable_inputs(evidence: Evidence) -> list[InputCase]:
    data = evidence.data
    models = [(Path(path).name or path, path) for path in data["models"]]
    if "runs" in data:
        models.insert(0, ("original", data["runs"]["original_model"]))
    cases = []
    for row in per_input_rows(evidence):
        right, k = int(row["correct"]), int(row["models"])
        if 0 < right < k:
            reason = f"unstable: right in {right} of {k} models"
            cases.append(
                InputCase(Path(data["split"]), int(row["position"]), reason, evidence.name,
                          tuple(models))
            )  # fmt: skip
    return cases


def _repair_cases(evidence: Evidence, models: ModelCache) -> list[InputCase]:
    from repair.core.data import SplitReader
    from repair.core.model import predict_split

    summary = evidence.data
    original, repaired = summary.get("model_dir"), summary.get("repaired_model")
    if not original or not repaired or not Path(repaired).exists():
        return []
    shown = (("original", original), ("repaired", repaired))
    fixed: list[InputCase] = []
    broken: list[InputCase] = []
    for key, wanted, out in (
        ("target_data_dir", True, fixed),
        ("positive_inputs_dir", False, broken),
    ):
        split = Path(str(summary.get(key))) / SPLIT_FILENAME
        if not split.is_file():
            continue
        with SplitReader(split) as reader:
            correct = predict_split(models.get(repaired), reader, desc="repaired model").correct
        for position in np.flatnonzero(correct == wanted):
            reason = "fixed by the repair" if wanted else "broken by the repair"
            out.append(InputCase(split, int(position), reason, evidence.name, shown))
    return fixed + broken


class ModelCache:
    """Each model loaded once, with its Grad-CAM (None for a model without a Conv2D layer)."""

    def __init__(self) -> None:
        self.models: dict[str, Any] = {}
        self.explainers: dict[str, Any] = {}

    def get(self, path: str) -> Any:
        from repair.core.model import load_model

        if path not in self.models:
            self.models[path] = load_model(path)
        return self.models[path]

    def explainer(self, path: str) -> Any:
        from repair.errors import ModelError
        from repair.explain.gradcam import GradCam, gradcam_layer

        if path not in self.explainers:
            model = self.get(path)
            try:
                self.explainers[path] = GradCam(model, gradcam_layer(model, None, path))
            except ModelError:
                self.explainers[path] = None
        return self.explainers[path]


def choose_inputs(evidence: list[Evidence], models: ModelCache, limit: int) -> list[InputCase]:
    """At most ``limit`` inputs, taken in turn from each source so that each is represented."""
    sources = []
    for item in evidence:
        if item.kind == "variability":
            sources.append(_variability_cases(item))
        elif item.kind == "repair":
            sources.append(_repair_cases(item, models))
    chosen: list[InputCase] = []
    depth = 0
    while len(chosen) < limit and any(depth < len(cases) for cases in sources):
        chosen.extend(cases[depth] for cases in sources if depth < len(cases))
        depth += 1
    return chosen[:limit]


def input_id(number: int, image_id: str | None, position: int) -> str:
    """A file-name-safe id: the running number and the image id (or position)."""
    tail = re.sub(r"[^A-Za-z0-9_-]+", "_", image_id) if image_id else f"pos{position}"
    return f"{number:03d}-{tail}"[:80]


def render_input(number: int, case: InputCase, models: ModelCache) -> tuple[str, str, dict]:
    """(id, HTML page, the index row's fields) of one input."""
    from repair.core.data import SplitReader
    from repair.core.model import predict_scores
    from repair.reports.saliency import overlay_rgb, png_bytes

    with SplitReader(case.split) as reader:
        info = reader.info
        batch = reader.read_indices([case.position])
    image_id = None if batch.image_ids is None else str(batch.image_ids[0])
    ident = input_id(number, image_id, case.position)
    true = int(batch.labels[0])
    rows, maps = [], []
    for name, path in case.models:
        scores = predict_scores(models.get(path), batch.images)[0]
        predicted = int(np.argmax(scores))
        verdict = "right" if predicted == true else "wrong"
        rows.append([escape(name), escape(info.class_name(predicted)), f"{scores[predicted]:.4f}",
                     escape(verdict), f"<code>{escape(path)}</code>"])  # fmt: skip
        explain = models.explainer(path)
        if explain is None:
            maps.append(f"<p>{escape(name)}: no Conv2D layer, so no Grad-CAM map.</p>")
            continue
        cam = explain(batch.images, np.array([predicted]))[0]
        caption = f"{name}: Grad-CAM of {info.class_name(predicted)} at {explain.layer_name}"
        pixels = png_bytes(overlay_rgb(batch.images[0], cam))
        maps.append(f"<figure>{image_bytes(pixels, caption)}<figcaption>{escape(caption)}"
                    "</figcaption></figure>")  # fmt: skip
    where = f"position {case.position} of <code>{escape(case.split)}</code>"
    body = (
        '<p><a href="../index.html">back to the report</a></p>'
        f"<p>{where}; image id {escape(image_id or 'none')}; true label "
        f"<b>{escape(info.class_name(true))}</b> ({true}); shown because {escape(case.reason)} "
        f"(from <code>{escape(case.source)}</code>).</p>"
        + table(["model", "predicted", "score", "", "file"], rows)
        + f"<div>{''.join(maps)}</div>"
    )
    html = page(f"Input {ident}", body)
    fields = {"true": info.class_name(true), "position": case.position, "reason": case.reason}
    return ident, html, fields


def inputs_section(entries: list[tuple[str, dict]]) -> str:
    """The index's list of input pages."""
    rows = [
        [f'<a href="{INPUTS_DIRNAME}/{escape(ident)}.html">{escape(ident)}</a>',
         escape(fields["true"]), fields["position"], escape(fields["reason"])]
        for ident, fields in entries
    ]  # fmt: skip
    return table(["input", "true label", "position", "why"], rows)
