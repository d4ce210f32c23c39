"""Cleaning of farm-supplied text before it is placed on a label."""

from __future__ import annotations


def clean_text(text: str) -> str:
    """Drop non-printable characters and collapse whitespace to single spaces.

    Characters that Python's ``str.isprintable`` rejects are removed (Unicode categories
    Cc, Cf, Cs, Co and Cn, which include zero-width and bidirectional override
    characters), except whitespace such as tabs, line breaks and no-break spaces,
    which becomes a plain space. Leading and trailing whitespace is removed.
    """
    if not text.isprintable():
        text = "".join(
            char if char.isprintable() else " "
            for char in text
            if char.isprintable() or char.isspace()
        )
    return " ".join(text.split())
