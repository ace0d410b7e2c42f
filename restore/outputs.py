"""Writing a job's output files, for both runners (`restore.jobs`, `restore.streamed`).

`write_outputs` writes every file of a finished run: the restored and side-by-side videos and
the PNG frames (unless the chunked runner already streamed them through
`restore.io.streaming.VideoWriter`), the source's audio copied into both videos
(`restore.io.copy_audio`), the model, the preview PNG, then the metrics and config JSON. The
metrics JSON comes last, so it marks a finished run. Every file goes through a
temporary file and a rename (`restore.io.atomic`); the paths were checked before the run
(`restore.io.check_output_path`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

import masks
from restore.io import (
    atomic_write_bytes,
    atomic_write_text,
    copy_audio,
    side_by_side,
    write_frames,
    write_video,
)
from restore.job import Job, JobReport, PreparedInput


def write_outputs(
    job: Job,
    report: JobReport,
    *,
    streamed: bool = False,
    preview_of: PreparedInput | None = None,
    on_phase: Callable[[str], None] | None = None,
    on_written: Callable[[], None] | None = None,
) -> None:
    """Writes the files of ``report.outputs`` for a finished run of ``job``.

    The videos get the source's audio for their frames (`restore.io.copy_audio`); the record
    gets an ``audio`` entry (what was copied, or None) and, where none was, a note why.

    Args:
        job: the job (its fields go to the config JSON, next to its resolved config).
        report: the run's report; ``report.record`` becomes the metrics JSON.
        streamed: the videos and PNG frames were written chunk by chunk already; only the model,
            preview and JSON files are left.
        preview_of: the input whose first frame and mask the preview shows; default
            ``report.prepared`` (a chunked run passes its first chunk: its report holds uint8
            display samples, not the frames the method saw).
        on_phase: called with the name of each phase as it starts (the app shows it).
        on_written: called after the media files, before the JSON ones (a runner closes its
            timings there, so that they cover the writing).
    """
    paths, result, prepared = report.outputs, report.result, report.prepared
    phase = on_phase or (lambda name: None)
    if not streamed:
        phase("writing the restored video")
        write_video(paths["video"], result.restored, prepared.fps)
        if "compare" in paths:
            phase("writing the side-by-side video")
            write_video(
                paths["compare"],
                side_by_side(prepared.corrupted, result.restored, labels=("input", "restored")),
                prepared.fps,
            )
        if "frames" in paths:
            write_frames(paths["frames"], result.restored)
    phase("copying the audio")
    _add_audio(job, report)
    if "model" in paths and result.model is not None:
        buffer = io.BytesIO()
        torch.save({"state_dict": result.model.state_dict(), "info": result.info}, buffer)
        atomic_write_bytes(paths["model"], buffer.getvalue())
    shown = prepared if preview_of is None else preview_of
    if "preview" in paths and shown.mask is not None:
        write_preview(paths["preview"], shown.corrupted[0], shown.mask[0])
    phase("writing the metrics")
    if on_written is not None:
        on_written()
    atomic_write_text(paths["metrics"], json.dumps(report.record, indent=2, default=str))
    config = {"job": job.to_dict(), "config": job.config.to_dict()}
    atomic_write_text(paths["config"], json.dumps(config, indent=2, default=str))


def _add_audio(job: Job, report: JobReport) -> None:
    """Copies the audio of ``job.input`` into the written videos of ``report.outputs``, from
    its ``start`` frame on, and records the outcome in ``report.record`` (``audio``, notes)."""
    start = job.start / report.prepared.fps
    copied = copy_audio(job.input, report.outputs["video"], start=start)
    if "compare" in report.outputs:
        # Same source, same span: the side-by-side video gets what the restored one got.
        copy_audio(job.input, report.outputs["compare"], start=start)
    report.record["audio"] = copied.summary
    if copied.note is not None:
        report.record["notes"].append(copied.note)


def write_preview(path: Path, frame: torch.Tensor, mask: torch.Tensor) -> None:
    """A PNG of ``frame`` ``(3, H, W)`` with its holes ``mask`` ``(1, H, W)`` tinted
    (`masks.overlay`)."""
    import cv2

    image = (masks.overlay(frame, mask).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if ok:
        atomic_write_bytes(path, encoded.tobytes())
