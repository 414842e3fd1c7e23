"""The application functions behind ``utils compare``, ``iteration_table``, ``label_index``,
``overlay_radar_charts``, ``variability``, ``inspect`` and the BDD crop and subset steps,
called in-process on real data; each result is checked against the files and the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from repair.app.commands import test
from repair.core.label_results import read_results, write_results
from repair.core.requirements import parse_requirements
from repair.errors import ConfigError
from tests.conftest import run_ok


@pytest.fixture(scope="module")
def two_results(digits_data_dir, digits_model_dir, perturbed_model_dir, tmp_path_factory):
    """results.json of the shared model (before/) and the perturbed one (after/) on test.h5."""
    folder = tmp_path_factory.mktemp("two-results")
    for name, model in (("before", digits_model_dir), ("after", perturbed_model_dir)):
        scores = test(model=model, data_file=digits_data_dir / "test.h5")
        write_results(folder / name / "results.json", scores.labels)
    return folder / "before", folder / "after"


def test_compare_checks_requirements_and_matches_the_cli(two_results) -> None:
    from repair.app.compare import compare

    before, after = two_results
    old, new = read_results(before), read_results(after)
    low = new[3].accuracy - 1  # a bound label 3 meets after
    high = new[0].accuracy / 2  # one label 0 fails (its accuracy is far above 0)
    result = compare(
        before=before, after=after, requirements=parse_requirements(f"3>={low:.2f},0<{high:.2f}")
    )
    three = next(row for row in result.comparison.labels if row.label == 3)
    assert (three.before, three.after) == (old[3], new[3])
    assert [check.passed for check in result.checks] == [True, False]
    assert result.checks[1].actual == pytest.approx(new[0].accuracy, abs=1e-6)
    assert not result.passed and result.failed == [result.checks[1]]
    assert result.paired is None and result.table.startswith("|")
    args = ["utils", "compare", f"--before={before}", f"--after={after}", "--json"]
    cli = run_ok([*args, f"--require=3>={low:.2f}"]).stdout
    assert (
        json.loads(cli)
        == compare(
            before=before, after=after, requirements=parse_requirements(f"3>={low:.2f}")
        ).to_dict()
    )


def test_compare_refuses_a_model_option_for_results(two_results) -> None:
    from repair.app.compare import compare

    before, after = two_results
    with pytest.raises(ConfigError, match="--after_model applies to an audit folder"):
        compare(before=before, after=after, after_model="m")


def test_compare_paired_gives_intervals_and_p_values(
    digits_data_dir, digits_model_dir, perturbed_model_dir
) -> None:
    from repair.app.compare import compare_paired

    split = digits_data_dir / "test.h5"
    same = compare_paired(
        before_model_dir=digits_model_dir, after_model_dir=digits_model_dir, data_file=split,
        requirements=parse_requirements("overall>=-0,overall+!"),
    )  # fmt: skip
    assert [check.passed for check in same.checks] == [True, False]  # no change, no rise
    assert all(row.change == 0 and row.p_value == 1.0 for row in same.paired)
    moved = compare_paired(
        before_model_dir=digits_model_dir, after_model_dir=perturbed_model_dir, data_file=split
    )
    before = test(model=digits_model_dir, data_file=split).accuracy
    after = test(model=perturbed_model_dir, data_file=split).accuracy
    assert moved.comparison.overall_change == pytest.approx(after - before, abs=1e-6)
    report = moved.to_dict()
    assert report["split"] == str(split) and len(report["paired"]) == len(moved.paired)
    assert report["passed"] is True and report["requirements"] == []


def test_compare_reads_strata_of_two_audits(
    digits_data_dir, digits_model_dir, perturbed_model_dir, tmp_path
) -> None:
    from repair.app.audit import audit
    from repair.app.compare import compare
    from repair.app.corrupt import corrupt
    from repair.core.data import read_split, write_split

    test_split = read_split(digits_data_dir / "test.h5")
    write_split(tmp_path / "test.h5", test_split.images[:60], test_split.labels[:60], 10)
    corrupt(source=tmp_path / "test.h5", output_dir=tmp_path / "corrupted", corruptions="fog",
            intensities="3", progress=False)  # fmt: skip
    out = tmp_path / "audit"
    models = [digits_model_dir, perturbed_model_dir]
    audit(model_dirs=models, data_dir=tmp_path, patterns=("test.h5", "corrupted/*.h5"),
          output_dir=out)  # fmt: skip
    result = compare(
        before=out, after=out, before_model=str(models[0]), after_model=str(models[1]),
        requirements=parse_requirements("overall@fog_3>=0"),
    )  # fmt: skip
    rows = [line.split(",") for line in (out / "audit.csv").read_text().splitlines()]
    header = rows[0]
    fog = next(r for r in rows[1:] if r[header.index("file")] == "corrupted/fog_3.h5"
               and r[header.index("model")] == str(models[1]))  # fmt: skip
    assert result.checks[0].actual == pytest.approx(float(fog[header.index("accuracy")]), abs=1e-3)
    clean = test(model=models[0], data_file=tmp_path / "test.h5").accuracy
    assert result.comparison.overall_before == pytest.approx(clean, abs=1e-3)


def test_iteration_table_writes_the_three_files(
    two_results, digits_data_dir, tmp_path: Path
) -> None:
    from repair.app.utils import iteration_table

    before, after = two_results
    for k, folder in enumerate((before, after)):
        (tmp_path / str(k)).mkdir()
        shutil.copy(folder / "results.json", tmp_path / str(k) / "results.json")
    table = iteration_table(run_dir=tmp_path, label="3", output_dir=tmp_path / "out")
    assert table.name == "3" and [row.iteration for row in table.rows] == [0, 1]
    assert table.rows[1].accuracy == pytest.approx(read_results(after)[3].accuracy)
    assert table.best is None  # no paired.json: no p-value, so no significant gain
    assert [p.name for p in table.written] == ["iterations.csv", "iterations.md", "iterations.png"]
    assert (tmp_path / "out" / "iterations.md").read_text() == table.table + "\n"
    assert table.written[2].read_bytes()[:4] == b"\x89PNG"


def test_label_index_by_name_or_index(digits_data_dir) -> None:
    from repair.app.utils import label_index

    found = label_index(data_file=digits_data_dir / "test.h5", label="7")
    assert (found.index, found.name) == (7, "7")
    with pytest.raises(ConfigError, match="Known: 0, 1, 2"):
        label_index(data_file=digits_data_dir / "test.h5", label="bicycle")


def test_overlay_radar_charts_names_each_run(two_results, tmp_path: Path) -> None:
    from repair.app.utils import overlay_radar_charts

    before, after = two_results
    result = overlay_radar_charts(inputs=[before, after / "results.json"], output_dir=tmp_path)
    assert result.names == ("before", "after")
    assert result.chart == tmp_path / "radar_overlay.png"
    assert result.chart.read_bytes()[:4] == b"\x89PNG"
    named = overlay_radar_charts(inputs=[before], legends=["start"], filename="one.png")
    assert named.names == ("start",) and named.chart == before / "one.png"


def test_variability_of_two_models(
    digits_data_dir, digits_model_dir, perturbed_model_dir, tmp_path: Path
) -> None:
    from repair.app.variability import variability
    from repair.core.data import read_split

    models = [digits_model_dir, perturbed_model_dir]
    result = variability(data_dir=digits_data_dir, model_dirs=models, output_dir=tmp_path)
    split = digits_data_dir / "test.h5"
    accuracies = [test(model=m, data_file=split).accuracy for m in models]
    report = result.report
    assert report["K"] == 2 and report["n"] == len(read_split(split).labels)
    assert report["overall"]["mean"] == pytest.approx(sum(accuracies) / 2, abs=1e-3)
    assert report["unstable"] > 0  # the perturbed model differs on some inputs
    names = [path.relative_to(tmp_path).as_posix() for path in result.written]
    assert names == ["variability.json", "per_input.csv", "unstable/repair.h5", "variability.png"]
    assert json.loads((tmp_path / "variability.json").read_text()) == report
    assert len(read_split(tmp_path / "unstable" / "repair.h5").labels) == report["unstable"]


def test_inspect_model_lists_layers_and_targets(digits_model_dir) -> None:
    from repair.app.commands import inspect_model

    result = inspect_model(model_dir=digits_model_dir)
    assert result.model_path == digits_model_dir / "model.keras"
    assert [row.index for row in result.layers] == list(range(len(result.layers)))
    assert result.default in result.targets and result.default == len(result.layers) - 1
    assert result.params == sum(row.params for row in result.layers)


def test_bdd_crops_then_a_subset(bdd_root: Path, tmp_path: Path) -> None:
    from repair.app.bdd import create_category_dir, create_image_subset

    crops = create_category_dir(
        input_dir=bdd_root / "images" / "val",
        label_file=bdd_root / "labels" / "det_20" / "det_val.json",
        output_dir=tmp_path / "categories",
        workers=1,
    )
    on_disk = {d.name: len(list(d.glob("*.jpg"))) for d in (tmp_path / "categories").iterdir()
               if d.is_dir()}  # fmt: skip
    assert crops.categories == dict(sorted(on_disk.items()))
    assert crops.crops == crops.written == sum(on_disk.values()) and crops.skipped
    again = create_category_dir(
        input_dir=bdd_root / "images" / "val",
        label_file=bdd_root / "labels" / "det_20" / "det_val.json",
        output_dir=tmp_path / "categories",
        workers=1,
    )
    assert again.written == 0 and again.categories == crops.categories
    subset = create_image_subset(
        category_dir=tmp_path / "categories", output_dir=tmp_path / "subset", num=20,
        excluded_labels=["truck"], args={"num": 20},
    )  # fmt: skip
    assert 0 < sum(subset.counts.values()) == len(subset.images) <= 20
    assert "truck" not in subset.counts
    info = json.loads((tmp_path / "subset" / "image_info.json").read_text())
    assert info["args"] == {"num": 20} and info["results"] == subset.counts
    assert sorted(p.name for p in (tmp_path / "subset").glob("*.jpg")) == sorted(
        image["name"] for image in subset.images
    )
