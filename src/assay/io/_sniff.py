"""Telling a file's format from its first bytes, for the importers' ``claims``."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

__all__ = ["json_keys", "peek"]


def peek(path: Path, size: int) -> str:
    """The first ``size`` bytes of ``path`` (gunzipped for ``.gz``) as text; "" when the
    file cannot be read."""
    try:
        with path.open("rb") as fh:
            if path.name.endswith(".gz"):
                with gzip.GzipFile(fileobj=fh) as gz:
                    data = gz.read(size)
            else:
                data = fh.read(size)
    except (OSError, EOFError, zlib.error):
        return ""
    return data.decode("utf-8", errors="ignore")


def json_keys(text: str) -> list[tuple[int, str, str]]:
    """``(depth, key, first character of the value)`` of every object key in a JSON prefix.

    A minimal scanner: enough to read the top of a file that may be cut anywhere. The
    keys of the top-level object have depth 1.
    """
    out: list[tuple[int, str, str]] = []
    stack: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                break
            k = j + 1
            while k < n and text[k] in " \t\r\n":
                k += 1
            if k < n and text[k] == ":" and stack and stack[-1] == "{":
                v = k + 1
                while v < n and text[v] in " \t\r\n":
                    v += 1
                try:
                    key = json.loads(text[i : j + 1])
                except ValueError:
                    key = text[i + 1 : j]
                out.append((len(stack), key, text[v] if v < n else ""))
                i = k + 1
                continue
            i = j + 1
            continue
        if c in "{[":
            stack.append(c)
        elif c in "}]" and stack:
            stack.pop()
        i += 1
    return out
