"""SIGTERM to `restore eval davis`: workers stop, finished records stay, no process is left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

DAVIS_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "davis"

RECORDS = Path("records") / "inpaint-boxes" / "smoke_epochs5000"


def _marked_processes(marker: str) -> list[int]:
    """PIDs of live processes whose environment carries ``marker`` (the batch and its children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in environment and state != "Z":
            found.append(int(entry.name))
    return found


def test_sigterm_stops_the_workers_and_keeps_finished_records(tmp_path: Path) -> None:
    marker = f"hnerv-restore-test-{uuid.uuid4()}"
    out = tmp_path / "out"
    command = [sys.executable, "-m", "apps.console", "eval", "davis", "--root", str(DAVIS_ROOT)]
    command += ["--sequences", "blackswan", "--methods", "hnerv,telea", "--task", "inpaint-boxes"]
    command += ["--profile", "smoke", "--epochs", "5000", "--workers", "2", "--out", str(out)]
    batch = subprocess.Popen(
        command,
        env={**os.environ, "HNERV_RESTORE_TEST_MARKER": marker},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    telea = out / RECORDS / "blackswan__telea.json"
    hnerv = out / RECORDS / "blackswan__hnerv.json"
    try:
        deadline = time.monotonic() + 120
        while not telea.exists() and time.monotonic() < deadline and batch.poll() is None:
            time.sleep(0.2)
        assert telea.exists(), "the classical job should finish while HNeRV still fits"
        assert len(_marked_processes(marker)) >= 3  # the batch, the forkserver, a fitting worker
        batch.send_signal(signal.SIGTERM)
        _, stderr = batch.communicate(timeout=60)
    finally:
        if batch.poll() is None:
            batch.kill()
    assert batch.returncode not in (0, None)
    assert "finished records are kept" in stderr
    assert json.loads(telea.read_text())["status"] == "ok"
    assert not hnerv.exists()  # the interrupted fit left no record: a rerun redoes it
    deadline = time.monotonic() + 15
    while _marked_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _marked_processes(marker) == []
