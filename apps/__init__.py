"""The Gradio web app: upload a clip, say what is wrong, watch it restore, download the result.

`apps.app.build_app` builds it, `apps.cli.launch` serves it (``restore app``). The app calls the
engine (`restore.jobs`) for everything; it holds no restoration maths.
"""
