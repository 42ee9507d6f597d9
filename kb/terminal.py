"""Text on its way to a terminal: nothing in it may drive the terminal.

A record, a file name or an argument can hold ESC (colours, cursor moves, window titles, on some
terminals pasted input), other control characters, or bidi and zero-width characters that make
text read other than it is ("Trojan Source"). :func:`clean` turns each into a visible escape.
The escapes are JSON's own (``\\u001b``), so JSON output stays valid and means the same.
"""

from __future__ import annotations

import io
import re
from typing import Any, TextIO

# Every character of Unicode's categories Cc (controls, but line feed and tab), Cf (format:
# bidi embeddings and isolates, zero-width characters, BOM, tags), Cs (surrogates: the
# undecodable bytes Python keeps from a command line or file name) and Zl/Zp (line and
# paragraph separators). Written out because deriving it from unicodedata at import costs
# a tenth of a second on every command; tests/test_cli_hostile.py checks it against unicodedata.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # as JSON writes it: a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def clean(text: str) -> str:
    """``text`` with every control, format and surrogate character (but line feed and tab)
    replaced by its ``\\uXXXX`` escape."""
    if _UNSAFE.search(text) is None:  # the common case costs one scan
        return text
    return _UNSAFE.sub(_escape, text)


class CleanStream(io.TextIOBase):
    """A text stream that writes through :func:`clean`; everything else is the wrapped one's.

    Installed over stdout and stderr for the length of a command, so every print of the
    command line, and of the library on its behalf, is cleaned in one place.
    """

    def __init__(self, wrapped: TextIO) -> None:
        super().__init__()
        self.wrapped = wrapped

    def write(self, text: str) -> int:
        self.wrapped.write(clean(text))
        return len(text)

    def flush(self) -> None:
        self.wrapped.flush()

    def isatty(self) -> bool:
        return self.wrapped.isatty()

    def fileno(self) -> int:
        return self.wrapped.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.wrapped.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self.wrapped.errors

    def __getattr__(self, name: str) -> Any:  # buffer, errors, reconfigure...
        return getattr(self.wrapped, name)
