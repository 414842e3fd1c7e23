"""``repair report``: one self-contained HTML page of a campaign's evidence, and a page per input.

The page is built only from the files the given folders hold (:mod:`repair.app.report_evidence`
finds them): first the requirements checked on that evidence, then a section per piece of
evidence (:mod:`repair.app.report_sections`), the input pages
(:mod:`repair.app.report_inputs`), and the provenance: versions, seeds, and the sha256 of every
model and split file the evidence names. ``index.html`` and ``inputs/`` are written as one set.
"""

from __future__ import annotations

import hashlib
import platform
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from html import unescape as html_unescape
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from repair.app.report_evidence import KINDS, Evidence, find_evidence
from repair.app.report_sections import evidence_section, flatten
from repair.core import run_files
from repair.core.files import write_text_atomic
from repair.core.staging import staged
from repair.errors import ConfigError
from repair.reports.html import contents, escape, page, section, table

if TYPE_CHECKING:
    from repair.core.requirements import Requirement, RequirementResult

REPORT_COMMAND = "report"
INDEX_FILENAME = "index.html"
SEED_KEYS = {"seed", "seeds", "random_state"}
MODEL_OR_SPLIT = (".keras", ".h5")


@dataclass(frozen=True)
class ReportResult:
    index: Path
    evidence: tuple[Evidence, ...]
    checks: tuple[RequirementResult, ...]
    verdicts: tuple[str, ...]  # pass, fail or not established, per check
    inputs: tuple[str, ...]
    hashed: dict[str, str]


def verdict(check: RequirementResult, point_passed: bool) -> str:
    """pass; fail; or not established: a ``!`` requirement whose point estimate meets the bound
    (``point_passed``) but whose interval does not."""
    if check.passed:
        return "pass"
    return "not established" if check.requirement.significant and point_passed else "fail"


def point_form(requirement: Requirement) -> Requirement:
    """``car>=90!`` as ``car>=90``: the same bound on the point estimate."""
    from repair.core.requirements import RISE

    return requirement if requirement.op == RISE else replace(requirement, significant=False)


def _sides(evidence: Sequence[Evidence]) -> tuple[Path, Path, dict[str, str]]:
    """Before and after: the first and last results.json folders; without any, the first and
    last audit folders, and of those the first model audited before and the last one after."""
    from repair.robustness.audit import audit_models, read_audit

    results = [item.folder for item in evidence if item.kind == "results"]
    if results:
        return results[0], results[-1], {}
    audits = [item.folder for item in evidence if item.kind == "audit"]
    if not audits:
        raise ConfigError(
            "--require needs evidence to check: a folder with results.json or an audit folder "
            "among --input_dirs"
        )
    models = {
        "before_model": audit_models(read_audit(audits[0]))[0],
        "after_model": audit_models(read_audit(audits[-1]))[-1],
    }
    return audits[0], audits[-1], models


def check_on_evidence(
    requirements: Sequence[Requirement], evidence: Sequence[Evidence]
) -> tuple[tuple[RequirementResult, ...], tuple[str, ...], str]:
    """Check ``requirements`` on the evidence's before and after (:func:`_sides`; one alone is
    both, and then only absolute bounds say something)."""
    from repair.app.compare import compare

    before, after, models = _sides(evidence)
    asked = list(requirements)
    both = compare(before=before, after=after, requirements=[*asked, *map(point_form, asked)],
                   **models)  # fmt: skip
    checks, points = both.checks[: len(asked)], both.checks[len(asked) :]
    css = {"pass": "pass", "fail": "fail", "not established": "open"}
    verdicts = tuple(
        verdict(check, point.passed) for check, point in zip(checks, points, strict=True)
    )
    rows = [[escape(check.requirement), escape(shown), escape(check.describe())]
            for check, shown in zip(checks, verdicts, strict=True)]  # fmt: skip
    chosen = "".join(f", {key.replace('_', ' ')} {escape(name)}" for key, name in models.items())
    body = (
        f"<p>Checked with <code>{escape(before)}</code> as before and "
        f"<code>{escape(after)}</code> as after{chosen}.</p>"
        + table(["requirement", "verdict", "evidence"], rows, [css[r[1]] for r in rows])
        + f"<h3>Per label, before and after</h3><pre>{escape(both.table)}</pre>"
    )
    return checks, verdicts, section("Requirements", body, "requirements")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _json_scalars(evidence: Sequence[Evidence]) -> Iterator[tuple[Evidence, str, object]]:
    """``(evidence, key/path, value)`` for every scalar of every JSON file read."""
    for item in evidence:
        if item.main.suffix == ".json":
            for key, value in flatten(item.data):
                yield item, key, value


