"""`repair report` on a real digits campaign: every number on the page is the one in its source
file, the page fetches nothing, requirements get their verdicts, inputs get pages with Grad-CAM,
and the provenance hashes are the files' own."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from repair.core.data import read_split
from tests.conftest import run_ok, run_repair


class _Cells(HTMLParser):
    """The sourced cells (data-file, data-key, text), image sources, links and section ids."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[list[str]] = []
        self.images: list[str] = []
        self.links: list[str] = []
        self.sections: list[str] = []
        self.tags: set[str] = set()
        self._open: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.add(tag)
        if tag == "td" and "data-file" in found:
            self._open = [found["data-file"] or "", found["data-key"] or "", ""]
        elif tag == "img":
            self.images.append(found.get("src") or "")
        elif tag == "a":
            self.links.append(found.get("href") or "")
        elif tag == "section":
            self.sections.append(found.get("id") or "")

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[2] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._open is not None:
            self.cells.append(self._open)
            self._open = None


def parse(page: Path) -> _Cells:
    parser = _Cells()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def source_value(file: str, key: str) -> float:
    """The value at ``key`` in ``file``: a JSON path, or ROW/COLUMN of a CSV file."""
    path = Path(file)
    if path.suffix == ".csv":
        row, column = key.split("/", 1)
        with open(path, newline="", encoding="utf-8") as handle:
            return float(list(csv.DictReader(handle))[int(row)][column])
    value = json.loads(path.read_text(encoding="utf-8"))
    for part in key.split("/"):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return float(value)


def test_every_number_on_the_page_is_the_one_in_its_source_file(campaign_report: Path) -> None:
    cells = parse(campaign_report / "index.html").cells
    files = {file for file, _, _ in cells}
    assert {Path(f).name for f in files} == {
        "results.json", "summary.json", "history.csv", "variability.json", "audit.csv",
        "drift.json", "drift_over_time.csv", "evaluate.json", "sweep.json",
    }  # fmt: skip
    assert len(cells) > 100
    for file, key, text in cells:
        shown = float(text)
        decimals = len(text.split(".")[1]) if "." in text else 0
        assert abs(source_value(file, key) - shown) <= 0.5 * 10**-decimals, (file, key, text)


def test_the_page_is_self_contained_and_has_a_section_per_evidence_found(
    campaign_report: Path, campaign: dict[str, Path]
) -> None:
    page = parse(campaign_report / "index.html")
    assert "script" not in page.tags and "link" not in page.tags
    assert page.images and all(src.startswith("data:image/png;base64,") for src in page.images)
    text = (campaign_report / "index.html").read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    for title in ("Per-label results: before", "Per-label results: after", "Repair run: run",
                  "Variability: variability", "Robustness audit: audit", "Drift: drift",
                  "Drift over time: drift_time", "Repeated repairs (evaluate): evaluate",
                  "Sweep: sweep", "Inputs to look at", "Provenance"):  # fmt: skip
        assert title in text
    assert "Requirements" not in text  # no section without --require
    # the charts the commands drew are inlined byte for byte
    radar = campaign["before"] / "radar.png"
    import base64

    assert base64.b64encode(radar.read_bytes()).decode() in text


def test_provenance_hashes_are_the_files_own(campaign_report: Path, campaign: dict[str, Path]):
    text = (campaign_report / "index.html").read_text(encoding="utf-8")
    model = campaign["model"] / "model.keras"
    repaired = campaign["run"] / "repair" / "model.keras"
    split = campaign["data"] / "test.h5"
    for path in (model, repaired, split):
        assert hashlib.sha256(path.read_bytes()).hexdigest() in text, path
    import tensorflow as tf

    assert f'<td class="text">{tf.__version__}</td>' in text
    seed = json.loads((campaign["run"] / "summary.json").read_text())["seed"]
    assert f"summary.json: seed = {seed}</code>" in text


