"""``python -m apps``: serve the web app (see `apps.cli.launch`)."""

from apps.cli import main

main()
