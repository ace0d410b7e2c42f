"""Training throughput, peak memory and decoding speed of one fitting configuration.

Default: the issue's reference setting, DAVIS blackswan at 432x240 (first 50 frames), the five
HNeRV boxes, a 0.75M-parameter HNeRV. Prints frames per second of fitting (frames seen per
second of optimisation), seconds per frame per epoch, peak memory, and decoding frames per second
(decoder only, from stored embeddings, as HNeRV's paper measures it, and encoder + decoder).

    python benchmarks/fit_speed.py [--steps 20] [--batch-size 2] [--channels-last] [--device cpu]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from masks import box_masks  # noqa: E402
from restore.device import describe_device, pick_device  # noqa: E402
from restore.fit import reconstruction_loss  # noqa: E402
from restore.models import choose_strides, create_model, padded_size, parse_strides  # noqa: E402


def load_frames(root: Path, sequence: str, count: int, width: int, height: int) -> torch.Tensor:
    paths = sorted((root / "JPEGImages" / "480p" / sequence).glob("*.jpg"))[:count]
    if not paths:
        sys.exit(f"no frames for {sequence} under {root}")
    frames = [
        cv2.resize(
            cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB),
            (width, height),
            interpolation=cv2.INTER_AREA,
        )
        for p in paths
    ]
    return torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float() / 255


def peak_memory_mib(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--davis-root", type=Path, default=ROOT.parent / "shared/data/davis")
    parser.add_argument("--sequence", default="blackswan")
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--size", default="432x240", help="WxH")
    parser.add_argument("--model", default="hnerv")
    parser.add_argument("--model-size", type=float, default=0.75)
    parser.add_argument("--strides", default=None)
    parser.add_argument("--k-max", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20, help="timed optimizer steps")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    width, height = (int(v) for v in args.size.lower().split("x"))
    frames = load_frames(args.davis_root, args.sequence, args.frames, width, height)
    mask = box_masks(frames.shape[0], height, width)
    strides = parse_strides(args.strides) if args.strides else choose_strides(height, width)
    padded_h, padded_w = padded_size(height, width, strides)
    pad = (0, padded_w - width, 0, padded_h - height)
    target = torch.nn.functional.pad(frames, pad, mode="replicate")
    known = torch.nn.functional.pad(1 - mask, pad, value=0.0)
    overrides = {"k_max": args.k_max} if args.k_max else {}
    torch.manual_seed(0)
    model = create_model(
        args.model,
        num_frames=frames.shape[0],
        height=padded_h,
        width=padded_w,
        size=args.model_size,
        strides=strides,
        **overrides,
    )
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    model.to(device=device, memory_format=memory_format).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)

    def step() -> None:
        batch = torch.randint(0, frames.shape[0], (args.batch_size,), generator=generator)
        inputs = target[batch].to(device)
        if args.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        prediction = model(inputs, batch.to(device))
        loss = reconstruction_loss(prediction, target[batch].to(device), known[batch].to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for _ in range(args.warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(args.steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    fit_fps = args.steps * args.batch_size / seconds

    model.eval()
    with torch.no_grad():
        inputs = target.to(device)
        if args.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        embeddings = None
        if hasattr(model, "encode"):  # HNeRV: decode from stored embeddings, as the paper times it
            embeddings = torch.cat(
                [model.encode(inputs[i : i + 8]) for i in range(0, len(inputs), 8)]
            )
        for _ in range(2):  # warm-up and timed
            if device.type == "cuda":
                torch.cuda.synchronize()
            started = time.perf_counter()
            for i in range(0, len(inputs), 8):
                if embeddings is not None:
                    model.decode(embeddings[i : i + 8])
                else:
                    model(None, torch.arange(i, min(i + 8, len(inputs)), device=device))
            if device.type == "cuda":
                torch.cuda.synchronize()
            decode_seconds = time.perf_counter() - started
            started = time.perf_counter()
            for i in range(0, len(inputs), 8):
                model(inputs[i : i + 8], torch.arange(i, min(i + 8, len(inputs)), device=device))
            if device.type == "cuda":
                torch.cuda.synchronize()
            full_seconds = time.perf_counter() - started

    size = model.size_report()
    print(f"device: {describe_device(device)}")
    print(
        f"video: {args.sequence} {frames.shape[0]} frames {width}x{height} "
        f"(padded {padded_w}x{padded_h}), strides {strides}"
    )
    print(
        f"model: {args.model} total {size['total'] / 1e6:.3f}M "
        f"(decoder {size['decoder'] / 1e6:.3f}M, embeddings {size['embedding'] / 1e6:.3f}M)"
    )
    print(
        f"batch {args.batch_size}, channels_last {args.channels_last}, "
        f"threads {torch.get_num_threads()}"
    )
    print(
        f"fit: {fit_fps:.2f} frames/s  ({1 / fit_fps:.4f} s per frame per epoch; "
        f"{frames.shape[0] / fit_fps:.1f} s per epoch of {frames.shape[0]} frames)"
    )
    print(f"peak memory: {peak_memory_mib(device):.0f} MiB")
    print(
        f"decode: {frames.shape[0] / decode_seconds:.1f} frames/s decoder only, "
        f"{frames.shape[0] / full_seconds:.1f} frames/s encoder + decoder"
    )


if __name__ == "__main__":
    main()
