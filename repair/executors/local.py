"""A pool of worker processes on this machine (spawn context).

Spawn, not fork: a forked child would inherit the parent's TensorFlow threads and locks in an
undefined state. Each worker runs ``initializer`` once when it starts (the caller uses it to set
thread counts and import TensorFlow), then serves calls until the pool closes.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from repair.executors import Outcome, call


class LocalExecutor:
    """``workers`` processes; calls are handed out as workers free up."""

    def __init__(
        self,
        workers: int,
        initializer: Callable[..., None] | None = None,
        initargs: tuple = (),
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1; got {workers}")
        self.workers = workers
        self.initializer = initializer
        self.initargs = initargs
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> LocalExecutor:
        self.pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=self.initializer,
            initargs=self.initargs,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            # On an error or Ctrl-C, drop queued calls rather than run them.
            self.pool.shutdown(wait=True, cancel_futures=exc[0] is not None)
            self.pool = None

    def map_unordered(
        self, function: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[Outcome]:
        if self.pool is None:
            raise RuntimeError("use LocalExecutor as a context manager")
        pending: dict[Future, int] = {
            self.pool.submit(call, function, item, index): index for index, item in enumerate(items)
        }
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                try:
                    yield future.result()
                except Exception as error:  # the worker died (killed, out of memory)
                    yield Outcome(index, error=f"worker failed: {type(error).__name__}: {error}")
