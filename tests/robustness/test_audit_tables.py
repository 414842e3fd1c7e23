"""The audit's pure functions on hand-made predictions: strata, means, stratum selection."""

from __future__ import annotations

import numpy as np
import pytest

from repair.errors import ConfigError
from repair.robustness.audit import AuditRow, Stratum, audit_file, image_strata
from repair.robustness.audit_compare import stratum_scores
from repair.robustness.audit_summary import mean_by_intensity, transfer_cells

NAMES = ["zero", "one", "two"]


def test_strata_group_images_by_their_keys():
    extras = {"corruption": np.array(["fog", "fog", "blur", "fog"]), "intensity": [3, 3, 3, 1]}
    strata, which = image_strata(4, extras, {"fog": "weather", "blur": "blur"}.get)
    assert [s.name for s in strata] == ["fog_3", "blur_3", "fog_1"]
    assert strata[0].category == "weather"
    np.testing.assert_array_equal(which, [0, 0, 1, 2])
    attack = {"attack": np.array(["fgm"] * 2), "eps": [0.03, 0.03], "source_model": ["/m/a"] * 2}
    [stratum], _ = image_strata(2, attack, str, {"/m/a": "a"})
    assert stratum == Stratum("adversarial", "fgm", 0.03, "a")
    assert image_strata(3, {}, str)[0] == [Stratum("clean", "clean", 0.0)]


def test_rows_per_stratum_and_label():
    true = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 0, 2])
    strata = [Stratum("weather", "fog", 3.0), Stratum("weather", "fog", 5.0)]
    which = np.array([0, 0, 0, 1, 1, 1])
    rows, labels = audit_file("m", "f.h5", strata, which, true, predicted, NAMES)
    assert [(r.n, r.correct) for r in rows] == [(3, 2), (3, 2)]
    assert [(r.label, r.name, r.n, r.correct) for r in labels] == [
        (0, "zero", 2, 1),
        (1, "one", 1, 1),
        (2, "two", 3, 2),
    ]


def _row(model, category, kind, level, n, correct, source="", file="", label=None):
    return AuditRow(model, Stratum(category, kind, level, source), n, correct, file, label, "x")


def test_means_are_unweighted_over_kinds_and_white_box_for_attacks():
    rows = [
        _row("a", "clean", "clean", 0, 100, 90),
        _row("a", "weather", "fog", 1, 100, 80),
        _row("a", "blur", "zoom_blur", 1, 10, 4),
        _row("a", "adversarial", "fgm", 0.1, 50, 10, source="a"),
        _row("a", "adversarial", "fgm", 0.1, 50, 40, source="b"),
    ]
    means = {m.column: m.accuracy for m in mean_by_intensity(rows, ["a"])}
    assert means == {"clean": 90.0, "corruptions 1": 60.0, "fgm 0.1": 20.0}
    [own, other] = transfer_cells(rows, ["a", "b"])
    assert (own.source, own.accuracy, other.source, other.accuracy) == ("a", 20.0, "b", 80.0)


def test_stratum_selection_by_file_stem_or_name_and_its_ambiguities():
    rows = [
        _row("a", "weather", "fog", 3, 10, 7, file="corrupted/fog_3.h5", label=1),
        _row("a", "weather", "fog", 3, 10, 9, file="holdout/fog_3.h5", label=1),
        _row("a", "adversarial", "fgm", 0.1, 10, 2, "a", "adv/a/fgm_0.1.h5", 1),
        _row("a", "adversarial", "fgm", 0.1, 10, 6, "b", "adv/b/fgm_0.1.h5", 1),
    ]
    [score] = stratum_scores(rows, "a", "holdout/fog_3")
    assert score.accuracy == 90.0
    with pytest.raises(ConfigError, match="several files.*corrupted/fog_3.h5, holdout/fog_3.h5"):
        stratum_scores(rows, "a", "fog_3")
    [white_box] = stratum_scores(rows, "a", "fgm_0.1")
    assert white_box.accuracy == 20.0
    with pytest.raises(ConfigError, match="no stratum 'snow_1'"):
        stratum_scores(rows, "a", "snow_1")
