"""docs/cli.md is generated from the live CLI; this fails when someone forgets to regenerate."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_cli_docs.py"


def test_docs_cli_md_is_up_to_date():
    # A fresh process: plugins other tests install for themselves must not leak in.
    result = subprocess.run([sys.executable, SCRIPT, "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + "\nrun: python scripts/gen_cli_docs.py"


def test_check_notices_a_stale_file_and_the_docs_cover_every_command(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("gen_cli_docs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ROOT / "docs" / "cli.md").read_text()
    for heading in (
        "## `repair utils draw_radar_chart`",
        "## `repair utils compare`",
        "`--data_dir`, `--input_dir`",
        "| `--require` | str |",
    ):
        assert heading in text
    stale = tmp_path / "cli.md"
    stale.write_text(text.replace("radar", "radio"))
    monkeypatch.setattr(module, "DOCS", stale)
    monkeypatch.setattr(sys, "argv", ["gen_cli_docs.py", "--check"])
    assert module.main() == 1
