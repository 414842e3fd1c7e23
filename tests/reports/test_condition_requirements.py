"""Requirement selectors on operating conditions: LABEL@key=value and @key=value (every label)."""

from __future__ import annotations

import pytest

from repair.core.label_results import compare_results
from repair.core.requirements import Requirement, check_requirements, parse_requirements
from repair.errors import ConfigError
from tests.reports.conftest import scores

BEFORE = scores({2: (90, 100), 6: (70, 100)})
NIGHT_BEFORE = scores({2: (60, 80), 6: (10, 40)})
NIGHT_AFTER = scores({2: (64, 80), 6: (30, 40)})  # car 80 %, pedestrian 75 %
RAIN = scores({2: (45, 50), 6: (16, 20)})  # car 90 %, pedestrian 80 %
STRATA = {
    "timeofday=night": compare_results(NIGHT_BEFORE, NIGHT_AFTER),
    "weather=rainy": compare_results(RAIN, RAIN),
}


def check(text: str):
    return check_requirements(
        parse_requirements(text), compare_results(BEFORE, BEFORE), STRATA.__getitem__
    )


def test_parse_condition_selectors() -> None:
    parsed = parse_requirements("pedestrian@timeofday=night>=70, @weather=rainy>=80!, car>=9")
    assert parsed[0] == Requirement(
        "pedestrian", ">=", 70.0, relative=False, stratum="timeofday=night"
    )
    assert parsed[1].all_labels and parsed[1].stratum == "weather=rainy" and parsed[1].significant
    assert [str(r) for r in parsed] == [
        "pedestrian@timeofday=night>=70",
        "@weather=rainy>=80!",
        "car>=9",
    ]
    assert parse_requirements("car @ scene=city street >= +2")[0].stratum == "scene=city street"


@pytest.mark.parametrize(
    "text", ["car=night>=70", "car@timeofday=>=70", "car@=night>=70", "car@a=b=c>=70"]
)
def test_malformed_condition_selectors_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="--require"):
        parse_requirements(text)


def test_label_at_condition_passes_and_fails_on_the_condition() -> None:
    results = check(
        "pedestrian@timeofday=night>=75,pedestrian@timeofday=night>75,"
        "car@timeofday=night>=+5,pedestrian>=75"
    )
    assert [r.passed for r in results] == [True, False, True, False]
    assert results[0].describe() == "pedestrian@timeofday=night accuracy >= 75%: got 75.00%"


def test_every_label_of_a_condition_reports_the_worst() -> None:
    passed, failed = check("@weather=rainy>=80,@weather=rainy>=85")
    assert passed.passed and passed.actual == pytest.approx(80.0)
    assert not failed.passed and failed.actual == pytest.approx(80.0)
    assert failed.describe() == (
        "every label @weather=rainy accuracy >= 85%: worst of 2 labels is pedestrian: got 80.00%"
    )
    [upper] = check("@timeofday=night<=78")
    assert not upper.passed and upper.actual == pytest.approx(80.0)  # car is the worst here


def test_interval_form_on_a_condition() -> None:
    # pedestrian at night: 30/40, Wilson 95 % interval about [59.8, 85.8]
    strict, loose = check("pedestrian@timeofday=night>=70!,pedestrian@timeofday=night>=55!")
    assert not strict.passed and loose.passed
    assert strict.actual == pytest.approx(59.81, abs=0.05)
    assert "on 40 inputs" in strict.describe()
    [every] = check("@timeofday=night>=55!")
    assert every.passed and "worst of 2 labels is pedestrian" in every.describe()


def test_a_condition_selector_without_strata_says_what_it_needs() -> None:
    with pytest.raises(ConfigError, match="audit folders"):
        check_requirements(
            parse_requirements("@weather=rainy>=80"), compare_results(BEFORE, BEFORE)
        )
