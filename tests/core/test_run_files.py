"""optimize's output set is committed as one: a kill before the commit leaves the old set, a kill
during the moves is finished by the next reader (no new weights.csv beside an old model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from repair.core import run_files
from repair.core.staging import COMMITTED_MARK


def _old_set(folder: Path) -> None:
    (folder / "repair").mkdir(parents=True)
    (folder / "weights.csv").write_text("old weights\n")
    (folder / "repair" / "model.keras").write_text("old model")
    (folder / "summary.json").write_text('{"run": "old"}')


def _write_new(stage: Path) -> None:
    assert (stage / "weights.csv").read_text() == "old weights\n"  # the inputs are readable
    run_files.write_summary(stage, {"run": "new"})
    (stage / "repair").mkdir()
    (stage / "repair" / "model.keras").write_text("new model")
    (stage / "history.csv").write_text("new history\n")
    (stage / ".w.tmp").write_text("new weights\n")
    (stage / ".w.tmp").replace(stage / "weights.csv")  # an atomic rewrite replaces the link


def test_a_finished_set_replaces_the_old_one_whole(tmp_path: Path) -> None:
    _old_set(tmp_path)
    (tmp_path / "log.txt").write_text("the user's")
    with run_files.staged_outputs(tmp_path) as stage:
        _write_new(stage)
    assert (tmp_path / "weights.csv").read_text() == "new weights\n"
    assert (tmp_path / "repair" / "model.keras").read_text() == "new model"
    assert run_files.read_summary(tmp_path) == {"run": "new"}
    assert (tmp_path / "log.txt").read_text() == "the user's"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".repair-optimize.json", "history.csv", "log.txt", "repair", "summary.json", "weights.csv",
    ]  # fmt: skip
    # weights.csv is localize's, which optimize rewrites: optimize does not take it over.
    assert sorted(json.loads((tmp_path / ".repair-optimize.json").read_text())["files"]) == [
        "history.csv", "repair/model.keras", "summary.json",
    ]  # fmt: skip


def test_a_failure_before_the_commit_leaves_the_old_set(tmp_path: Path) -> None:
    _old_set(tmp_path)
    with pytest.raises(KeyboardInterrupt), run_files.staged_outputs(tmp_path) as stage:
        _write_new(stage)
        raise KeyboardInterrupt
    assert (tmp_path / "weights.csv").read_text() == "old weights\n"
    assert (tmp_path / "repair" / "model.keras").read_text() == "old model"
    assert not (tmp_path / "history.csv").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_kill_during_the_moves_is_finished_by_the_next_reader(tmp_path: Path) -> None:
    _old_set(tmp_path)
    # What a kill leaves after the mark was written and weights.csv alone was moved (the mark in
    # the one-path-a-line format of an older repair: it is still finished).
    stage = tmp_path / f"{run_files.STAGING_PREFIX}999999999-dead"
    (stage / "repair").mkdir(parents=True)
    (stage / "repair" / "model.keras").write_text("new model")
    (stage / "summary.json").write_text('{"run": "new"}')
    (tmp_path / "weights.csv").write_text("new weights\n")
    (stage / COMMITTED_MARK).write_text("repair/model.keras\nweights.csv\nsummary.json\n")
    assert run_files.read_summary(tmp_path) == {"run": "new"}
    assert (tmp_path / "repair" / "model.keras").read_text() == "new model"
    assert not stage.exists()


def test_an_unfinished_stage_of_a_dead_process_is_dropped(tmp_path: Path) -> None:
    _old_set(tmp_path)
    stage = tmp_path / f"{run_files.STAGING_PREFIX}999999999-dead"
    stage.mkdir()
    (stage / "weights.csv").write_text("half written")
    assert run_files.read_summary(tmp_path) == {"run": "old"}
    assert not stage.exists()
    assert (tmp_path / "weights.csv").read_text() == "old weights\n"


def test_a_rerun_removes_what_the_last_optimize_wrote_and_this_one_does_not(
    tmp_path: Path,
) -> None:
    _old_set(tmp_path)
    with run_files.staged_outputs(tmp_path) as stage:
        _write_new(stage)
        (stage / "repair" / "extra.npy").write_text("only the first method writes this")
    (tmp_path / "notes.txt").write_text("the user's")
    with run_files.staged_outputs(tmp_path) as stage:
        run_files.write_summary(stage, {"run": "second"})
        (stage / "repair").mkdir()
        (stage / "repair" / "model.keras").write_text("second model")
    assert not (tmp_path / "history.csv").exists()
    assert not (tmp_path / "repair" / "extra.npy").exists()
    assert (tmp_path / "weights.csv").read_text() == "new weights\n"  # localize's: it stays
    assert (tmp_path / "notes.txt").read_text() == "the user's"
    assert run_files.read_summary(tmp_path) == {"run": "second"}


def test_iteration_counts_finish_a_committed_optimize_first(tmp_path: Path) -> None:
    from repair.core.iterations import repair_counts

    # Iteration 1's optimize was killed after its mark, before summary.json was moved in.
    stage = tmp_path / f"{run_files.STAGING_PREFIX}999999999-dead"
    stage.mkdir()
    counts = {"patched": 3, "negatives": 5, "broken": 1, "positives": 40}
    (stage / "summary.json").write_text(json.dumps(counts))
    (stage / COMMITTED_MARK).write_text("summary.json\n")
    assert repair_counts(tmp_path) == counts
    assert run_files.read_summary_if_any(tmp_path / "elsewhere") is None


def test_the_target_layout_is_found_from_any_negative_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "positive").mkdir(parents=True)
    deepest = run_files.negative_dir(data, 3) / "5"
    deepest.mkdir(parents=True)
    for folder in (run_files.negative_dir(data), run_files.negative_dir(data, 3), deepest):
        assert run_files.layout_root(folder) == data.resolve()
        assert run_files.positives_beside(folder) is None  # no positive/repair.h5 yet
    (data / "positive" / run_files.SPLIT_FILENAME).write_bytes(b"")
    assert run_files.positives_beside(deepest) == (data / "positive").resolve()
    assert run_files.layout_root(tmp_path / "other") is None
    assert run_files.layout_root(deepest / "6" / "7") is None  # too deep for the layout
    assert run_files.holds_target_layout(data) and not run_files.holds_target_layout(deepest)
