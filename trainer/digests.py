"""Content digests: git blob ids for files, SHA-256 of canonical JSON for documents."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

CHUNK = 1024 * 1024
HASHED = (".yaml", ".yml")
"""Files hashed rather than looked up in git's index: YAML files are small (at most
MAX_YAML_BYTES), and hashing them is quicker than asking git (an import, two processes)."""


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def blob_id(file: Path) -> str:
    """The id git gives this file's content (SHA-1 object format), hashed in chunks."""
    size = file.stat().st_size
    digest = hashlib.sha1(f"blob {size}\0".encode(), usedforsecurity=False)
    buffer = bytearray(max(1, min(CHUNK, size)))  # one buffer, read into: no allocations
    view = memoryview(buffer)
    with file.open("rb", buffering=0) as handle:
        while read := handle.readinto(buffer):
            digest.update(view[:read])
    return digest.hexdigest()


class FileDigests:
    """Blob ids of repository files, read from git's index where the file is unchanged.

    For a tracked file whose stat data git still trusts, the index already holds the
    blob id, so a large unchanged dataset is never read. Anything else (YAML files,
    untracked, modified, no git at all, another object format) is hashed here the way
    git would.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._clean: dict[str, str] | None = None
        self._cache: dict[str, str] = {}

    def _index(self) -> dict[str, str]:
        if self._clean is not None:
            return self._clean
        self._clean = {}
        import git  # here: hashing a file (blob_id) needs no git, and importing it takes time

        try:
            repo = git.Repo(self.root)
            if repo.git.rev_parse("--show-object-format", with_exceptions=False) not in (
                "sha1",
                "",
            ):
                return self._clean
            staged = repo.git.ls_files("-s", "-z").split("\0")
            dirty = set(repo.git.diff_files("--name-only", "-z").split("\0"))
        except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitCommandError):
            return self._clean
        for entry in staged:
            if not entry:
                continue
            meta, path = entry.split("\t", 1)
            mode, sha, stage = meta.split(" ")
            if stage == "0" and mode.startswith("100") and path not in dirty:
                self._clean[path] = sha
        return self._clean

    def __call__(self, rel_path: str) -> str:
        if rel_path not in self._cache:
            known = None if rel_path.endswith(HASHED) else self._index().get(rel_path)
            self._cache[rel_path] = known or blob_id(self.root / rel_path)
        return self._cache[rel_path]
