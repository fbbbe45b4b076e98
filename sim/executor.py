"""Where runs run: one after another in this process, or as Ray tasks on this machine's cores or a cluster.

One interface for every batch (sweeps, calibration, validation): ``Executor(workers, address)`` is a context manager;
``imap`` yields each item's result as it finishes, a failure as data; ``map`` gives the results in order. One worker
never starts Ray. Ctrl-C is noted as a flag checked between runs, so a batch stops cleanly where it stands.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from sim.errors import UserError

RETRIES = 2  # Ray retries a task that raised this many times before its failure is reported


@contextmanager
def interrupt_flag():
    """Ctrl-C noted as a flag the loops check between runs, instead of an exception raised wherever the signal lands:
    inside Ray's own waiting an exception may be swallowed, and the batch would go on."""
    seen = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield seen
        return
    previous = signal.signal(signal.SIGINT, lambda *_: seen.set())
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


def start_ray(workers: int | None, address: str | None) -> int:
    """Start Ray embedded (or join ``address``); returns how many tasks to keep running at once."""
    import ray

    import sim

    if address:
        check_address(address)
    quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR"}
    env = {"env_vars": {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}}
    clock = time.perf_counter()
    try:
        if address:
            with _core_log_held():  # Ray's core logs each failed attempt to join to the terminal
                ray.init(address=address, runtime_env=env | {"py_modules": [str(Path(sim.__file__).parent)]}, **quiet)
            available = int(ray.cluster_resources().get("CPU", 1))
        else:
            available = workers or os.cpu_count() or 1
            ray.init(num_cpus=available, runtime_env=env, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise UserError(f"--address {address}: cannot join the Ray cluster ({str(error).splitlines()[0]}; gave up after {time.perf_counter() - clock:.0f} s).") from None
    return min(workers or available, available)


ANSWER_S = 5.0  # how long a cluster's address has to answer before it is given up


@contextmanager
def _core_log_held() -> Iterator[None]:
    """The process's standard error held aside (Ray's C++ core writes to it directly) and dropped."""
    import sys
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def check_address(address: str) -> None:
    """Refuse, within ``ANSWER_S`` seconds, a cluster address where nothing listens (Ray itself would wait for ever)."""
    import socket

    target = address.removeprefix("ray://")
    if target == "auto":
        return
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise UserError(f"--address {address}: give HOST:PORT (e.g. 10.0.0.5:6379) or ray://HOST:PORT of a running Ray cluster.")
    try:
        socket.create_connection((host, int(port)), timeout=ANSWER_S).close()
    except OSError:
        raise UserError(f"--address {address}: nothing answered at {host}:{port} within {ANSWER_S:.0f} s; start the cluster there ('ray start --head') or check the address.") from None


class Executor:
    """Runs a function over items with ``workers`` at a time (None: every core here, or every CPU of the cluster at
    ``address``). With one worker and no address it runs them in this process; else on Ray, started for the block
    (and shut down after it) unless it is running already, which it then joins."""

    def __init__(self, workers: int | None = 1, address: str | None = None):
        self.requested, self.address = workers, address
        self.workers = 1
        self.ray = False
        self._started = False

    def __enter__(self) -> Executor:
        if self.requested == 1 and not self.address:
            return self
        import ray

        self.ray = True
        if ray.is_initialized():
            self.workers = self.requested or int(ray.cluster_resources().get("CPU", 1))
        else:
            self.workers, self._started = start_ray(self.requested, self.address), True
        return self

    def __exit__(self, *exc) -> None:
        if self._started:
            import ray

            ray.shutdown()

    def imap(self, function: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[int, Any, Exception | None]]:
        """(index, result, None) for each item as it finishes, or (index, None, error) where ``function`` raised (on
        Ray, after its retries). At most twice ``workers`` tasks are queued at once. Ctrl-C raises KeyboardInterrupt
        between items."""
        with interrupt_flag() as interrupted:
            if not self.ray:
                for i, item in enumerate(items):
                    if interrupted.is_set():
                        raise KeyboardInterrupt
                    try:
                        yield i, function(item), None
                    except Exception as error:  # recorded by the caller; the batch goes on
                        yield i, None, error
                if interrupted.is_set():
                    raise KeyboardInterrupt
                return
            yield from self._ray_imap(function, items, interrupted)

    def _ray_imap(self, function, items, interrupted) -> Iterator[tuple[int, Any, Exception | None]]:
        import ray

        task = ray.remote(num_cpus=1, max_retries=RETRIES, retry_exceptions=True)(function)
        queue = enumerate(items)
        pending: dict[Any, int] = {}
        try:
            while True:
                if interrupted.is_set():
                    raise KeyboardInterrupt
                while len(pending) < 2 * self.workers:
                    nxt = next(queue, None)
                    if nxt is None:
                        break
                    pending[task.remote(nxt[1])] = nxt[0]
                if not pending:
                    return
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)  # back to the flag twice a second
                for ref in ready:
                    i = pending.pop(ref)
                    try:
                        yield i, ray.get(ref), None
                    except Exception as error:
                        yield i, None, error
        except KeyboardInterrupt:
            if not self._started:  # on a cluster, stop what is queued; an embedded Ray goes down with its workers
                for ref in pending:
                    ray.cancel(ref)
            raise

    def map(self, function: Callable[[Any], Any], items: list, each: Callable[[int, Any], None] | None = None) -> list:
        """``function`` of each item, in the items' order; ``each(i, result)`` as each finishes (to store it at once, so
        that a killed caller loses nothing). The first failure is raised."""
        results: list = [None] * len(items)
        for i, result, error in self.imap(function, items):
            if error is not None:
                raise error
            results[i] = result
            if each:
                each(i, result)
        return results


def map_tasks(function: Callable[[Any], Any], items: list, workers: int = 1, each: Callable[[int, Any], None] | None = None) -> list:
    """``Executor(workers).map``: for a caller that runs one batch (inside an ``Executor`` block, it joins its Ray)."""
    with Executor(workers if len(items) > 1 else 1) as executor:
        return executor.map(function, items, each)
