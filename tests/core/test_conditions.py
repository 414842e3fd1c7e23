"""Operating conditions: parsing and matching ``key=value``, utils add_attributes, target --where,
and the condition keys surviving every command that copies images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from repair.core.conditions import (
    Condition,
    check_conditions,
    condition_mask,
    parse_conditions,
)
from repair.core.data import SplitReader, read_split
from repair.errors import ConfigError
from tests.conftest import run_ok, run_repair

WEATHERS = ("clear", "rainy", "foggy")


def _conditions_of(image_id: str) -> tuple[str, str]:
    """A fixed, varied (weather, timeofday) per digits image id."""
    number = int("".join(c for c in image_id if c.isdigit()) or 0)
    return WEATHERS[number % 3], "night" if number % 4 == 0 else "daytime"


def _write_csv(data_dir: Path, path: Path, skip_every: int = 7) -> dict[str, tuple[str, str]]:
    ids = []
    for name in ("train", "test", "repair"):
        ids += [str(i) for i in read_split(data_dir / f"{name}.h5").image_ids]
    chosen = {i: _conditions_of(i) for k, i in enumerate(ids) if k % skip_every}
    rows = ["image_id,weather,timeofday"] + [f"{i},{w},{t}" for i, (w, t) in chosen.items()]
    path.write_text("\n".join(rows) + "\n")
    return chosen


@pytest.fixture
def conditioned(digits_workdir: Path, tmp_path: Path) -> tuple[Path, dict]:
    """The digits splits with weather and timeofday from a CSV (every 7th image unlisted)."""
    csv = tmp_path / "conditions.csv"
    chosen = _write_csv(digits_workdir, csv)
    result = run_ok(["utils", "add_attributes", "--data_dir", digits_workdir, "--csv", csv])
    assert "added keys: weather, timeofday" in result.stdout
    return digits_workdir, chosen


def _expected(ids: np.ndarray, chosen: dict, key: int) -> list[str]:
    return [chosen.get(str(i), ("undefined", "undefined"))[key] for i in ids]


def test_parse_conditions_and_its_errors() -> None:
    assert parse_conditions("weather=rainy, timeofday=night") == (
        Condition("weather", "rainy"),
        Condition("timeofday", "night"),
    )
    assert parse_conditions("scene=city street") == (Condition("scene", "city street"),)
    for bad in ("", "night", "=night", "weather=", "a b=c", "weather=rainy=x"):
        with pytest.raises(ConfigError, match="--where"):
            parse_conditions(bad)
    with pytest.raises(ConfigError, match="two values"):
        parse_conditions("weather=rainy,weather=clear")


def test_mask_ands_and_unknown_keys_or_values_name_what_exists() -> None:
    columns = {
        "weather": np.array(["rainy", "clear", "rainy"], dtype=object),
        "timeofday": np.array(["night", "night", "day"], dtype=object),
        "intensity": np.array([1, 2, 3]),
    }
    both = parse_conditions("weather=rainy,timeofday=night")
    np.testing.assert_array_equal(condition_mask(both, columns, 3), [True, False, False])
    check_conditions(both, columns, "repair.h5")
    with pytest.raises(ConfigError, match=r"no per-image string key 'wether'.*timeofday, weather"):
        check_conditions(parse_conditions("wether=rainy"), columns, "repair.h5")
    with pytest.raises(ConfigError, match=r"weather=snowy; its values: clear, rainy"):
        check_conditions(parse_conditions("weather=snowy"), columns, "repair.h5")
    with pytest.raises(ConfigError, match="no per-image string key 'intensity'"):
        check_conditions(parse_conditions("intensity=1"), columns, "repair.h5")


def test_add_attributes_matches_ids_and_fills_undefined(conditioned: tuple[Path, dict]) -> None:
    data_dir, chosen = conditioned
    for name in ("train", "val", "test", "repair"):
        split = read_split(data_dir / f"{name}.h5")
        assert list(split.extras["weather"]) == _expected(split.image_ids, chosen, 0)
        assert list(split.extras["timeofday"]) == _expected(split.image_ids, chosen, 1)
    # val's ids are not in the CSV at all: all undefined
    assert set(read_split(data_dir / "val.h5").extras["weather"]) == {"undefined"}
    # committed through core/staging: no staging folder left, and no manifest (the splits are
    # borrowed: they stay the files of the command that wrote them)
    assert not list(data_dir.glob(".*"))


def test_add_attributes_failing_on_a_later_split_changes_none(
    digits_workdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repair.core import attributes

    before = {p.name: p.read_bytes() for p in attributes.split_files(digits_workdir)}
    csv = tmp_path / "conditions.csv"
    _write_csv(digits_workdir, csv)
    rewrite, written = attributes._rewrite, []

    def failing(source: Path, target: Path, table: attributes.AttributeTable) -> int:
        if written:
            raise OSError("disk full")
        written.append(source.name)
        return rewrite(source, target, table)

    monkeypatch.setattr(attributes, "_rewrite", failing)
    with pytest.raises(OSError, match="disk full"):
        attributes.add_attributes(digits_workdir, attributes.read_attribute_csv(csv))
    assert written == ["train.h5"]  # the first split was rewritten (in the stage) ...
    after = {p.name: p.read_bytes() for p in attributes.split_files(digits_workdir)}
    assert after == before  # ... and none moved into place
    assert not list(digits_workdir.glob(".*"))


def test_add_attributes_refuses_unknown_ids_and_bad_headers(
    digits_workdir: Path, tmp_path: Path
) -> None:
    before = (digits_workdir / "test.h5").read_bytes()
    cases = {
        "image_id,weather\nno-such-image,rainy\n": "1 image id(s) are in none of",
        "id,weather\nx,rainy\n": "must start with the header 'image_id,<key>,...'",
        "image_id,labels\nx,rainy\n": "must be an identifier",
        "image_id,corruption\nx,fog\n": "key 'corruption' is written by repair corrupt",
    }
    for text, message in cases.items():
        csv = tmp_path / "bad.csv"
        csv.write_text(text)
        result = run_repair(["utils", "add_attributes", "--data_dir", digits_workdir, "--csv", csv])
        assert result.exit_code != 0, text
        assert message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert (digits_workdir / "test.h5").read_bytes() == before  # nothing written on an error
    assert not list(digits_workdir.glob(".*"))


def test_condition_keys_survive_every_copying_command(
    conditioned: tuple[Path, dict], digits_model_dir: Path
) -> None:
    data_dir, chosen = conditioned
    run_ok(["target", "--model_dir", digits_model_dir, "--data_dir", data_dir, "--holdout=0.2"])
    run_ok(["utils", "split_dataset", "--input", data_dir / "test.h5", "--chunk_size=100"])
    run_ok(["corrupt", "--data_dir", data_dir, "--target_data=test.h5"]
           + ["--corruptions=contrast", "--intensities=2"])  # fmt: skip
    run_ok(["attack", "--model_dir", digits_model_dir, "--data_dir", data_dir]
           + ["--target_data=test.h5", "--attack=fgm", "--eps=0.05"])  # fmt: skip
    copies = [
        data_dir / "holdout/repair.h5",
        data_dir / "positive/repair.h5",
        data_dir / "negative/repair.h5",
        *sorted(data_dir.glob("negative/*/repair.h5")),
        *sorted(data_dir.glob("repairsets/*/repair.h5")),
        *sorted(data_dir.glob("corrupted/*.h5")),
        *sorted(data_dir.glob("adversarial/*/*.h5")),
    ]
    assert len(copies) >= 8 and any("adversarial" in str(p) for p in copies)
    assert any("corrupted" in str(p) for p in copies)
    for path in copies:
        split = read_split(path)
        for key, column in (("weather", 0), ("timeofday", 1)):
            assert list(split.extras[key]) == _expected(split.image_ids, chosen, column), path


def test_target_where_splits_only_the_condition(
    conditioned: tuple[Path, dict], digits_model_dir: Path
) -> None:
    data_dir, chosen = conditioned
    source = read_split(data_dir / "repair.h5")
    night = np.array(_expected(source.image_ids, chosen, 1)) == "night"
    rainy = np.array(_expected(source.image_ids, chosen, 0)) == "rainy"
    args = ["target", "--model_dir", digits_model_dir, "--data_dir", data_dir, "--json"]
    summary = json.loads(run_ok([*args, "--where", "timeofday=night"]).stdout)
    assert summary["total"] == int(night.sum()) > 0
    for part in ("positive", "negative"):
        assert set(read_split(data_dir / part / "repair.h5").extras["timeofday"]) == {"night"}
    both = json.loads(run_ok([*args, "--where=weather=rainy,timeofday=night"]).stdout)
    assert both["total"] == int((night & rainy).sum()) > 0
    held = run_ok([*args, "--where=timeofday=night", "--holdout=0.25"])
    held_out = read_split(data_dir / "holdout/repair.h5")
    assert set(held_out.extras["timeofday"]) == {"night"}
    assert json.loads(held.stdout)["total"] + len(held_out) == int(night.sum())


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("timeofday=dusk", "timeofday=dusk; its values: daytime, night, undefined"),
        ("season=winter", "no per-image string key 'season'; its keys: timeofday, weather"),
        ("night", "--where parts look like 'timeofday=night'"),
    ],
)
def test_target_where_names_the_values_that_exist(
    conditioned: tuple[Path, dict], digits_model_dir: Path, where: str, message: str
) -> None:
    data_dir, _ = conditioned
    result = run_repair(
        ["target", "--model_dir", digits_model_dir, "--data_dir", data_dir, "--where", where]
    )
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (data_dir / "positive").exists()


def test_a_split_without_string_keys_says_so(digits_workdir: Path) -> None:
    with SplitReader(digits_workdir / "test.h5") as reader:
        columns = reader.extras()
    with pytest.raises(ConfigError, match="its keys: none"):
        check_conditions(parse_conditions("weather=rainy"), columns, "test.h5")


@pytest.mark.parametrize(
    ("spec", "kept"),
    [
        ("holdout:0:0.5", 30),
        ("grayscale:0:0.5", 40),
        ("holdout-dup:0:0.5", 40),  # 10 of label 0 out, 10 copies of the kept ones appended
        ("augmentation-all:0.5", 40),
    ],
)
def test_variability_scenarios_keep_the_condition_keys(
    tmp_path: Path, spec: str, kept: int
) -> None:
    from repair.core.data import write_split
    from repair.variability.scenarios import apply_scenario, parse_scenario

    rng = np.random.default_rng(0)
    ids = np.array([f"img{k}" for k in range(40)], dtype=object)
    weather = np.array([WEATHERS[k % 3] for k in range(40)], dtype=object)
    path = write_split(
        tmp_path / "train.h5",
        rng.random((40, 4, 4, 3), dtype=np.float32),
        np.arange(40) % 2,
        2,
        image_ids=ids,
        extras={"weather": weather},
    )
    record = apply_scenario(path, parse_scenario(spec), seed=0)
    split = read_split(path)
    assert len(split) == kept
    if spec.startswith("holdout-dup"):  # the copies, appended last, carry their source's keys
        assert record["duplicated"] == 10
        assert sorted(split.image_ids[30:]) == sorted(record["duplicate_image_ids"])
    of = dict(zip(ids, weather, strict=True))
    assert list(split.extras["weather"]) == [of[i] for i in split.image_ids]
