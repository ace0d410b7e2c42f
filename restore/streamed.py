"""The chunked job runner: long clips restored in bounded memory, optionally on a cluster.

`run_chunked` is what `restore.jobs.run_job` does for a clip too long to hold whole
(`WHOLE_CLIP_MEMORY`), or when ``--chunk-frames`` / ``--scheduler`` ask for it: frames are decoded
chunk by chunk (`restore.io.streaming`), each chunk gets its holes or noise through
`masks.corrupt` (the one way to build a method's input) and is restored on its own with
`restore.api.restore` (`restore_chunk`, in this process or on Dask workers, `restore.cluster`),
the chunks are cross-faded in their overlaps (`restore.chunks.ChunkBlender`), and the finished
frames are scored and encoded as they come (`restore.io.streaming.VideoWriter`). Nothing holds
the clip whole: memory is a few chunks (the cluster's window) whatever the clip's length. It
returns the same `restore.job.JobReport` as the whole-clip runner and writes the remaining files
through the same `restore.outputs.write_outputs`.

Differences from the whole-clip job, each said in the run's notes: SSIM is the mean over about
`SSIM_FRAMES` evenly spaced frames, SSIM in holes and MS-SSIM are not computed; synthetic noise
is drawn per chunk (seed + the chunk's first frame); ``--save-model`` is refused (one model per
chunk). Masks
``boxes`` and ``center`` are built per chunk; object and user masks are built once for the clip
and kept as booleans (one byte per pixel).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

import masks
from restore.api import restore
from restore.chunks import (
    DEFAULT_CHUNK_MEMORY,
    Chunk,
    ChunkBlender,
    FinishedFrames,
    auto_chunk_frames,
    plan_chunks,
    working_bytes,
)
from restore.config import RestoreConfig
from restore.device import peak_rss_mib
from restore.errors import InputError
from restore.io import side_by_side, write_frames
from restore.io.streaming import VideoInfo, VideoWriter, iter_frames, probe_video
from restore.io.video import frames_to_uint8, uint8_to_frames
from restore.job import Job, JobReport, PreparedInput
from restore.methods import MethodResult, get_method
from restore.metrics import psnr_from_mse, ssim_per_frame
from restore.outputs import write_outputs
from restore.resolution import method_work_size

STATIC_MASKS = ("boxes", "center")
"""Mask specs that are the same in every frame: built per chunk, never for the whole clip."""


def chunk_plan(
    job: Job, info: VideoInfo, memory_bytes: int | None = None, *, neural: bool | None = None
) -> list[Chunk]:
    """The chunks of ``job``'s clip: ``job.chunk_frames`` if given, else from memory
    (``memory_bytes``, default `restore.chunks.DEFAULT_CHUNK_MEMORY`). ``neural``: whether the
    job's method fits a network (`restore.methods.Method.neural`), if the caller knows it; None
    looks the method up."""
    frames = job.chunk_frames
    if frames is None:
        memory_bytes = DEFAULT_CHUNK_MEMORY if memory_bytes is None else memory_bytes
        if neural is None:
            neural = get_method(job.config.method).neural
        frames = auto_chunk_frames(
            info.height,
            info.width,
            neural=neural,
            memory_bytes=memory_bytes,
            work_size=_work_size(job, info, neural),
        )
    return plan_chunks(info.num_frames, frames, job.chunk_overlap)


def _work_size(job: Job, info: VideoInfo, neural: bool) -> tuple[int, int] | None:
    """The size ``job``'s method works at on ``info``'s clip (None: the clip's own)."""
    return method_work_size(job.config.work_size, info.height, info.width, neural=neural)


def _half_of_physical_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (AttributeError, OSError, ValueError):  # no sysconf (Windows): assume 16 GiB
        return 8 * 2**30


WHOLE_CLIP_MEMORY = _half_of_physical_memory()
"""A clip whose whole-clip restoration is planned to need more than this (half of this machine's
memory; `restore.chunks.working_bytes`, about 20 float32 buffers per frame at the method's
working size) is chunked without being asked: 24 GiB of RAM keep up to about 300 frames at
640x272 whole, 110 at 854x480, 145 at 1280x720 worked at 640x360. Shorter clips keep the
whole-clip job, whose methods see every frame at once (a neural
fit in particular shares one representation over the clip)."""


def wants_chunks(job: Job, *, neural: bool | None = None) -> tuple[bool, VideoInfo | None]:
    """Whether ``job`` runs chunked: asked for (``chunk_frames``, ``scheduler``), or allowed
    (``auto_chunk``) and restoring its clip whole would need more than `WHOLE_CLIP_MEMORY`. Also
    returns the probed `VideoInfo` (None when nothing was probed). ``neural`` as `chunk_plan`:
    the method is looked up at most once here, and only when the clip's size decides."""
    if job.chunk_frames is not None or job.scheduler is not None:
        return True, None
    if not job.auto_chunk:
        return False, None
    info = probe_video(job.input, start=job.start, max_frames=job.max_frames, resize=job.resize)
    if neural is None:
        neural = get_method(job.config.method).neural
    whole_clip = working_bytes(
        info.num_frames,
        info.height,
        info.width,
        neural=neural,
        work_size=_work_size(job, info, neural),
    )
    chunked = whole_clip > WHOLE_CLIP_MEMORY and len(chunk_plan(job, info, neural=neural)) > 1
    return chunked, info


def restore_chunk(
    corrupted: torch.Tensor,
    mask: torch.Tensor | None,
    config: RestoreConfig,
    task: str,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[torch.Tensor, dict[str, Any]]:
    """Restores one chunk (`restore.api.restore`); importable, so Dask workers can run it.
    ``should_stop`` (in this process only) ends a neural fit early, as in a whole-clip run.

    Returns:
        The restored frames ``(n, 3, H, W)`` and a small summary (seconds, notes, stopped).
    """
    started = time.perf_counter()
    if mask is not None and not bool((mask > 0.5).any()):
        return corrupted, {"seconds": 0.0, "notes": [], "stopped": False, "skipped": True}
    result = restore(corrupted, mask, config, task=task, should_stop=should_stop)
    summary = {
        "seconds": time.perf_counter() - started,
        "notes": list(result.info.get("notes", [])),
        "stopped": bool(result.stopped),
        "epochs_run": result.info.get("epochs_run"),
    }
    return result.restored, summary


class _MaskSource:
    """The mask tensor of any chunk (for `masks.corrupt`): static specs built per chunk, other
    specs sliced from one boolean clip mask."""

    def __init__(self, job: Job, info: VideoInfo) -> None:
        self.notes: list[str] = []
        self.synthetic = masks.is_synthetic(job.mask)
        options = dict(box_size=job.box_size, davis_root=job.davis_root)
        options |= dict(threshold=job.mask_threshold, invert=job.mask_invert)
        options |= dict(dilate=job.mask_dilate, resize=job.mask_resize)
        size = (info.height, info.width)
        if job.mask in STATIC_MASKS:
            self.frame = masks.make_mask(job.mask, 1, *size, **options) > 0.5
            self.clip = None
        else:
            self.frame = None
            self.clip = masks.make_mask(job.mask, info.num_frames, *size, **options) > 0.5

    def __call__(self, chunk: Chunk) -> torch.Tensor:
        if self.clip is not None:
            return self.clip[chunk.start : chunk.stop].to(torch.float32)
        return self.frame.expand(chunk.length, *self.frame.shape[1:]).to(torch.float32)


def _read_overlapping(job: Job, chunks: list[Chunk]) -> Iterator[tuple[Chunk, torch.Tensor]]:
    """Decodes the clip once, yielding each chunk's frames (overlaps are kept, not re-read)."""
    frames = iter_frames(job.input, start=job.start, max_frames=job.max_frames, resize=job.resize)
    buffer: list[np.ndarray] = []
    first = 0  # clip index of buffer[0]
    for chunk in chunks:
        del buffer[: chunk.start - first]
        first = chunk.start
        while first + len(buffer) < chunk.stop:
            image = next(frames, None)
            if image is None:
                raise InputError(f"video {job.input} ended before frame {chunk.stop}")
            if buffer and image.shape != buffer[0].shape:
                raise InputError(f"frame size changes within {job.input}; pass --resize")
            buffer.append(image)
        yield chunk, uint8_to_frames(np.stack(buffer[: chunk.length]))


SSIM_FRAMES = 100
"""SSIM of a chunked run is the mean over about this many evenly spaced frames: SSIM costs
about 0.5 s a frame at 640x272 on the project's CPU, so 3000 frames would add 50 minutes."""


class RunningScores:
    """Streamed PSNR (whole frame, holes, known) and mean SSIM of input and result vs the clean
    clip: sums of squared errors pooled over all frames, as `restore.metrics.summarize` pools;
    SSIM over every ``ssim_every``-th frame."""

    def __init__(self, ssim_every: int = 1) -> None:
        self.ssim_every = ssim_every
        self.ssim_frames = 0
        zero = {"sum": 0.0, "count": 0.0}
        self.totals = {
            (who, region): dict(zero)
            for who in ("input", "restored")
            for region in ("all", "holes", "known")
        }
        self.ssim = {"input": 0.0, "restored": 0.0}
        self.frames = 0

    def add(self, finished: FinishedFrames) -> None:
        clean = finished.clean.double()
        for who, video in (("input", finished.corrupted), ("restored", finished.restored)):
            squared = (video.double() - clean).square()
            self._add(who, "all", squared.sum(), squared.numel())
            if finished.mask is not None:
                holes = (finished.mask > 0.5).double()
                self._add(who, "holes", (squared * holes).sum(), 3 * holes.sum())
                self._add(who, "known", (squared * (1 - holes)).sum(), 3 * (1 - holes).sum())
            chosen = [
                i for i in range(clean.shape[0]) if (finished.start + i) % self.ssim_every == 0
            ]
            if chosen:
                self.ssim[who] += float(ssim_per_frame(video[chosen], finished.clean[chosen]).sum())
        self.ssim_frames += len(chosen)
        self.frames += int(clean.shape[0])

    def _add(self, who: str, region: str, total: Any, count: Any) -> None:
        self.totals[who, region]["sum"] += float(total)
        self.totals[who, region]["count"] += float(count)

    def summary(self, has_mask: bool) -> dict[str, Any]:
        def psnr(who: str, region: str) -> float | None:
            entry = self.totals[who, region]
            return psnr_from_mse(entry["sum"] / entry["count"], 100.0) if entry["count"] else None

        scores = {}
        for who in ("input", "restored"):
            entry: dict[str, Any] = {
                "psnr": psnr(who, "all"),
                "ssim": self.ssim[who] / self.ssim_frames if self.ssim_frames else None,
                "ssim_frames": self.ssim_frames,
                "ms_ssim": None,
            }
            if has_mask:
                entry |= {
                    "psnr_holes": psnr(who, "holes"),
                    "ssim_holes": None,
                    "psnr_known": psnr(who, "known"),
                }
            scores[who] = entry
        return scores


DISPLAY_SAMPLES = 60
"""Frames a chunked run keeps for display (its report's input and result): a few MB at 640x272."""


class _Samples:
    """Up to `DISPLAY_SAMPLES` evenly spaced finished frames, kept as uint8 input and result and
    a boolean mask, in clip order (what the app shows after a long run)."""

    def __init__(self, num_frames: int) -> None:
        self.every = max(-(-num_frames // DISPLAY_SAMPLES), 1)
        self.indices: list[int] = []
        self.inputs: list[np.ndarray] = []
        self.restored: list[np.ndarray] = []
        self.masks: list[torch.Tensor] = []

    def add(self, finished: FinishedFrames) -> None:
        """Keeps the ``every``-th frames of ``finished``."""
        for offset in range((-finished.start) % self.every, finished.restored.shape[0], self.every):
            before, after = (
                frames_to_uint8(frames[offset : offset + 1])[0]
                for frames in (finished.corrupted, finished.restored)
            )
            self.indices.append(finished.start + offset)
            self.inputs.append(before)
            self.restored.append(after)
            if finished.mask is not None:
                self.masks.append(finished.mask[offset] > 0.5)

    @staticmethod
    def frames(images: list[np.ndarray], height: int, width: int) -> torch.Tensor:
        """``images`` as frames ``(n, 3, H, W)`` float32 in [0, 1]."""
        if not images:
            return torch.empty(0, 3, height, width)
        return uint8_to_frames(np.stack(images))

    def mask(self) -> torch.Tensor | None:
        """The kept frames' masks ``(n, 1, H, W)``, 1 = missing; None without holes."""
        return torch.stack(self.masks).to(torch.float32) if self.masks else None


def run_chunked(
    job: Job,
    paths: dict[str, Path],
    *,
    info: VideoInfo | None = None,
    neural: bool | None = None,
    on_prepared: Callable[[PreparedInput], None] | None = None,
    on_frames: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> JobReport:
    """Runs a `restore.job.Job` chunk by chunk and writes its outputs (see the module doc).

    Args:
        job: the job (``chunk_frames``, ``chunk_overlap``, ``scheduler``, ``workers`` say how).
        paths: its outputs (`restore.job.output_paths`), already checked.
        info: the clip's `VideoInfo` if it was probed already.
        neural: whether the job's method fits a network, if the caller looked it up already
            (it sizes the chunks, `chunk_plan`); each chunk's `restore.api.restore` looks the
            method up itself, since a chunk may run in another process.
        on_prepared: called once, when the first chunk is corrupted, with the clip's first
            frame as the method sees it (its mask and reference too) and the notes known before
            any chunk is restored.
        on_frames: called with ``(frames done, frames in all)`` as finished frames are written.
        should_stop: polled during each fit and after each chunk; True ends the fit of the chunk
            in progress (in this process) and restores no further chunk: the output then holds
            the frames finished so far (said in the notes and ``frames_written``).

    Returns:
        The `JobReport`: its ``record`` (``<stem>.metrics.json``) has a ``chunks`` section; its
        ``prepared.corrupted`` / ``prepared.mask`` and ``result.restored`` hold up to
        `DISPLAY_SAMPLES` evenly spaced frames (the rest went to the file), their clip indices
        in ``result.info["sample_indices"]``; ``prepared.clean`` is None (scores are streamed).

    Raises:
        InputError: bad input or options; the destination files are then not written.
    """
    started = time.perf_counter()
    if "model" in paths:
        raise InputError("--save-model: a chunked run fits one model per chunk; not supported")
    if info is None:
        info = probe_video(job.input, start=job.start, max_frames=job.max_frames, resize=job.resize)
    if job.mask_track:
        raise InputError(
            "--track: expected a clip restored whole, got a chunked run (a long clip or "
            "--chunk-frames/--scheduler; try --max-frames)"
        )
    chunks = chunk_plan(job, info, neural=neural)
    mask_source = _MaskSource(job, info) if job.task == "inpaint" else None
    synthetic = job.add_noise is not None if job.task == "denoise" else mask_source.synthetic
    notes = [
        f"chunked: {len(chunks)} chunk(s) of up to {max(c.length for c in chunks)} frames, "
        f"{job.chunk_overlap} cross-faded in each overlap; "
        f"run on {job.scheduler or 'this process'}"
    ]
    if info.height % 2 or info.width % 2:
        notes.append("H.264 (yuv420p) needs even sides: the last column/row is repeated")
    known_before = list(notes)
    config = job.config
    workers = 1
    side: deque = deque()  # (chunk, corrupted, mask, clean) of the chunks in flight
    first: list[PreparedInput] = []  # the first frame's input: the preview shows it

    def inputs() -> Iterator[tuple[Any, ...]]:
        for chunk, frames in _read_overlapping(job, chunks):
            made = masks.corrupt(
                frames,
                mask=None if mask_source is None else mask_source(chunk),
                noise=job.add_noise if job.task == "denoise" else None,
                noise_mask=job.noise_mask,
                seed=config.seed + chunk.start,
                chunk=True,
            )
            corrupted, holes = made.corrupted, made.mask
            clean = frames if synthetic else None
            if chunk.index == 0:
                first.append(_first_frame(corrupted, holes, clean, info.fps, known_before))
                if on_prepared is not None:
                    on_prepared(first[0])
            side.append((chunk, corrupted, holes, clean))
            yield corrupted, holes, chunk_config, job.task

    def budgeted(config: RestoreConfig, parallel: int) -> RestoreConfig:
        if config.time_budget is None:
            return config
        share = config.time_budget * min(parallel, len(chunks)) / len(chunks)
        return dataclasses.replace(config, time_budget=max(share, 1.0))

    blender = ChunkBlender(chunks)
    ssim_every = max(info.num_frames // SSIM_FRAMES, 1)
    scores = RunningScores(ssim_every) if synthetic else None
    samples = _Samples(info.num_frames)
    chunk_summaries: list[dict[str, Any]] = []
    done = 0
    stopped_early = False
    with (
        VideoWriter(paths["video"], info.fps) as writer,
        _optional_writer(paths.get("compare"), info.fps) as compare,
        _cluster(job) as client,
    ):
        if client is None:
            chunk_config = budgeted(config, 1)
            results = (restore_chunk(*args, should_stop) for args in inputs())
        else:
            from restore.cluster import ordered_map

            workers = max(len(client.nthreads()), 1)
            chunk_config = budgeted(config, workers)
            results = ordered_map(client, restore_chunk, inputs(), window=2 * workers)
        for restored, summary in results:
            chunk, corrupted, holes, clean = side.popleft()
            finished = blender.add(chunk, restored, corrupted, holes, clean)
            writer.write(finished.restored)
            if compare is not None:
                compare.write(
                    side_by_side(
                        finished.corrupted, finished.restored, labels=("input", "restored")
                    )
                )
            if "frames" in paths:
                write_frames(paths["frames"], finished.restored, start_index=finished.start)
            if scores is not None:
                scores.add(finished)
            samples.add(finished)
            chunk_summaries.append({"start": chunk.start, "stop": chunk.stop, **summary})
            done += finished.restored.shape[0]
            if on_frames is not None:
                on_frames(done, info.num_frames)
            if should_stop is not None and should_stop() and chunk.index + 1 < len(chunks):
                stopped_early = True
                break
        if stopped_early:
            notes.append(
                f"stopped: the output holds the first {done} of {info.num_frames} frames "
                f"({len(chunk_summaries)} of {len(chunks)} chunks)"
            )
            results.close()  # a generator either way: no further chunk is read or sent
    seconds = time.perf_counter() - started
    chunk_notes = sorted({note for summary in chunk_summaries for note in summary["notes"]})
    notes += chunk_notes
    if synthetic:
        notes.append(
            f"chunked scores: PSNRs over every frame; SSIM over every {ssim_every}th frame; "
            "ssim_holes and ms_ssim are not computed (None)"
        )
    record = {
        "input": job.input_name or str(job.input),
        "task": job.task,
        "frames": info.num_frames,
        "size": [info.height, info.width],
        "fps": info.fps,
        "timings": {"fit_seconds": sum(s["seconds"] for s in chunk_summaries)},
        "job_timings": {"total_seconds": seconds, "time_budget": job.config.time_budget},
        "stopped": stopped_early or any(s["stopped"] for s in chunk_summaries),
        "frames_written": done,
        "notes": notes,
        "scores": None if scores is None else scores.summary(job.task == "inpaint"),
        "chunks": {
            "count": len(chunks),
            "overlap": job.chunk_overlap,
            "scheduler": job.scheduler,
            "workers": workers,
            "plan": [[c.start, c.stop] for c in chunks],
            "per_chunk": chunk_summaries,
        },
        "peak_rss_mib": peak_rss_mib(),
    }
    details = {
        "notes": notes,
        "chunks": record["chunks"],
        "sample_indices": samples.indices,
        "frames_written": done,
    }
    size = (info.height, info.width)
    result = MethodResult(
        restored=samples.frames(samples.restored, *size),
        timings=record["timings"],
        info=details,
        stopped=record["stopped"],
    )
    shown = PreparedInput(
        samples.frames(samples.inputs, *size), samples.mask(), None, info.fps, known_before
    )
    report = JobReport(paths, record, result, shown)
    write_outputs(job, report, streamed=True, preview_of=first[0] if first else None)
    return report


def _first_frame(
    corrupted: torch.Tensor,
    holes: torch.Tensor | None,
    clean: torch.Tensor | None,
    fps: float,
    notes: list[str],
) -> PreparedInput:
    """The first frame of a chunk's input, copied (a view would keep the whole chunk alive)."""

    def one(frames: torch.Tensor | None) -> torch.Tensor | None:
        return None if frames is None else frames[:1].clone()

    return PreparedInput(one(corrupted), one(holes), one(clean), fps, list(notes))


class _optional_writer:  # noqa: N801 - used like a context-manager function
    """A `VideoWriter` for ``path``, or None when there is no such output."""

    def __init__(self, path: Path | None, fps: float) -> None:
        self.writer = None if path is None else VideoWriter(path, fps)

    def __enter__(self) -> VideoWriter | None:
        return None if self.writer is None else self.writer.__enter__()

    def __exit__(self, *exc: Any) -> None:
        if self.writer is not None:
            self.writer.__exit__(*exc)


class _cluster:  # noqa: N801 - used like a context-manager function
    """A Dask client for ``job.scheduler``, or None to run the chunks in this process."""

    def __init__(self, job: Job) -> None:
        self.scheduler, self.workers = job.scheduler, job.workers
        self.context = None

    def __enter__(self) -> Any:
        if self.scheduler is None:
            return None
        from restore.cluster import dask_client

        self.context = dask_client(self.scheduler, workers=self.workers)
        return self.context.__enter__()

    def __exit__(self, *exc: Any) -> None:
        if self.context is not None:
            self.context.__exit__(*exc)
