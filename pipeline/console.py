"""Rich consoles for the command line: never wrapped when the output is not a terminal (logs, CI, ``| tee``)."""

from __future__ import annotations

import sys

from rich.console import Console

#: Width for output that is not a terminal: tables take the room they need, lines are never broken.
PIPE_WIDTH = 240


def console(*, stderr: bool = False) -> Console:
    """A console that never inserts line breaks (``soft_wrap``), so URLs and commands stay copyable; on a terminal
    tables fit its width, elsewhere they get :data:`PIPE_WIDTH` columns instead of Rich's default 80."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else PIPE_WIDTH
    return Console(stderr=stderr, soft_wrap=True, width=width)
