"""Text from review pages made safe to print: no terminal escape sequences, no control characters.

Review text, titles and business names come from web pages anyone can write. A terminal that
prints ``ESC[2J`` clears the screen, BEL rings, NUL truncates text in some tools, and an escape
sequence can retitle the window or rewrite what was shown. Every text output (the report's text
part and report.txt, ``ladder export`` CSV) passes through :func:`printable` first.

Pure functions on strings, importable by any layer that may import ``analysis``.
"""

from __future__ import annotations

import re

#: Terminal escape sequences, removed whole: CSI (``ESC [`` … final byte, or the one-byte CSI
#: U+009B), OSC, DCS, SOS, PM and APC strings (up to BEL or ``ESC \``, or the end of the text),
#: and the two-byte ``ESC x`` forms.
_ESCAPE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)
#: Control characters other than TAB and LF: C0, DEL and C1 (CR is read as a line break first).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"\r\n?")


def printable(text: str) -> str:
    """``text`` without escape sequences or control characters; TAB and line breaks stay, a CR or
    CRLF becoming LF (``"a\\x1b[2Jb\\x07\\x00c\\r\\nd"`` → ``"abc\\nd"``)."""
    text = _LINE_BREAK.sub("\n", text)
    return _CONTROL.sub("", _ESCAPE.sub("", text))
