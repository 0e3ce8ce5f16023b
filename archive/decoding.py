"""A file's bytes to text. Bytes in; a ``str`` out, or ``Unreadable`` with the reason (binary,
or no encoding we accept). Shared by the intake stage (``archive.intake``), the format readers
(``archive.formats``) and the CLI; it needs none of them.

Encodings: UTF-16 with a byte-order mark, UTF-8 with or without one, else Windows-1256 (the
older Arabic web's encoding) when the result reads as text.
"""

from __future__ import annotations

import unicodedata


class Unreadable(Exception):
    """Raised for a file that is not text we can decode."""


def decode(data: bytes) -> str:
    """Bytes to text: UTF-16 (BOM), UTF-8 (optional BOM), else Windows-1256 if it reads as text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise Unreadable(f"not valid UTF-16: {error.reason}") from None
    if b"\x00" in data:
        raise Unreadable("binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1256")
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8 and not Windows-1256 text") from None
    if not _looks_like_text(text):
        raise Unreadable("not UTF-8, and as Windows-1256 it is not readable text")
    return text


def _looks_like_text(text: str) -> bool:
    """Most characters are letters, digits, spaces or punctuation (binary junk decoded as
    Windows-1256 is full of symbols and control characters)."""
    if not text:
        return True
    plain = sum(1 for ch in text if unicodedata.category(ch)[0] in "LNPZ" or ch in "\n\r\t")
    return plain / len(text) >= 0.9