def test_input_pages_show_the_image_label_predictions_and_a_map_per_model(
    campaign_report: Path, campaign: dict[str, Path]
) -> None:
    index = parse(campaign_report / "index.html")
    pages = [link for link in index.links if link.startswith("inputs/")]
    assert 0 < len(pages) <= 12
    assert sorted(pages) == sorted(
        f"inputs/{p.name}" for p in (campaign_report / "inputs").iterdir()
    )
    text = (campaign_report / "index.html").read_text(encoding="utf-8")
    assert "fixed by the repair" in text and "unstable: right in 1 of 2 models" in text
    for link in pages:
        page_file = campaign_report / link
        body = page_file.read_text(encoding="utf-8")
        found = re.search(r"position (\d+) of <code>([^<]+)</code>.*?true label <b>(\d+)</b>", body)
        assert found, link
        position, split, true = int(found[1]), Path(found[2]), int(found[3])
        assert int(read_split(split).labels[position]) == true
        parsed = parse(page_file)
        assert len(parsed.images) == 2  # the original's and the repaired model's Grad-CAM
        assert "../index.html" in parsed.links


def test_requirements_pass_fail_and_not_established(campaign: dict[str, Path], tmp_path: Path):
    inputs = f"{campaign['before']},{campaign['after']}"
    before = json.loads((campaign["before"] / "results.json").read_text())
    after = json.loads((campaign["after"] / "results.json").read_text())
    label, counts = after[int(np.argmax([c["score"] for _, c in after]))]
    wanted = f"{label}>=0,overall>=+50,{label}>={counts['score'] - 0.01:.2f}!"
    result = run_repair(
        ["report", "--input_dirs", inputs, "--output_dir", tmp_path, "--require", wanted]
    )
    assert result.exit_code == 1, result.output
    assert "2 of 3 requirements not met (the report is written)" in result.output
    text = (tmp_path / "index.html").read_text(encoding="utf-8")
    verdicts = re.findall(r'<tr class="(pass|fail|open)">', text)
    assert verdicts == ["pass", "fail", "open"]
    assert "not established" in text and len(before) == len(after)


def test_max_inputs_bounds_the_pages_and_zero_gives_none(campaign: dict[str, Path], tmp_path):
    inputs = f"{campaign['run']},{campaign['variability']}"
    run_ok(["report", "--input_dirs", inputs, "--output_dir", tmp_path, "--max_inputs", "3"])
    assert len(list((tmp_path / "inputs").iterdir())) == 3
    text = (tmp_path / "index.html").read_text(encoding="utf-8")
    for absent in ("Robustness audit", "Drift", "Sweep", "Per-label results"):
        assert absent not in text  # nothing for the kinds not found
    run_ok(["report", "--input_dirs", inputs, "--output_dir", tmp_path, "--max_inputs", "0"])
    assert not (tmp_path / "inputs").exists()  # the earlier run's pages went with its set


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p, "hold no evidence"),
        (lambda p: p / "missing", "no such folder"),
    ],
)
def test_folders_without_evidence_are_one_line_errors(tmp_path: Path, make, words) -> None:
    result = run_repair(["report", "--input_dirs", make(tmp_path), "--output_dir", tmp_path / "r"])
    assert result.exit_code != 0
    assert words in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "r" / "index.html").exists()


def test_require_without_results_is_a_usage_error(campaign: dict[str, Path], tmp_path: Path):
    result = run_repair(["report", "--input_dirs", campaign["variability"], "--output_dir",
                         tmp_path, "--require", "overall>=50"])  # fmt: skip
    assert result.exit_code == 2 and "--require needs evidence to check" in result.output


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("results.json", "{not json", "cannot read"),
        ("results.json", '[["x", 3]]', "results must be [label,"),
        ("summary.json", "[1, 2]", "is not repair evidence: expected a JSON object"),
        ("variability.json", '{"models": ["m"]}', "is not a variability run's: KeyError 'split'"),
    ],
)
def test_broken_evidence_files_are_one_line_errors(
    campaign: dict[str, Path], tmp_path: Path, name: str, content: str, words: str
) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    (folder / name).write_text(content, encoding="utf-8")
    shutil.copy(campaign["variability"] / "per_input.csv", folder / "per_input.csv")
    result = run_repair(["report", "--input_dirs", folder, "--output_dir", tmp_path / "r"])
    assert result.exit_code == 1, result.output
    assert words in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "r" / "index.html").exists()
