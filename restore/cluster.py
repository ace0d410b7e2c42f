"""Running independent pieces of work (chunks of a video, evaluation jobs) on a Dask cluster.

``--scheduler local`` starts a `distributed.LocalCluster` bound to 127.0.0.1 (worker processes,
one thread each) for the duration of a command; ``--scheduler tcp://HOST:PORT`` connects to a
running one (``dask scheduler`` and ``dask worker tcp://HOST:PORT --nthreads 1`` on each
machine; every worker needs this project installed and, for evaluation, the same file system).
Without ``--scheduler`` nothing here is imported: Dask is an optional extra
(``pip install "dask[distributed]"``) and is imported lazily, only by these functions.

Failures: a task that raises is retried ``retries`` times (Dask's ``retries=``); a task whose
worker dies (killed, out of memory) is rescheduled on another worker by the scheduler, up to
``distributed.scheduler.allowed-failures`` times (3 by default). Results come back to the
submitting process, which alone writes outputs, so a finished piece is never lost with a worker.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from restore.errors import InputError

DEFAULT_RETRIES = 2
"""Times a task that raised is run again (``retries=`` of ``Client.submit``)."""


def check_scheduler(scheduler: str | None) -> str | None:
    """``None``, ``"local"`` or a ``tcp://HOST:PORT`` address; anything else raises `InputError`."""
    if scheduler is None or scheduler == "local":
        return scheduler
    if isinstance(scheduler, str) and scheduler.startswith(("tcp://", "tls://", "inproc://")):
        return scheduler
    raise InputError(f"--scheduler: expected local or tcp://HOST:PORT, got {scheduler!r}")


def _import_distributed():
    try:
        import distributed
    except ImportError:  # the optional extra is missing
        raise InputError(
            '--scheduler needs Dask distributed: pip install "dask[distributed]"'
        ) from None
    return distributed


@contextlib.contextmanager
def dask_client(scheduler: str, *, workers: int = 2, threads_per_worker: int = 1) -> Iterator[Any]:
    """A `distributed.Client` for ``scheduler``, closed (with its local cluster) on exit.

    Args:
        scheduler: ``"local"`` (a `LocalCluster` on 127.0.0.1 with ``workers`` worker processes of
            ``threads_per_worker`` threads, no dashboard) or a scheduler address.
        workers: worker processes of a local cluster.
        threads_per_worker: threads of each local worker.

    Yields:
        The connected client.
    """
    distributed = _import_distributed()
    scheduler = check_scheduler(scheduler)
    if scheduler != "local":
        with distributed.Client(scheduler) as client:
            yield client
        return
    with (
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=40,  # logging.ERROR: a killed worker's warnings are expected noise
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def ordered_map(
    client: Any,
    function: Callable[..., Any],
    arguments: Iterable[tuple[Any, ...]],
    *,
    window: int,
    retries: int = DEFAULT_RETRIES,
) -> Iterator[Any]:
    """``function(*args)`` for each ``args`` on the cluster, results in input order.

    At most ``window`` tasks are in flight: the inputs are consumed lazily (a chunk reader is not
    run ahead of the cluster), so memory stays bounded by ``window`` pieces.

    Args:
        client: a `distributed.Client`.
        function: an importable function (workers unpickle it by reference).
        arguments: positional arguments of each call.
        window: tasks in flight at most, >= 1.
        retries: reruns of a task that raised.

    Yields:
        Each call's result; a task that still fails re-raises its exception here.
    """
    in_flight: deque = deque()
    for args in arguments:
        in_flight.append(client.submit(function, *args, retries=retries, pure=False))
        if len(in_flight) >= window:
            yield in_flight.popleft().result()
    while in_flight:
        yield in_flight.popleft().result()


def as_completed_map(
    client: Any,
    function: Callable[..., Any],
    items: list[Any],
    *,
    retries: int = DEFAULT_RETRIES,
) -> Iterator[tuple[Any, Any, BaseException | None]]:
    """``function(item)`` for every item on the cluster, yielded as each finishes.

    Every item is submitted before this returns (the work starts at once, not when the caller
    first asks for a result).

    Returns:
        An iterator of ``(item, result, None)``, or ``(item, None, error)`` for a task that failed
        after its retries (or whose workers kept dying).
    """
    distributed = _import_distributed()
    futures = {client.submit(function, item, retries=retries, pure=False): item for item in items}

    def finished() -> Iterator[tuple[Any, Any, BaseException | None]]:
        for future in distributed.as_completed(futures):
            item = futures[future]
            try:
                yield item, future.result(), None
            except Exception as error:  # noqa: BLE001 - one failed piece is reported, not fatal
                yield item, None, error

    return finished()
