"""Text that is safe to print on a terminal: control characters from notes are shown, never sent.

A note can hold any character, and notes come from other people (a cloned
notebook, an imported vCard). Printed raw, an escape sequence can move the
cursor, clear or rewrite what is on screen, set the window title, make a
hidden hyperlink or, on some terminals, answer back as if typed; a
right-to-left override makes a line read differently from what it holds.
:func:`escape_controls` shows such characters as Python-style escapes
(``\\x1b``, ``\\u202e``) instead.

It runs once, at the one place text goes to the terminal (``cli.echo``), so
every command is covered. Newline and tab are kept. JSON output needs
nothing: ``json.dumps`` already escapes control characters.

The command line's own colours (``click.style``: a colour, bold, dim,
underline, reset) are kept with ``keep_styles=True``; they cannot move the
cursor or hide text, and click removes them itself when the output is not a
colour terminal. A note cannot tell its own colour codes from ours, so on a
colour terminal it can at most colour its text: every other sequence is
escaped.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, the line and paragraph separators (some
# terminals end a line at them) and the bidirectional formatting characters (embeddings, overrides,
# isolates: U+202A-U+202E, U+2066-U+2069), and lone surrogates (a file name that is not UTF-8, as
# Python decodes it: printed raw, it cannot even be encoded).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# Exactly the sequences `click.style` writes for the styles convo uses: reset, bold, dim, underline,
# a foreground colour (normal or bright).
_OWN_STYLE = re.compile(r"\x1b\[(?:0|1|2|4|3[0-7]|9[0-7])m")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str, keep_styles: bool = False) -> str:
    """``text`` with every control and bidi-formatting character written as an escape (``\\x1b``).

    Newlines and tabs are kept, and so is every other character (accents, CJK,
    emoji). A carriage return is escaped: it would let a line overwrite itself.
    ``keep_styles``: leave the colour and bold sequences ``click.style`` writes.
    """
    if text.isprintable() or _UNSAFE.search(text) is None:
        return text  # the common case, and fast
    if not keep_styles or "\x1b" not in text:
        return _UNSAFE.sub(_shown, text)
    out, last = [], 0
    for match in _OWN_STYLE.finditer(text):
        out += [_UNSAFE.sub(_shown, text[last:match.start()]), match.group(0)]
        last = match.end()
    out.append(_UNSAFE.sub(_shown, text[last:]))
    return "".join(out)
