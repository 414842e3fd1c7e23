"""One Ray task per call, on a local Ray instance or a cluster (``address``).

Ray is an optional extra (``pip install 'repair[ray]'``) imported only here. Each task declares
``cpus_per_task`` CPUs and ``gpus_per_task`` GPUs, so Ray packs as many tasks on a node as it
has room for; ``initializer`` runs once per Ray worker process (Ray reuses its workers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from repair.errors import RepairError
from repair.executors import Outcome, call

INSTALL_HINT = "pip install 'repair[ray]'"
_initialized: set[tuple] = set()  # in each Ray worker: the initializers already run


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RepairError(
            f"--executor ray needs Ray, which is not installed: {INSTALL_HINT}"
        ) from None
    return ray


def _run_in_worker(
    function: Callable[[Any], Any],
    item: Any,
    index: int,
    initializer: Callable[..., None] | None,
    initargs: tuple,
) -> Outcome:
    key = (initializer, initargs)
    if initializer is not None and key not in _initialized:
        initializer(*initargs)
        _initialized.add(key)
    return call(function, item, index)


class RayExecutor:
    """Ray tasks; starts (and at the end stops) a local Ray instance unless ``address`` is given."""

    def __init__(
        self,
        *,
        address: str | None = None,
        num_cpus: int | None = None,
        cpus_per_task: float = 1,
        gpus_per_task: float = 0,
        initializer: Callable[..., None] | None = None,
        initargs: tuple = (),
    ) -> None:
        self.ray = import_ray()
        self.address = address
        self.num_cpus = num_cpus
        self.cpus_per_task = cpus_per_task
        self.gpus_per_task = gpus_per_task
        self.initializer = initializer
        self.initargs = initargs
        self.started = False

    def __enter__(self) -> RayExecutor:
        ray = self.ray
        if not ray.is_initialized():
            options: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "configure_logging": False,
            }
            if self.address is not None:
                ray.init(address=self.address, **options)
            else:
                ray.init(num_cpus=self.num_cpus, **options)
            self.started = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.started:
            self.ray.shutdown()
            self.started = False

    def map_unordered(
        self, function: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[Outcome]:
        ray = self.ray
        task = ray.remote(num_cpus=self.cpus_per_task, num_gpus=self.gpus_per_task, max_retries=0)(
            _run_in_worker
        )
        pending = {
            task.remote(function, item, index, self.initializer, self.initargs): index
            for index, item in enumerate(items)
        }
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    index = pending.pop(ref)
                    try:
                        yield ray.get(ref)
                    except Exception as error:  # the worker died
                        yield Outcome(index, error=f"ray task failed: {type(error).__name__}")
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)
