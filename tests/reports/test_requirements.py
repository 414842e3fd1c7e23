"""--require: parsing and checking requirements on a before/after comparison."""

from __future__ import annotations

import pytest

from repair.core.label_results import compare_results
from repair.core.requirements import Requirement, check_requirements, parse_requirements
from repair.errors import ConfigError
from tests.reports.conftest import scores

BEFORE = scores({2: (1160, 1200), 6: (74, 100), 8: (85, 100)})


def test_parse_the_issue_example():
    parsed = parse_requirements("pedestrian>=75, car>=90,overall>=-1")
    assert parsed == [
        Requirement("pedestrian", ">=", 75.0, relative=False),
        Requirement("car", ">=", 90.0, relative=False),
        Requirement("overall", ">=", -1.0, relative=True),
    ]
    assert [str(r) for r in parsed] == ["pedestrian>=75", "car>=90", "overall>=-1"]


def test_parse_names_with_spaces_signs_and_all_operators():
    parsed = parse_requirements("traffic light>=+0.5,6<30,truck<=.5,overall>0")
    assert parsed[0] == Requirement("traffic light", ">=", 0.5, relative=True)
    assert [r.op for r in parsed] == [">=", "<", "<=", ">"]
    assert parsed[2].value == 0.5 and not parsed[2].relative


@pytest.mark.parametrize(
    "text",
    ["", ",", "car", "car=>90", "car>=ninety", ">=3", "car>=9 0",
     "car>=150", "car<=100.5", "car>=+101", "overall>=-150"],
)  # fmt: skip
def test_parse_rejects_what_it_cannot_read(text):
    with pytest.raises(ConfigError, match="--require"):
        parse_requirements(text)


def check(after, text):
    return check_requirements(parse_requirements(text), compare_results(BEFORE, after))


def test_absolute_and_relative_checks():
    after = scores({2: (1150, 1200), 6: (75, 100), 8: (80, 100)})
    results = check(after, "pedestrian>=75,car>=96,overall>=-1,8>=-5,overall>=+0")
    assert [r.passed for r in results] == [True, False, True, True, False]
    assert results[0].actual == pytest.approx(75.0)  # exactly on the bound passes
    assert results[1].describe() == "car accuracy >= 96%: got 95.83%"
    assert results[2].actual == pytest.approx((1305 - 1319) / 1400 * 100)
    assert results[4].describe().startswith("overall change in points >= +0: got -1.00")


def test_float_noise_does_not_fail_a_bound_met_exactly():
    before = scores({6: (1, 10)})
    after = scores({6: (4, 10)})  # 40.0 - 10.0 may come out as 30.000000000000004 or below
    [result] = check_requirements(
        parse_requirements("pedestrian>=+30"), compare_results(before, after)
    )
    assert result.passed


def test_label_missing_after_fails_and_unknown_name_is_an_error():
    after = scores({2: (1160, 1200), 8: (85, 100)})
    [result] = check(after, "pedestrian>=50")
    assert not result.passed and result.actual is None
    assert "absent" in result.describe()
    with pytest.raises(ConfigError, match="unknown label 'bus'.*pedestrian"):
        check(after, "bus>=50")


def test_parse_stratum_selectors():
    parsed = parse_requirements(
        "pedestrian@fog_3>=70, traffic light @ holdout/fog_3.h5>=+2,car>=90"
    )
    assert parsed[0] == Requirement("pedestrian", ">=", 70.0, relative=False, stratum="fog_3")
    assert parsed[1] == Requirement(
        "traffic light", ">=", 2.0, relative=True, stratum="holdout/fog_3.h5"
    )
    assert parsed[2].stratum is None
    assert str(parsed[0]) == "pedestrian@fog_3>=70"
    assert parse_requirements("@fog_3>=70")[0].all_labels  # every label of the stratum
    for text in ("pedestrian@>=70", "@>=70"):
        with pytest.raises(ConfigError, match="stratum selectors"):
            parse_requirements(text)


def test_stratum_selectors_check_the_stratum_comparison():
    fog_before = scores({6: (30, 100), 2: (90, 100)})
    fog_after = scores({6: (72, 100), 2: (88, 100)})
    strata = {"fog_3": compare_results(fog_before, fog_after)}
    after = scores({2: (1150, 1200), 6: (75, 100), 8: (80, 100)})
    results = check_requirements(
        parse_requirements("pedestrian@fog_3>=70,pedestrian@fog_3>=+45,car@fog_3>=-1,car>=96"),
        compare_results(BEFORE, after),
        strata.__getitem__,
    )
    assert [r.passed for r in results] == [True, False, False, False]
    assert results[1].actual == pytest.approx(42.0)
    assert results[0].describe() == "pedestrian@fog_3 accuracy >= 70%: got 72.00%"
    with pytest.raises(ConfigError, match="audit folders"):
        check(after, "pedestrian@fog_3>=70")
