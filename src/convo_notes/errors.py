"""Every failure a command can end in, each class carrying its exit code.

The library raises these; :func:`convo_notes.cli.exit_code` maps them to an exit
code and one line on stderr, in one place. Command modules never decide an
exit code themselves (no ``SystemExit``, no ``sys.exit``).

=====  =====================================================================
code   meaning
=====  =====================================================================
``0``  success
``1``  the notebook has errors, an edit was refused, the site could not be
       built or published, or a command found what it was asked to fail on
``2``  usage error: a wrong option, an unknown slug, id or path, no notebook
=====  =====================================================================

Problems *in files* are not exceptions: they are
:class:`convo_notes.diagnostics.Diagnostic` values, collected and reported
together (see ``docs/errors.md``).
"""

from __future__ import annotations


class ConvoError(Exception):
    """Base of every expected failure; ``exit_code`` is what ``convo`` exits with."""

    exit_code = 1

    @property
    def message(self) -> str:
        """The one line shown on stderr (empty: the command already said everything)."""
        return str(self)


class UsageError(ConvoError):
    """The command was called wrongly: a bad option or argument (exit 2)."""

    exit_code = 2


class NotFound(UsageError, LookupError):
    """A slug, id, path or name given on the command line names nothing in the notebook (exit 2)."""


class NotebookNotFound(UsageError):
    """No notebook in the current directory or above, nor where ``-C``/``CONVO_NOTEBOOK`` says (exit 2)."""


class CommandFailed(ConvoError):
    """The command could not do its job, or found what it was asked to fail on (exit 1)."""


class EditRefused(CommandFailed):
    """An edit was refused (the note has errors, changed underneath, or cannot be written); nothing changed."""


class SiteError(CommandFailed):
    """The site could not be built, served or published (exit 1)."""


class NotebookHasErrors(ConvoError):
    """The command printed its answer, but the notebook has errors (exit 1).

    Raised after the result and the error count were printed, so ``main``
    prints nothing more.
    """

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} error{'s' * (count != 1)} in the notebook")
        self.count = count

    @property
    def message(self) -> str:
        return ""


class Found(ConvoError):
    """The command found what it was asked to fail on (``due --fail-on-overdue``), or nothing for
    what it was asked (``referrals TOPIC``); the command already said so (exit 1)."""

    @property
    def message(self) -> str:
        return ""


def exit_code_of(exc: BaseException) -> int:
    """The exit code for an exception that reached ``main`` (1 for anything unexpected)."""
    return exc.exit_code if isinstance(exc, ConvoError) else 1