def referenced_files(evidence: Sequence[Evidence]) -> list[Path]:
    """The model and split files the evidence names (a folder stands for its model.keras and
    repair.h5), that exist here."""
    found: set[Path] = set()
    for _, _, value in _json_scalars(evidence):
        if not isinstance(value, str) or not value or len(value) > 4096:
            continue
        path = Path(value)
        candidates = [path]
        if path.is_dir():
            candidates = [path / run_files.MODEL_FILENAME, path / run_files.SPLIT_FILENAME]
        found.update(c.resolve() for c in candidates if c.suffix in MODEL_OR_SPLIT and c.is_file())
    return sorted(found)


def provenance(evidence: Sequence[Evidence], hashed: dict[str, str]) -> str:
    import tensorflow as tf

    import repair

    seeds = sorted(
        {
            f"{item.main}: {key} = {value}"
            for item, key, value in _json_scalars(evidence)
            if SEED_KEYS & set(key.split("/")[-2:])  # a seed, or one of a list of seeds
        }
    )
    versions = [["repair", repair.__version__], ["TensorFlow", tf.__version__],
                ["Python", sys.version.split()[0]], ["platform", platform.platform()]]  # fmt: skip
    files = [
        [f"<code>{escape(path)}</code>", f"<code>{digest}</code>"]
        for path, digest in hashed.items()
    ]
    seeds_html = "".join(f"<li><code>{escape(line)}</code></li>" for line in seeds[:200])
    sources = "".join(f"<li><code>{escape(item.main)}</code></li>" for item in evidence)
    body = (
        table(["software", "version"], [[escape(a), escape(b)] for a, b in versions])
        + f"<h3>Files read</h3><ul>{sources}</ul>"
        + f"<h3>Seeds</h3><ul>{seeds_html or '<li>none recorded</li>'}</ul>"
        + "<h3>Models and splits (sha256)</h3>"
        + table(["file", "sha256"], files)
    )
    return section("Provenance", body, "provenance")


def build_report(
    *,
    input_dirs: Sequence[Path],
    output_dir: Path,
    title: str = "Repair campaign",
    requirements: Sequence[Requirement] = (),
    max_inputs: int = 50,
) -> ReportResult:
    """Write ``output_dir/index.html`` and ``output_dir/inputs/<id>.html`` from the evidence
    under ``input_dirs``."""
    from repair.app.report_inputs import (
        INPUTS_DIRNAME,
        ModelCache,
        choose_inputs,
        inputs_section,
        render_input,
    )

    evidence = find_evidence([Path(folder) for folder in input_dirs])
    if not evidence:
        names = ", ".join(sorted(KINDS.values()))
        raise ConfigError(f"--input_dirs hold no evidence (none of {names})")
    checks: tuple[RequirementResult, ...] = ()
    verdicts: tuple[str, ...] = ()
    parts = []
    if requirements:
        checks, verdicts, part = check_on_evidence(requirements, evidence)
        parts.append(part)
    parts.extend(evidence_section(item, f"evidence-{n}") for n, item in enumerate(evidence))
    models = ModelCache()
    cases = choose_inputs(evidence, models, max_inputs)
    hashed = {str(path): _sha256(path) for path in referenced_files(evidence)}
    with staged(output_dir, REPORT_COMMAND, last=INDEX_FILENAME) as stage:
        entries = []
        for number, case in enumerate(tqdm(cases, desc="input pages", unit="page", leave=False)):
            ident, html, fields = render_input(number, case, models)
            write_text_atomic(stage / INPUTS_DIRNAME / f"{ident}.html", html)
            entries.append((ident, fields))
        if entries:
            parts.append(section("Inputs to look at", inputs_section(entries), "inputs"))
        parts.append(provenance(evidence, hashed))
        index = stage / INDEX_FILENAME
        write_text_atomic(index, page(title, contents(_section_titles(parts)) + "".join(parts)))
    return ReportResult(
        Path(output_dir) / INDEX_FILENAME,
        tuple(evidence),
        checks,
        verdicts,
        tuple(ident for ident, _ in entries),
        hashed,
    )


def _section_titles(parts: Sequence[str]) -> list[tuple[str, str]]:
    """(anchor, title) of each section, read back from its HTML (one source for both)."""
    import re

    found = (re.match(r'<section id="([^"]+)"><h2>(.*?)</h2>', part) for part in parts)
    return [(match[1], html_unescape(match[2])) for match in found if match]
