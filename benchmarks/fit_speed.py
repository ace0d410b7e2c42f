"""Fit throughput of the project's fitting loop against a plain eager PyTorch reference.

Default: the issue's setting, DAVIS blackswan at 432x240 (first 50 frames, padded to 480x240 for
the strides 5,3,2,2,2), the five HNeRV boxes, a 0.75M-parameter HNeRV, batch 2.

- The **reference** is the same architecture written here in plain PyTorch the way the authors'
  HNeRV code trains it: NCHW float32, Adam, masked L2 loss, batch 2, default thread settings.
  (On the project's 2-core machine the authors' code measured 0.288 s per frame per epoch for
  this setting; the reference is checked against that figure.)
- The **project** fit is `restore.fit.fit_representation` with the given settings (by default
  the project's defaults: `restore.config.PRESETS["balanced"].fit`).

Each side runs warm-up steps, then timed steps; the median step time is reported as seconds per
frame per epoch, with peak memory. The last line is `speedup vs reference: X.XX`.

    python benchmarks/fit_speed.py [--steps 20] [--precision bf16|fp32] [--channels-last]
                                   [--profile ROWS] [--device cpu]
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from masks import box_masks  # noqa: E402
from restore.config import PRESETS  # noqa: E402
from restore.device import describe_device, pick_device  # noqa: E402
from restore.fit import fit_representation  # noqa: E402
from restore.models import choose_strides, create_model, padded_size  # noqa: E402
from restore.models.layers import block_kernels, block_widths  # noqa: E402


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


# --- the reference: plain eager PyTorch, as the authors' code trains HNeRV -----------------------


class _LayerNormChannels(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class _ConvNeXtBlock(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(1e-6 * torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dwconv(x).permute(0, 2, 3, 1)
        y = self.pwconv2(F.gelu(self.pwconv1(self.norm(y))))
        return x + (self.gamma * y).permute(0, 3, 1, 2)


class ReferenceHNeRV(nn.Module):
    """HNeRV (ConvNeXt encoder, HNeRV blocks) with the widths and kernels of a project config."""

    def __init__(self, config) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for index, stride in enumerate(config.strides):
            if index == 0:
                layers += [nn.Conv2d(3, config.encoder_dim, stride, stride)]
                layers += [_LayerNormChannels(config.encoder_dim)]
            else:
                layers += [_LayerNormChannels(config.encoder_dim)]
                layers += [nn.Conv2d(config.encoder_dim, config.encoder_dim, stride, stride)]
            layers += [_ConvNeXtBlock(config.encoder_dim)]
        layers += [nn.Conv2d(config.encoder_dim, config.embed_dim, 1)]
        self.encoder = nn.Sequential(*layers)
        decoder: list[nn.Module] = [nn.Conv2d(config.embed_dim, config.decoder_width, 1), nn.GELU()]
        widths = block_widths(
            config.decoder_width, len(config.strides), config.reduction, config.min_width
        )
        kernels = block_kernels(len(config.strides), config.k_min, config.k_max)
        width = config.decoder_width
        for out_width, kernel, stride in zip(widths, kernels, config.strides, strict=True):
            decoder += [nn.Conv2d(width, out_width * stride**2, kernel, padding=kernel // 2)]
            decoder += [nn.PixelShuffle(stride), nn.GELU()]
            width = out_width
        decoder += [nn.Conv2d(width, 3, 3, padding=1)]
        self.decoder = nn.Sequential(*decoder)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.decoder(self.encoder(frames)))


def time_reference(config, target, known, args, device) -> list[float]:
    torch.manual_seed(0)
    model = ReferenceHNeRV(config).to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    generator = torch.Generator().manual_seed(0)
    times = []
    for step in range(args.warmup + args.steps):
        started = time.perf_counter()
        batch = torch.randint(0, target.shape[0], (args.batch_size,), generator=generator)
        frames, goal = target[batch].to(device), target[batch].to(device)
        weights = known[batch].to(device).expand_as(goal)
        loss = (((model(frames) - goal) ** 2) * weights).sum() / weights.sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if step >= args.warmup:
            times.append(time.perf_counter() - started)
    return times


def time_project(model, target, known, fit_config, args, device) -> list[float]:
    stamps: list[float] = []

    def on_progress(progress) -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()
        stamps.append(time.perf_counter())

    steps = args.warmup + args.steps + 1
    epochs = -(-steps * args.batch_size // target.shape[0])
    config = dataclasses.replace(fit_config, epochs=epochs, batch_size=args.batch_size)
    fit_representation(
        model,
        target,
        known,
        config,
        device=device,
        on_progress=on_progress,
        should_stop=lambda: len(stamps) >= steps,
    )
    gaps = [later - earlier for earlier, later in zip(stamps, stamps[1:], strict=False)]
    return gaps[args.warmup :]


def peak_memory_mib(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def profile_steps(label: str, run, device: torch.device, rows: int) -> None:
    """Prints where the time of ``run`` (a few optimizer steps) goes: torch.profiler's operators
    by self time, the top ``rows``."""
    activities = [torch.profiler.ProfilerActivity.CPU]
    if device.type == "cuda":
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(activities=activities) as profiler:
        run()
    sort = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
    print(f"\n--- profile: {label} ---")
    print(profiler.key_averages().table(sort_by=sort, row_limit=rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--davis-root", type=Path, default=ROOT.parent / "shared/data/davis")
    parser.add_argument("--sequence", default="blackswan")
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--size", default="432x240", help="WxH")
    parser.add_argument("--model-size", type=float, default=0.75)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20, help="timed optimizer steps per side")
    parser.add_argument("--warmup", type=int, default=4)
    parser.add_argument("--precision", default=None, help="project side: fp32 | bf16")
    parser.add_argument("--channels-last", default=None, choices=["on", "off"])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="ROWS",
        help="also profile 4 steps of each side and print the ROWS costliest operators",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    width, height = (int(v) for v in args.size.lower().split("x"))
    frames = load_frames(args.davis_root, args.sequence, args.frames, width, height)
    mask = box_masks(frames.shape[0], height, width)
    strides = choose_strides(height, width)
    padded_h, padded_w = padded_size(height, width, strides)
    pad = (0, padded_w - width, 0, padded_h - height)
    target = F.pad(frames * (1 - mask), pad, mode="replicate")
    known = F.pad(1 - mask, pad, value=0.0)
    fit_config = PRESETS["balanced"].fit
    if args.precision:
        fit_config = dataclasses.replace(fit_config, precision=args.precision)
    if args.channels_last:
        fit_config = dataclasses.replace(fit_config, channels_last=args.channels_last == "on")
    torch.manual_seed(0)
    model = create_model(
        "hnerv",
        num_frames=frames.shape[0],
        height=padded_h,
        width=padded_w,
        size=args.model_size,
        strides=strides,
    )
    size = model.size_report()
    print(f"device: {describe_device(device)}")
    print(
        f"video: {args.sequence} {frames.shape[0]} frames {width}x{height} "
        f"(padded {padded_w}x{padded_h}), strides {strides}, batch {args.batch_size}"
    )
    print(f"model: hnerv total {size['total'] / 1e6:.3f}M (decoder {size['decoder'] / 1e6:.3f}M)")
    project = time_project(model, target, known, fit_config, args, device)
    project_spf = statistics.median(project) / args.batch_size
    print(
        f"project fit (precision {fit_config.precision}, channels_last "
        f"{fit_config.channels_last}): {project_spf:.4f} s per frame per epoch"
    )
    print(f"peak memory so far: {peak_memory_mib(device):.0f} MiB")
    if args.skip_reference:
        return
    reference = time_reference(model.config, target, known, args, device)
    reference_spf = statistics.median(reference) / args.batch_size
    print(
        f"reference (plain eager PyTorch, fp32, NCHW): {reference_spf:.4f} s per frame per epoch "
        "(the authors' code: 0.288 on the project's 2-core machine)"
    )
    print(f"peak memory: {peak_memory_mib(device):.0f} MiB")
    if args.profile:
        few = argparse.Namespace(**{**vars(args), "warmup": 1, "steps": 4})
        profile_steps(
            "reference (before)",
            lambda: time_reference(model.config, target, known, few, device),
            device,
            args.profile,
        )
        profile_steps(
            f"project fit, precision {fit_config.precision} (after)",
            lambda: time_project(model, target, known, fit_config, few, device),
            device,
            args.profile,
        )
    print(f"speedup vs reference: {reference_spf / project_spf:.2f}")


if __name__ == "__main__":
    main()
