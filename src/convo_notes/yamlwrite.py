"""Writing YAML values into notes by hand-made text, so edits touch only their own lines.

One place decides when a value may be written plain and when it must be
quoted: plain only when every YAML reader (ours, PyYAML's YAML 1.1, Obsidian)
reads it back as the same text, in a block or inside a flow list ``[a, b]``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from .schema import YAML11_BOOLS

# No commas (they split flow lists), no colons or `#` (mappings, comments), and no
# leading digit or sign (another reader could take it for a number or a date).
_PLAIN = re.compile(r"^[^\W\d_][\w .@'+/()&-]*$")


def yaml_scalar(value: str) -> str:
    """``value`` as a YAML scalar: plain where unambiguous, else double-quoted."""
    if (_PLAIN.match(value) and value == value.strip() and value.lower() not in YAML11_BOOLS
            and value.lower() not in ("null", "~")):
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def yaml_value(value: Any, one_as_scalar: bool = False) -> str:
    """A scalar, date or list as YAML flow text (``one_as_scalar``: a one-item list as its item)."""
    if isinstance(value, (list, tuple)):
        if one_as_scalar and len(value) == 1:
            return yaml_value(value[0])
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return yaml_scalar(str(value))
