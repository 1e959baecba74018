"""The ``convo`` program: start walking the notebook, then run the command line.

This module is the entry point so that the walk starts before anything else is
imported: :func:`.notefiles.prefetch` forks the process that walks ``notes/`` while
this one imports click and the commands (see :mod:`.notefiles`); :func:`.cli.console`
runs the command and leaves.
"""

from __future__ import annotations

import gc
import sys

from . import notefiles

TYPE_CHECKING = False  # (not `typing`'s: see notefiles)
if TYPE_CHECKING:
    from typing import NoReturn


def console() -> NoReturn:
    """``convo`` (and ``python -m convo_notes``).

    The cyclic garbage collector is off while click and the package are imported: importing
    makes tens of thousands of objects and no garbage, and the collections it set off walked
    them all again (a tenth of a warm command's imports). They are then frozen (``gc.freeze``),
    so no later collection walks them either, and the collector is on again for the command.
    """
    gc.disable()
    notefiles.prefetch(sys.argv[1:])
    from .cli import console as run

    gc.freeze()
    gc.enable()
    run()
