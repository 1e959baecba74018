"""The ``convo`` program: start walking the notebook, then run the command line.

This module is the entry point so that the walk starts before anything else is
imported: :func:`.notefiles.prefetch` forks the process that walks ``notes/`` while
this one imports click and the commands (see :mod:`.notefiles`); :func:`.cli.console`
runs the command and leaves.
"""

from __future__ import annotations

import sys

from . import notefiles

TYPE_CHECKING = False  # (not `typing`'s: see notefiles)
if TYPE_CHECKING:
    from typing import NoReturn


def console() -> NoReturn:
    """``convo`` (and ``python -m convo_notes``)."""
    notefiles.prefetch(sys.argv[1:])
    from .cli import console as run

    run()
