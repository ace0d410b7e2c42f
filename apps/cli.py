"""``restore app`` / ``python -m apps``: serve the Gradio app, on 127.0.0.1 unless told otherwise.

`launch` has plain keyword arguments; the console script (``apps.console``) exposes it as
``restore app``.
"""

from __future__ import annotations

import argparse
import atexit
import ipaddress
import os
import shutil
import signal
import sys
import tempfile
import threading

from restore.errors import InputError


def _check_host(host: str) -> str:
    if host == "localhost":
        return host
    try:
        ipaddress.ip_address(host)
    except ValueError:  # the standard library's answer for a malformed address
        raise InputError(
            f"--host: expected an IP address such as 127.0.0.1 (or 0.0.0.0 for every "
            f"interface), got {host!r}"
        ) from None
    return host


def launch(
    host: str = "127.0.0.1",
    port: int = 7860,
    share: bool = False,
    device: str = "auto",
) -> None:
    """Start the web app and serve it until interrupted.

    Args:
        host: address to bind; the default serves this machine only. 0.0.0.0 exposes it.
        port: TCP port (1-65535).
        share: also open a public Gradio share link (off by default).
        device: where fits run: auto, cpu, cuda, cuda:N or mps.

    Raises:
        InputError: a bad host, port or device.
    """
    from restore.device import pick_device

    _check_host(host)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise InputError(f"--port: expected a number from 1 to 65535, got {port!r}")
    pick_device(device)

    if "GRADIO_TEMP_DIR" not in os.environ:
        # A private Gradio cache, removed at exit with everything in it: no visitor's upload or
        # result outlives the server (each session's part goes when its tab closes).
        cache = tempfile.mkdtemp(prefix="hnerv-restore-gradio-")
        os.environ["GRADIO_TEMP_DIR"] = cache
        atexit.register(shutil.rmtree, cache, True)

    from apps.app import build_app, launch_app

    if threading.current_thread() is threading.main_thread():
        # A plain `kill` should also remove the visitors' temporary files (atexit handlers).
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    launch_app(build_app(device=device), host=host, port=port, share=share)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m apps", description="Serve the hnerv-restore web app (Gradio)."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="TCP port (7860)")
    parser.add_argument("--share", action="store_true", help="also open a public share link")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N | mps")
    args = parser.parse_args(argv)
    try:
        launch(host=args.host, port=args.port, share=args.share, device=args.device)
    except InputError as error:
        parser.exit(2, f"error: {error}\n")
