"""Executors run any picklable callable and report each call's value or error, in any order."""

from __future__ import annotations

import pytest

from repair.executors import make_executor


def square_or_fail(value: int) -> int:
    if value == 3:
        raise ValueError(f"no square of {value}")
    return value * value


@pytest.mark.parametrize("kind", ["serial", "local"])
def test_executor_returns_every_value_and_error(kind: str) -> None:
    with make_executor(kind, workers=2) as executor:
        outcomes = sorted(executor.map_unordered(square_or_fail, range(6)), key=lambda o: o.index)
    assert [o.index for o in outcomes] == list(range(6))
    assert [o.value for o in outcomes] == [0, 1, 4, None, 16, 25]
    assert outcomes[3].error == "ValueError: no square of 3"
    assert all(o.error is None for o in outcomes if o.index != 3)


def test_unknown_executor_is_refused() -> None:
    with pytest.raises(ValueError, match="serial, local, ray"):
        make_executor("threads")


def test_missing_ray_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from repair.errors import RepairError

    real_import = builtins.__import__

    def no_ray(name: str, *args, **kwargs):  # noqa: ANN202
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(RepairError, match=r"pip install 'repair\[ray\]'"):
        make_executor("ray")


def test_an_address_where_no_cluster_listens_is_one_line_in_seconds_not_minutes(
    digits_model_dir, digits_data_dir, tmp_path, monkeypatch
) -> None:
    """Ray itself waits minutes for a GCS that is not there; the executor asks the port first."""
    import socket

    pytest.importorskip("ray")
    from tests.conftest import run_repair

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        result = run_repair(["sweep", "--model_dir", digits_model_dir, "--data_dir",
                             digits_data_dir, "--labels=9", "--executor=ray", "--address",
                             address, "--output_dir", tmp_path / "out"])  # fmt: skip
        assert result.exit_code == 1, result.output
        last = result.stderr.strip().splitlines()[-1]
        assert (
            last == f"error: --address {address}: no Ray cluster answers there (Connection refused)"
        )
