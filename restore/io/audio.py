"""The source's audio in a restored video: packets remuxed with PyAV, nothing re-encoded.

A restoration sees frames only, so the H.264 files the project writes (`restore.io.write_video`,
`restore.io.streaming.VideoWriter`) have no audio. `copy_audio` joins the source's audio
streams to such a file afterwards: the written video's packets and the source's audio packets
are copied into a new MP4 (neither is decoded or re-encoded), interleaved by time, and that
file replaces the video atomically (`restore.io.atomic`).

The audio is the part of the source that the restored frames came from: from ``start`` seconds
after the source's first video frame, for as long as the written video lasts. The cut falls on
packet boundaries: every packet that overlaps that span is kept, with the one before the first
(AAC and the other MDCT codecs need a packet of pre-roll to decode their first one whole). The
timestamps are shifted so that the span starts at 0, in step with the video; what falls before
0 the MP4 muxer hides with an edit list, so the audio lasts as long as the video, up to the
part of its last packet that runs past the end (less than one packet).
"""

from __future__ import annotations

import functools
import heapq
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from restore.io.atomic import atomic_destination


@dataclass(frozen=True)
class AudioCopy:
    """What `copy_audio` did to a video: the summary the metrics JSON records, or why not."""

    summary: str | None  # e.g. "aac, 1 stream copied"; None: the video has no audio
    note: str | None  # one line for the job's notes when a stream was not copied; else None


def copy_audio(
    source: str | os.PathLike[str], video: str | os.PathLike[str], *, start: float = 0.0
) -> AudioCopy:
    """Copies the audio streams of ``source`` into the H.264 MP4 ``video``, trimmed to it.

    ``video`` is rewritten only when a stream is copied; then it holds its own packets unchanged
    and the audio packets from ``start`` seconds (after the first video frame of ``source``)
    for the duration of ``video`` (cut at packet boundaries, see the module doc). A source
    without audio, a folder of frames, an audio codec the MP4 container cannot hold or an
    unreadable audio stream leave ``video`` as it is, and the returned note says why.

    Args:
        source: the job's input: a video file or a folder of frames.
        video: the written H.264 ``.mp4``/``.m4v`` (`restore.io.write_video`); replaced
            atomically.
        start: seconds of the source before the first restored frame (``start / fps`` of the
            job), >= 0.

    Returns:
        The `AudioCopy`: its ``summary`` names the copied codecs and streams (None when none
        was copied), its ``note`` what was not copied and why (None when nothing was left out).
    """
    source = Path(source)
    if source.is_dir():
        return AudioCopy(None, "audio: the input is a folder of frames; the video has none")
    try:
        with av.open(str(source)) as container:
            return _copy_from(container, Path(video), start)
    except av.FFmpegError as error:
        reason = error.strerror or str(error)
        note = f"audio: cannot copy the input's audio ({reason}); the video has none"
        return AudioCopy(None, note)


def _copy_from(container: av.container.InputContainer, video: Path, start: float) -> AudioCopy:
    """`copy_audio` for an open source container."""
    streams = list(container.streams.audio)
    if not streams:
        return AudioCopy(None, "audio: the input has no audio stream; the video has none")
    copied = [s for s in streams if s.codec_context.name in _mp4_codecs()]
    if copied:
        try:
            with av.open(str(video)) as written, atomic_destination(video) as temporary:
                output = av.open(
                    str(temporary), "w", format="mp4", container_options={"movflags": "+faststart"}
                )
                with output:
                    muxed = _remux(container, written, output, copied, _origin(container, start))
                if not muxed:
                    raise _NoAudioInRange  # `atomic_destination` then deletes the temporary file
        except _NoAudioInRange:
            return AudioCopy(
                None, "audio: the input's audio ends before the restored frames; the video has none"
            )
    return _outcome(copied, [s for s in streams if s not in copied])


class _NoAudioInRange(Exception):
    """No audio packet overlaps the restored frames: the remuxed file is dropped."""


@functools.cache
def _mp4_codecs() -> frozenset[str]:
    """Names of the codecs the MP4 muxer takes (asked of a container that writes nowhere)."""
    with av.open(io.BytesIO(), "w", format="mp4") as probe:
        return frozenset(probe.supported_codecs)


