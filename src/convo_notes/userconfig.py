"""The per-user settings file: who is reading, and their personal notes folder.

``$XDG_CONFIG_HOME/convo-notes/config.yml`` (``~/.config/convo-notes/config.yml``
when ``XDG_CONFIG_HOME`` is unset; ``CONVO_CONFIG`` names another file)::

    me: alex-kim                 # the reader: whose view it is (CONVO_ME and --me win)
    overlay: ~/convo-personal    # personal notes, outside the team's repository
    notebooks:                   # optional: settings for one notebook (by its folder)
      ~/work/sales-notes:
        me: alex-kim
        overlay: ~/convo-personal/sales

It lives outside every notebook, so cloning a repository never changes it. A
file that cannot be read is ignored (it only sets a view, never a fact).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, NamedTuple


class UserSettings(NamedTuple):
    """What the user's config file says for one notebook (a named tuple: every command makes one,
    and a dataclass costs a millisecond to create at import)."""

    me: str | None = None
    overlay: Path | None = None
    path: Path | None = None  # the file they came from


def settings_file(env: Mapping[str, str]) -> Path:
    """Where the per-user config file is."""
    if env.get("CONVO_CONFIG"):
        return Path(env["CONVO_CONFIG"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".config")
    return Path(base).expanduser() / "convo-notes" / "config.yml"


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return {}
    from .parse import parse_yaml  # (only now: most people have no such file, and every command asks)

    data = parse_yaml(text.replace("\r\n", "\n"), str(path), 1).data
    return data if isinstance(data, dict) else {}


def _same_folder(a: str, b: Path) -> bool:
    try:
        return Path(a).expanduser().resolve() == b.resolve()
    except OSError:
        return False


def user_settings(root: Path | None, env: Mapping[str, str]) -> UserSettings:
    """The settings for the notebook at ``root``: its entry under ``notebooks`` over the top level."""
    path = settings_file(env)
    data = _read(path)
    if not data:
        return UserSettings(path=path)
    chosen: dict[str, Any] = {k: v for k, v in data.items() if k in ("me", "overlay")}
    notebooks = data.get("notebooks")
    if root is not None and isinstance(notebooks, dict):
        for folder, entry in notebooks.items():
            if isinstance(folder, str) and isinstance(entry, dict) and _same_folder(folder, root):
                chosen.update({k: v for k, v in entry.items() if k in ("me", "overlay")})
    from .schema import SLUG_RE

    me = chosen.get("me")
    overlay = chosen.get("overlay")
    folder = Path(overlay).expanduser() if isinstance(overlay, str) and overlay.strip() else None
    if folder is not None and not folder.is_absolute():
        folder = path.parent / folder
    return UserSettings(me=me if isinstance(me, str) and SLUG_RE.match(me) else None, overlay=folder, path=path)
