"""The README, docs/ and the CI script agree with what the code does."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    after = readme.split("this is what `.ci/run` runs", 1)[1]
    return re.search(r"```bash\n(.+?)\n```", after, re.S).group(1).strip()


def test_ci_runs_the_readme_test_command_with_ruff_and_pytest() -> None:
    command = _readme_test_command()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert command in ci.splitlines()
    steps = command.split(" && ")
    assert steps[-3:] == [
        ".venv/bin/python -m ruff check .",
        ".venv/bin/python -m ruff format --check .",
        ".venv/bin/python -m pytest",
    ]
    assert '"$status" -eq 5' in ci  # pytest collecting nothing still fails loudly


def test_docs_stand_alone() -> None:
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert "SPEC" not in page.read_text(encoding="utf-8"), page.name


def test_formats_gives_training_log_columns_in_the_order_train_writes_them() -> None:
    from repair.core.training import history_csv

    history = {"loss": [1.0], "accuracy": [0.5], "val_loss": [1.1], "val_accuracy": [0.4]}
    header = history_csv(history).splitlines()[0].split(",")
    formats = " ".join((ROOT / "docs" / "formats.md").read_text(encoding="utf-8").split())
    documented = re.search(r"`training_log\.csv` \((.+?)\)", formats).group(1)
    assert re.findall(r"`(\w+)`", documented) == header


def test_demo_without_repair_on_path_says_how_to_run_it(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    assert bash is not None
    bin_dir = tmp_path / "bin"  # a PATH with the shell tools the script needs, and no repair
    bin_dir.mkdir()
    for tool in ("bash", "env", "printf"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    result = subprocess.run(
        [bash, str(ROOT / "scripts" / "demo.sh"), str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        env={"PATH": str(bin_dir)},
        check=False,
    )
    assert result.returncode == 127
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the repair command is not on PATH")
    assert ".venv/bin" in lines[0] and "bash scripts/demo.sh" in lines[0]
    assert not (tmp_path / "demo").exists()
