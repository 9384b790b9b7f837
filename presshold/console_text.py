"""Text from outside (device ``#`` lines, hello names, session labels) made safe for a terminal.

A device or a person can put terminal escape sequences into text that PressHold later prints:
``ESC ] 0 ; title BEL`` retitles the window, ``ESC [ 2 J`` clears the screen, and some terminals
can be made to write files or fake prompts. Unicode bidirectional overrides reorder what a line
appears to say. Every such text goes through :func:`console_safe` before it reaches a console or
a log, so what is shown is exactly what was sent, with each control replaced by a visible ``?``.
"""

from __future__ import annotations

import re

_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC … BEL / ST (window titles, hyperlinks)
    r"|\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI (cursor, colours, erase)
    r"|\x1b[@-_]?"  # any other escape
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def console_safe(text: str) -> str:
    """``text`` with escape sequences and control/bidi characters each shown as one ``?``;
    tabs and newlines become spaces (one record stays one line)."""
    text = _ESCAPE_SEQUENCE.sub("?", text)
    return _CONTROLS.sub("?", text.replace("\t", " ").replace("\n", " "))