def _outcome(copied: list[av.audio.AudioStream], left: list[av.audio.AudioStream]) -> AudioCopy:
    """The summary and note of a copy that kept ``copied`` and left out ``left``."""
    note = None
    if left:
        names = ", ".join(sorted({s.codec_context.name for s in left}))
        if not copied:
            return AudioCopy(
                None,
                f"audio: an MP4 cannot hold the input's audio ({names}) without re-encoding it; "
                "the video has none",
            )
        count = f"{len(left)} stream{'s' if len(left) > 1 else ''}"
        note = f"audio: {count} ({names}) left out: an MP4 cannot hold it without re-encoding"
    names = ", ".join(sorted({s.codec_context.name for s in copied}))
    plural = "s" if len(copied) > 1 else ""
    return AudioCopy(f"{names}, {len(copied)} stream{plural} copied", note)


def _duration(stream: av.video.VideoStream) -> Fraction:
    """Seconds that a written video stream lasts (its frames over its rate without a duration)."""
    if stream.duration is not None and stream.time_base is not None:
        return stream.duration * stream.time_base
    return Fraction(stream.frames) / Fraction(stream.average_rate)


def _origin(container: av.container.InputContainer, start: float) -> Fraction:
    """The source's time, in seconds, of the first restored frame: ``start`` after the first
    video frame (frames are counted from it, `restore.io.streaming.iter_frames`)."""
    first = Fraction(0)
    if container.streams.video:
        stream = container.streams.video[0]
        if stream.start_time is not None and stream.time_base is not None:
            first = stream.start_time * stream.time_base
    return first + Fraction(start)


def _remux(
    source: av.container.InputContainer,
    written: av.container.InputContainer,
    output: av.container.OutputContainer,
    streams: list[av.audio.AudioStream],
    origin: Fraction,
) -> int:
    """Muxes the written video's packets and the audio of ``streams`` from ``origin`` seconds,
    as long as the video, into ``output``, interleaved by decoding time.

    Returns:
        The number of audio packets muxed.
    """
    video_in = written.streams.video[0]
    duration = _duration(video_in)
    video_out = output.add_stream_from_template(video_in)
    targets = {s.index: output.add_stream_from_template(s) for s in streams}
    video = ((packet, video_out) for packet in written.demux(video_in) if packet.dts is not None)
    audio = _trimmed(source, streams, targets, origin, origin + duration)
    muxed = 0
    for packet, target in heapq.merge(video, audio, key=_decoding_time):
        muxed += target is not video_out
        packet.stream = target
        output.mux(packet)
    return muxed


def _decoding_time(item: tuple[av.Packet, av.stream.Stream]) -> Fraction:
    """Seconds at which a ``(packet, target stream)`` is decoded: the order of the output."""
    packet = item[0]
    return packet.dts * packet.time_base


def _trimmed(
    source: av.container.InputContainer,
    streams: list[av.audio.AudioStream],
    targets: dict[int, av.stream.Stream],
    begin: Fraction,
    end: Fraction,
) -> Iterator[tuple[av.Packet, av.stream.Stream]]:
    """The packets of ``streams`` that overlap ``[begin, end)`` seconds, with one packet of
    pre-roll before the first, their timestamps shifted so that ``begin`` becomes 0."""
    first = {s.index: begin / s.time_base for s in streams}
    last = {s.index: end / s.time_base for s in streams}
    shift = {s.index: round(begin / s.time_base) for s in streams}
    pre_roll: dict[int, av.Packet] = {}
    started: set[int] = set()
    finished: set[int] = set()
    # Read from the source's beginning, not sought: a demuxer seeks to key frames and some
    # containers' audio seeks are coarse; reading packets without decoding them is cheap.
    for packet in source.demux(*streams):
        index = packet.stream.index
        if packet.pts is None or packet.dts is None or index in finished:
            continue
        if packet.pts >= last[index]:
            finished.add(index)
            if len(finished) == len(streams):
                return
            continue
        if packet.pts + (packet.duration or 0) <= first[index] and packet.pts < first[index]:
            pre_roll[index] = packet
            continue
        kept = [packet]
        if index not in started:
            started.add(index)
            if index in pre_roll:
                kept.insert(0, pre_roll.pop(index))
        for one in kept:
            one.pts -= shift[index]
            one.dts -= shift[index]
            yield one, targets[index]
