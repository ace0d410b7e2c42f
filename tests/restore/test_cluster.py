"""Tests for restore.cluster on a real Dask LocalCluster (127.0.0.1, worker processes).

A worker killed mid-job has its job rescheduled on another worker, and no result is lost; the
chunks of a video give the same frames on the cluster as in this process. Skipped without the
optional Dask extra. Every cluster is closed by its fixture or context manager.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest
import torch

distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")

from restore.cluster import as_completed_map, check_scheduler, ordered_map  # noqa: E402
from restore.errors import InputError  # noqa: E402

# The test module is not importable by name in the workers (pytest imports it by path).
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=50,
    )
    try:
        with distributed.Client(cluster) as connected:
            yield connected
    finally:
        cluster.close()


def slow_job(item: tuple[str, str]) -> dict[str, object]:
    """A job that says where it started (a marker file per attempt), then works for a while."""
    folder, name = item
    Path(folder, f"{name}.{os.getpid()}.started").touch()
    time.sleep(3.0)
    return {"name": name, "pid": os.getpid()}


def _wait_for(folder: Path, pattern: str, timeout: float = 60.0) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(folder.glob(pattern))
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no {pattern} in {folder} after {timeout} s")


def test_a_killed_worker_has_its_job_retried_and_nothing_is_lost(client, tmp_path) -> None:
    client.wait_for_workers(2, timeout=60)
    results = as_completed_map(client, slow_job, [(str(tmp_path), "a"), (str(tmp_path), "b")])
    first = _wait_for(tmp_path, "a.*.started")[0]
    victim = int(first.name.split(".")[1])
    assert victim != os.getpid()
    os.kill(victim, signal.SIGKILL)  # mid-job: the job sleeps for 3 s after its marker
    outcomes = {item[1]: (result, error) for item, result, error in results}
    assert set(outcomes) == {"a", "b"}
    assert all(error is None for _, error in outcomes.values())
    attempts = sorted(tmp_path.glob("a.*.started"))
    assert len(attempts) == 2  # started again, on a live worker
    assert outcomes["a"][0]["pid"] != victim


def square_chunk(index: int) -> torch.Tensor:
    return torch.full((2, 3, 4, 4), float(index)) ** 2


def test_ordered_map_keeps_input_order_with_a_window(client) -> None:
    results = list(ordered_map(client, square_chunk, ((i,) for i in range(6)), window=2))
    assert [float(r[0, 0, 0, 0]) for r in results] == [float(i * i) for i in range(6)]


def test_check_scheduler() -> None:
    assert check_scheduler(None) is None
    assert check_scheduler("local") == "local"
    assert check_scheduler("tcp://10.0.0.2:8786") == "tcp://10.0.0.2:8786"
    with pytest.raises(InputError, match="--scheduler"):
        check_scheduler("10.0.0.2:8786")


def test_chunks_on_a_local_cluster_match_this_process(tmp_path) -> None:
    from restore.config import preset
    from restore.io import read_video, write_video
    from restore.job import Job
    from restore.jobs import run_job

    frames = torch.linspace(0.2, 0.8, 48).view(1, 1, 1, 48).expand(14, 3, 32, 48).clone()
    for t in range(14):
        frames[t, :, 4:12, 2 * t : 2 * t + 8] = 0.9
    source = write_video(tmp_path / "in.mp4", frames, 10.0)
    outputs = []
    for scheduler in (None, "local"):
        job = Job(
            input=source,
            task="inpaint",
            config=preset("smoke", method="flow-guided"),
            output=tmp_path / f"out-{scheduler}.mp4",
            mask="center",
            chunk_frames=6,
            chunk_overlap=2,
            scheduler=scheduler,
            save_frames=True,
        )
        report = run_job(job)
        outputs.append(read_video(report.outputs["frames"]).frames)
    assert torch.equal(outputs[0], outputs[1])
