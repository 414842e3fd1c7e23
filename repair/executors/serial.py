"""Run every call in this process, one after the other."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from repair.executors import Outcome, call


class SerialExecutor:
    """In-process and in order: the reference the other executors must agree with."""

    def __init__(self, initializer: Callable[..., None] | None = None, initargs: tuple = ()):
        self.initializer = initializer
        self.initargs = initargs

    def __enter__(self) -> SerialExecutor:
        if self.initializer is not None:
            self.initializer(*self.initargs)
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map_unordered(
        self, function: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[Outcome]:
        for index, item in enumerate(items):
            yield call(function, item, index)
