"""One Ray task per call, on a local Ray instance or a cluster (``address``).

Ray is an optional extra (``pip install 'repair[ray]'``) imported only here. Each task declares
``cpus_per_task`` CPUs and ``gpus_per_task`` GPUs, so Ray packs as many tasks on a node as it
has room for; ``initializer`` runs once per Ray worker process (Ray reuses its workers).

On a cluster the workers share no disk with the driver: :meth:`RayExecutor.share` puts bytes
into Ray's object store once (a call's item holds the handle, the worker calls :func:`fetch`),
and a call returns its outputs as values. A task whose node dies is run again elsewhere, at most
``max_retries`` times; an actor on the driver's node counts each call's attempts, so the caller
can say how many calls were retried (:meth:`RayExecutor.retried`).
"""

from __future__ import annotations

import contextlib
import os
import sys
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


def check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """RepairError unless something listens at ``address`` (HOST:PORT or ray://HOST:PORT).

    Ray waits minutes for a cluster that is not there; a plain connect says so in seconds.
    ``auto`` (the cluster this machine belongs to) is left to Ray.
    """
    import socket

    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if address == "auto" or not host or not port.isdigit():
        return
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            pass
    except OSError as error:
        raise RepairError(
            f"--address {address}: no Ray cluster answers there ({error.strerror or error})"
        ) from None


def fetch(handle: Any) -> Any:
    """In a worker: the value :meth:`RayExecutor.share` put into the object store."""
    return import_ray().get(handle)


def node_id() -> str:
    """In a worker: the id of the Ray node it runs on."""
    return import_ray().get_runtime_context().get_node_id()


class _Attempts:
    """Counts the attempts of each call (an actor: one copy, on the driver's node)."""

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}

    def start(self, index: int) -> None:
        self.counts[index] = self.counts.get(index, 0) + 1

    def retried(self) -> int:
        return sum(count > 1 for count in self.counts.values())


def _run_in_worker(  # noqa: PLR0913
    function: Callable[[Any], Any],
    item: Any,
    index: int,
    initializer: Callable[..., None] | None,
    initargs: tuple,
    attempts: Any = None,
) -> Outcome:
    if attempts is not None:
        import_ray().get(attempts.start.remote(index))
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
        max_retries: int = 2,
    ) -> None:
        self.ray = import_ray()
        self.max_retries = max_retries
        self.shared_bytes = 0  # what share() put into the object store
        self.attempts: Any = None
        self.address = address
        self.num_cpus = num_cpus
        self.cpus_per_task = cpus_per_task
        self.gpus_per_task = gpus_per_task
        self.initializer = initializer
        self.initargs = initargs
        self.started = False

    def __enter__(self) -> RayExecutor:
        ray = self.ray
        # Ray's own notes (a raylet lost, a worker killed) are printed to stdout, where the
        # command's results go: send them to stderr while Ray runs.
        self._quiet = contextlib.redirect_stdout(sys.stderr)
        self._quiet.__enter__()
        try:
            self._start(ray)
        except BaseException:
            self._quiet.__exit__(None, None, None)
            raise
        return self

    def _start(self, ray: Any) -> None:
        if not ray.is_initialized():
            before = dict(os.environ)
            options: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "configure_logging": False,
            }
            if self.address is not None:
                check_reachable(self.address)
                ray.init(address=self.address, **options)
            else:
                ray.init(num_cpus=self.num_cpus, **options)
            self.started = True
            # ray.init sets RAY_AUTH_MODE and others; left behind, they steer the next Ray this
            # process starts (a token looked for in a HOME of the past): undone at the end
            self._set_by_ray = {
                key: before.get(key)
                for key, value in os.environ.items()
                if before.get(key) != value
            }
        # num_cpus=0: the counter needs no CPU, so it never waits behind the calls it counts
        # pinned to the driver's node, so that losing a worker node does not lose the count
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
        actor = ray.remote(num_cpus=0)(_Attempts)
        self.attempts = actor.options(scheduling_strategy=here).remote()

    ships_files = True  # callers move files through share() and return values, not a disk

    def share(self, data: bytes) -> Any:
        """Put ``data`` into the object store once; the handle travels in a call's item."""
        self.shared_bytes += len(data)
        return self.ray.put(data)

    def retried(self) -> int:
        """How many calls ran more than once (their node died and Ray ran them again)."""
        if self.attempts is None:
            return 0
        return int(self.ray.get(self.attempts.retried.remote()))

    def __exit__(self, *exc: object) -> None:
        try:
            if self.attempts is not None:
                self.ray.kill(self.attempts)
                self.attempts = None
            if self.started:
                self.ray.shutdown()
                self.started = False
                for key, value in self._set_by_ray.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value
        finally:
            self._quiet.__exit__(None, None, None)

    def map_unordered(
        self, function: Callable[[Any], Any], items: Sequence[Any]
    ) -> Iterator[Outcome]:
        ray = self.ray
        task = ray.remote(
            num_cpus=self.cpus_per_task,
            num_gpus=self.gpus_per_task,
            max_retries=self.max_retries,  # a lost node's tasks; an exception is never retried
            retry_exceptions=False,
        )(_run_in_worker)
        pending = {
            task.remote(
                function, item, index, self.initializer, self.initargs, self.attempts
            ): index
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
