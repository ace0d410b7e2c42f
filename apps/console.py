"""The ``restore`` console script: where the three front ends' command lines meet.

It imports the engine's commands (``restore.cli``), the evaluation harness (``evaluation.cli``,
as ``restore eval``) and the web app's launcher (``apps.cli``, as ``restore app``) and nothing
else; the engine never imports a front end. It is the one module allowed to import every package
(``tests/test_layering.py``). Each sub-app imports its heavy dependencies inside its commands, so
``restore --help`` or ``restore methods`` does not load Gradio or the harness's pool.
"""

from __future__ import annotations

import typer

from apps.cli import launch
from evaluation.cli import app as evaluation_app
from restore.cli import app
from restore.errors import ExitOnBadInput

app.add_typer(evaluation_app, name="eval", help="DAVIS evaluation harness and reports.")


@app.command("app")
def launch_app(
    host: str = typer.Option("127.0.0.1", help="Address to bind (0.0.0.0 serves a network)."),
    port: int = typer.Option(7860, help="TCP port."),
    share: bool = typer.Option(False, help="Also open a public Gradio share link."),
    device: str = typer.Option("auto", help="auto | cpu | cuda | cuda:N | mps."),
) -> None:
    """Open the Gradio web app (127.0.0.1 unless --host says otherwise)."""
    with ExitOnBadInput():
        launch(host=host, port=port, share=share, device=device)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
