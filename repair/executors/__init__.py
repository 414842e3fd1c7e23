"""Executors: run a picklable callable over a list of items, here, in a process pool or on Ray.

They know nothing of repair: the caller hands over a module-level function and its arguments
and reads back, as each call finishes, its index and either its value or the error it raised.
Use one as a context manager (``with make_executor(...) as executor``) so that pools and Ray
are shut down.

* ``serial``: in this process, one after the other (debugging, tests).
* ``local``: a pool of ``workers`` processes (spawn context); each runs ``initializer`` once,
  so a heavy import (TensorFlow) happens once per worker, never once per call.
* ``ray``: one Ray task per call, each declaring its CPUs and GPUs (optional extra
  ``repair[ray]``, imported only here).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

EXECUTORS = ("serial", "local", "ray")


@dataclass(frozen=True)
class Outcome:
    """What one call gave: ``value``, or ``error`` (one line: type and message)."""

    index: int
    value: Any = None
    error: str | None = None


def describe_error(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def call(function: Callable[[Any], Any], item: Any, index: int) -> Outcome:
    """``function(item)`` as an :class:`Outcome`; an exception becomes its error line."""
    try:
        return Outcome(index, value=function(item))
    except Exception as error:  # one failing call must not stop the others
        return Outcome(index, error=describe_error(error))


class Executor(Protocol):
    def map_unordered(
        self, function: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[Outcome]:
        """Run ``function`` on every item; yield each :class:`Outcome` as it finishes."""

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...


def cpu_count() -> int:
    """CPUs this process may use (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def make_executor(
    kind: str,
    *,
    workers: int | None = None,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
    ray_address: str | None = None,
    cpus_per_task: float = 1,
    gpus_per_task: float = 0,
) -> Executor:
    """The executor named ``kind`` (see the module docstring)."""
    if kind == "serial":
        from repair.executors.serial import SerialExecutor

        return SerialExecutor(initializer, initargs)
    if kind == "local":
        from repair.executors.local import LocalExecutor

        return LocalExecutor(workers or cpu_count(), initializer, initargs)
    if kind == "ray":
        from repair.executors.ray import RayExecutor

        return RayExecutor(
            address=ray_address,
            num_cpus=workers,
            cpus_per_task=cpus_per_task,
            gpus_per_task=gpus_per_task,
            initializer=initializer,
            initargs=initargs,
        )
    raise ValueError(f"unknown executor {kind!r}; choose one of {', '.join(EXECUTORS)}")
