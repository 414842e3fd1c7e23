"""The '!' requirements: a bound on the Wilson interval ('pedestrian>=75!') and a significant
rise ('pedestrian+!'), parsed beside the plain forms."""

from __future__ import annotations

import pytest

from repair.core.label_results import compare_results
from repair.core.requirements import RISE, Requirement, check_requirements, parse_requirements
from repair.errors import ConfigError
from tests.reports.conftest import scores

# The tutorial's situation: pedestrian at 75.03 % of 1,530 after repair (72.8 % before).
BEFORE = scores({2: (900, 1000), 6: (1114, 1530)})
AFTER = scores({2: (905, 1000), 6: (1148, 1530)})


def test_parse_marks_beside_the_plain_forms():
    parsed = parse_requirements("pedestrian>=75!, pedestrian+!, car<=95 !, overall>=-1")
    assert parsed == [
        Requirement("pedestrian", ">=", 75.0, relative=False, significant=True),
        Requirement("pedestrian", RISE, 0.0, relative=True, significant=True),
        Requirement("car", "<=", 95.0, relative=False, significant=True),
        Requirement("overall", ">=", -1.0, relative=True),
    ]
    assert [str(r) for r in parsed] == [
        "pedestrian>=75!",
        "pedestrian+!",
        "car<=95!",
        "overall>=-1",
    ]


@pytest.mark.parametrize("text", ["car>=+2!", "car!", "car+", "car+!!", "car>=90!!"])
def test_marks_it_cannot_read(text):
    with pytest.raises(ConfigError, match="--require|'!'"):
        parse_requirements(text)


def test_interval_bound_is_stricter_than_the_point_estimate():
    comparison = compare_results(BEFORE, AFTER)
    plain, marked, lower, upper = check_requirements(
        parse_requirements("pedestrian>=75,pedestrian>=75!,pedestrian>=72.5!,car<=92!"),
        comparison,
    )
    assert plain.passed and not marked.passed  # 75.03 % but the interval reaches 72.8 %
    assert marked.actual == pytest.approx(72.8, abs=0.1)
    assert "[72.8" in marked.describe() and "1530 inputs" in marked.describe()
    assert lower.passed
    assert not upper.passed and upper.actual > 92  # car 90.5 %: the upper end is above 92


def test_rise_needs_paired_p_values_and_a_significant_gain():
    comparison = compare_results(BEFORE, AFTER)
    rise = parse_requirements("pedestrian+!,car+!,overall+!")
    with pytest.raises(ConfigError, match="--paired"):
        check_requirements(rise, comparison)
    results = check_requirements(rise, comparison, p_values={"6": 0.01, "2": 0.3, "overall": 0.04})
    assert [r.passed for r in results] == [True, False, True]
    assert "p = 0.3" in results[1].describe() and results[1].to_dict()["actual"] == 0.3
    falling = compare_results(AFTER, BEFORE)  # a significant fall is no rise
    assert not check_requirements(rise[:1], falling, p_values={"6": 0.001})[0].passed


def test_marks_combine_with_stratum_selectors():
    level, rise = parse_requirements("pedestrian@fog_3>=75!,pedestrian@fog_3+!")
    assert (level.stratum, level.significant, str(level)) == (
        "fog_3",
        True,
        "pedestrian@fog_3>=75!",
    )
    assert (rise.stratum, rise.op, str(rise)) == ("fog_3", RISE, "pedestrian@fog_3+!")
    comparison = compare_results(BEFORE, AFTER)
    [result] = check_requirements([level], comparison, strata=lambda name: comparison)
    assert not result.passed and "pedestrian@fog_3 accuracy 95% interval" in result.describe()
    with pytest.raises(ConfigError, match="per-input"):
        check_requirements([rise], comparison, strata=lambda name: comparison)
