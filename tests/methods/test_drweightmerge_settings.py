"""DRWeightMerge's settings file (dr_setting.json) and its fitness, without a model: each error
is one ConfigError naming the key or label, weights are normalised, the weights rank patches."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from repair.errors import ConfigError, InputNotFoundError
from repair.methods.arachne.scores import SetResults
from repair.methods.drweightmerge.fitness import DRObjective
from repair.methods.drweightmerge.settings import (
    DRSettings,
    MisType,
    check_folders,
    default_settings,
    parse_settings,
    read_settings,
)

NAMES = ["cat", "dog", "car", "bus"]


def settings(**changes: object) -> dict:
    data = {
        "target_misclassifications": {"cat": ["dog"], "2": [3]},
        "general_misclassifications": ["bus"],
        "weights_precisions": {"cat": 1, "dog": 3},
        "weights_misclassifications": {"cat,dog": 2, "car,bus": 1, "bus": 1},
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_names_or_indices_and_normalised_weights() -> None:
    parsed = parse_settings(settings(), NAMES, "s.json")
    assert [(t.true, t.predicted) for t in parsed.types] == [(0, 1), (2, 3), (3, None)]
    assert [t.weight for t in parsed.types] == pytest.approx([0.5, 0.25, 0.25])
    assert [t.key for t in parsed.types] == ["0,1", "2,3", "3"]
    assert parsed.precisions == pytest.approx({0: 0.25, 1: 0.75})


def test_the_references_misspelt_key_is_read() -> None:
    data = settings(weights_misclassifications=None)
    data["weights_mislassifications"] = {"0,1": 1, "2,3": 1}
    parsed = parse_settings(data, NAMES, "s.json")
    assert [t.weight for t in parsed.types] == pytest.approx([0.5, 0.5, 0.0])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weights_precisions": {"cat": 0, "dog": 0}}, "weights_precisions sum to 0"),
        ({"weights_misclassifications": {"cat,dog": 0, "car,bus": 0}}, "sum to 0"),
        ({"weights_precisions": {"cat": -1}}, "weights_precisions['cat'] must be a number >= 0"),
        ({"weights_misclassifications": {"cat,dog": 1, "car,bus": "x"}}, "['car,bus']"),
        ({"target_misclassifications": {"cow": ["dog"]}}, "unknown label 'cow'"),
        ({"general_misclassifications": [7]}, "unknown label 7 in general_misclassifications"),
        ({"weights_precisions": {"truck": 1}}, "unknown label 'truck' in weights_precisions"),
        ({"weights_misclassifications": {"cat,dog": 1, "car,bus": 1, "dog": 1}}, "'dog' names no"),
        ({"weights_misclassifications": {"cat,dog": 1}}, "no weight for the target 'car,bus'"),
        ({"general_misclassifications": None}, "'general_misclassifications' is missing"),
        ({"target_misclassifications": {"cat": ["cat"]}}, "names its own label"),
        ({"target_misclassifications": {}, "general_misclassifications": []}, "both empty"),
    ],
)
def test_each_error_is_one_line_naming_it(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_settings(settings(**changes), NAMES, "dr.json")
    text = str(error.value)
    assert message in text and text.startswith("dr.json: ") and "\n" not in text


def test_a_missing_file_or_bad_json_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError, match="settings file not found"):
        read_settings(tmp_path / "dr_setting.json", NAMES)
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.json is not valid JSON"):
        read_settings(bad, NAMES)


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / "0" / "1").mkdir(parents=True)
    (tmp_path / "0" / "1" / "repair.h5").write_bytes(b"")
    parsed = DRSettings((MisType(0, 1, 0.5), MisType(2, 3, 0.5)), {0: 1.0})
    with pytest.raises(InputNotFoundError, match=r"2/3/repair.h5 for the misclassification type"):
        check_folders(parsed, tmp_path)
    found = default_settings(tmp_path, 4)
    assert [(t.true, t.predicted, t.weight) for t in found.types] == [(0, 1, 1.0)]
    with pytest.raises(InputNotFoundError, match="run `repair target` first"):
        default_settings(tmp_path / "0", 4)


def _results(correct: list[list[bool]], loss: float = 2.0) -> SetResults:
    c = np.array(correct)
    losses = np.where(c, 0.01, loss)
    return SetResults(losses, c, losses.mean(axis=1), c.sum(axis=1))


@pytest.mark.parametrize(("heavy", "light"), [(3.0, 1.0), (1.0, 3.0)])
def test_the_weights_rank_the_patches(heavy: float, light: float) -> None:
    """Negatives: two of type 0->1, two of type 2->3; particle 0 fixes the first type, particle
    1 the second: the type with the larger weight wins; equal weights tie."""
    types = (MisType(0, 1, heavy / (heavy + light)), MisType(2, 3, light / (heavy + light)))
    parsed = DRSettings(types, {0: 0.5, 2: 0.5})
    objective = DRObjective.build(
        parsed, (np.array([0, 0, 2, 2]), np.array([1, 1, 3, 3])), np.array([0, 2])
    )
    negatives = _results([[True, True, False, False], [False, False, True, True]])
    positives = _results([[True, True], [True, True]])
    fitness = objective(negatives, positives).fitness
    assert (fitness[0] > fitness[1]) == (heavy > light)
    even = DRObjective.build(
        DRSettings((MisType(0, 1, 0.5), MisType(2, 3, 0.5)), {0: 0.5, 2: 0.5}),
        (np.array([0, 0, 2, 2]), np.array([1, 1, 3, 3])),
        np.array([0, 2]),
    )
    tied = even(negatives, positives).fitness
    assert tied[0] == pytest.approx(tied[1])


def test_fitness_is_the_weighted_accuracies_less_half_the_weighted_rates() -> None:
    parsed = DRSettings((MisType(0, None, 1.0),), {0: 0.25, 1: 0.75})
    objective = DRObjective.build(parsed, (np.array([0, 0]), np.array([1, 1])), np.array([1, 0]))
    negatives = _results([[True, False]], loss=1.0)
    positives = _results([[True, False]], loss=3.0)
    rate = (0 + (1 - 1 / 2)) / 3  # one fixed, one wrong at loss 1, of the 3 inputs of label 0
    accuracy_0 = (1 + 1 / 2 + 1 / 4) / 3  # two negatives and one positive of label 0
    accuracy_1 = 1.0
    expected = 0.25 * accuracy_0 + 0.75 * accuracy_1 - 0.5 * rate
    assert objective(negatives, positives).fitness[0] == pytest.approx(expected)


def test_settings_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "dr_setting.json"
    path.write_text(json.dumps(settings()), encoding="utf-8")
    assert read_settings(path, NAMES) == parse_settings(settings(), NAMES, str(path))
