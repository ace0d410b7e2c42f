"""Walks one `restore inpaint clip.mp4 --mask boxes` run: the project's functions in the order
they are called (to a depth), and every call of the check family with what it checked.

    python scripts/walk_inpaint.py [--depth 4] [--method hybrid]

It writes a 10-frame 64x48 clip to a temporary folder, runs the CLI's `inpaint` command on it
with the `smoke` preset under `sys.setprofile`, and prints an indented call list (repeated calls
of the same function in a row are counted, not repeated) followed by the checks.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = tuple(str(ROOT / name) + "/" for name in ("restore", "masks", "apps"))
CHECKS = {"check_video", "check_mask"}
# Not steps of the run: imports (and all they call), class bodies, comprehensions, decorators.
HIDDEN = {"<module>", "<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>", "<lambda>"}
HIDDEN_CALLS = {"boundary", "decorate", "checked_by", "__init__", "__enter__", "__exit__"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--method", default="hybrid")
    arguments = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import torch

    from apps.console import app
    from restore.io import write_video

    frames = torch.rand(10, 3, 48, 64)
    with tempfile.TemporaryDirectory() as folder:
        clip = write_video(Path(folder) / "clip.mp4", frames, 10.0)
        lines: list[list] = []  # [depth, name, count]
        checks: Counter = Counter()
        tensors: dict[int, str] = {}  # id of each checked tensor -> a name in order of checking
        depth = [0]
        started = [False]
        hidden_below = [None]  # depth of an import being run: nothing under it is shown

        def profile(frame, event, _arg):
            code = frame.f_code
            inside = code.co_filename.startswith(PACKAGES)
            if event == "call" and inside:
                if code.co_name == "inpaint" and code.co_filename.endswith("cli.py"):
                    started[0] = True
                if started[0]:
                    depth[0] += 1
                    name = f"{Path(code.co_filename).relative_to(ROOT)}:{code.co_name}"
                    if hidden_below[0] is None and code.co_name == "<module>":
                        hidden_below[0] = depth[0]
                    shown = (
                        hidden_below[0] is None
                        and code.co_name not in HIDDEN | HIDDEN_CALLS
                        and not code.co_name[0].isupper()
                    )
                    if code.co_name in CHECKS:
                        argument = "mask" if code.co_name == "check_mask" else "video"
                        checked = frame.f_locals.get(argument)
                        tensors.setdefault(id(checked), f"tensor {len(tensors) + 1}")
                        caller = frame.f_back.f_code
                        where = f"{Path(caller.co_filename).name}:{caller.co_name}"
                        checks[(code.co_name, tensors[id(checked)], where)] += 1
                    if shown and depth[0] <= arguments.depth:
                        if lines and lines[-1][:2] == [depth[0], name]:
                            lines[-1][2] += 1
                        else:
                            lines.append([depth[0], name, 1])
            elif event == "return" and inside and started[0]:
                if hidden_below[0] == depth[0]:
                    hidden_below[0] = None
                depth[0] -= 1

        argv = [
            "inpaint",
            str(clip),
            "--mask",
            "boxes",
            "--method",
            arguments.method,
            "--preset",
            "smoke",
            "-o",
            str(Path(folder) / "out.mp4"),
        ]
        sys.setprofile(profile)
        try:
            app(argv, standalone_mode=False)
        finally:
            sys.setprofile(None)
    print(f"restore inpaint clip.mp4 --mask boxes --method {arguments.method} --preset smoke")
    for level, name, count in lines:
        times = f"  x{count}" if count > 1 else ""
        print(f"{'  ' * (level - 1)}{name}{times}")
    print("\nchecks: function, the tensor checked (numbered as first seen), caller: calls")
    for (function, tensor, caller), count in checks.items():
        print(f"  {function}({tensor}) from {caller}: {count}")


if __name__ == "__main__":
    main()
