"""Where a dataset may come from, checked without touching the network."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

SCHEMES = ("https", "s3", "gs")


@dataclass(frozen=True)
class DatasetRef:
    """A parsed `datasetUri`: a file of the repository or a remote object."""

    kind: Literal["repo", "https", "s3", "gs"]
    uri: str
    path: str | None = None
    """Repo-relative POSIX path, for kind "repo"."""

    @property
    def display(self) -> str:
        """The URI to show and record: query values and fragment hidden, since signed URLs
        carry credentials there (`?sig=...`, `X-Amz-Signature=...`)."""
        return self.uri if self.kind == "repo" else redact_uri(self.uri)

    @property
    def basename(self) -> str:
        """The file name the URI ends in, without query or fragment."""
        if self.path is not None:
            return posixpath.basename(self.path)
        return posixpath.basename(urlsplit(self.uri).path)


def redact_uri(uri: str) -> str:
    """`https://host/a.jsonl?sig=abc&v=2#x` -> `https://host/a.jsonl?sig=***&v=***`."""
    parts = urlsplit(uri)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = "&".join(f"{key}=***" for key, _ in parse_qsl(parts.query, keep_blank_values=True))
    if parts.query and not query:
        query = "***"
    return parts._replace(netloc=netloc, query=query, fragment="").geturl()


class DatasetUriError(ValueError):
    pass


def parse_dataset_uri(uri: str, repo_root: Path) -> DatasetRef:
    """Check a dataset URI and resolve repository paths; raises DatasetUriError."""
    if "://" not in uri:
        return _repo_path(uri, repo_root)
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "http":
        raise DatasetUriError(
            f"{uri!r} uses plain http; use https:// so the data cannot be altered in transit"
        )
    if scheme not in SCHEMES:
        raise DatasetUriError(
            f"{uri!r}: scheme {scheme + '://'!r} is not supported; use a path inside the "
            "repository, https://, s3:// or gs://"
        )
    if not parts.netloc:
        raise DatasetUriError(f"{uri!r} has no host or bucket")
    if scheme in ("s3", "gs") and parts.path.strip("/") == "":
        raise DatasetUriError(f"{uri!r} names a bucket but no object; add the object key")
    if scheme == "https" and (parts.username or parts.password):
        raise DatasetUriError(
            "https dataset URIs must not carry credentials; they would end up in logs and state"
        )
    return DatasetRef(scheme, uri)  # type: ignore[arg-type]


def _repo_path(uri: str, repo_root: Path) -> DatasetRef:
    if uri.startswith("/") or (len(uri) > 1 and uri[1] == ":"):
        raise DatasetUriError(
            f"{uri!r} is an absolute path; give the path relative to the repository root"
        )
    root = repo_root.resolve()
    target = root / uri
    try:
        resolved = target.resolve()
        resolved.relative_to(root)
    except ValueError:
        if ".." in Path(uri).parts:
            raise DatasetUriError(f"{uri!r} leaves the repository; remove the '..'") from None
        raise DatasetUriError(f"{uri!r} is a symlink that points outside the repository") from None
    except OSError as exc:
        raise DatasetUriError(f"{uri!r} cannot be resolved: {exc.strerror}") from None
    if not resolved.exists():
        raise DatasetUriError(f"{uri!r} does not exist (paths are relative to the repository root)")
    if not resolved.is_file():
        raise DatasetUriError(f"{uri!r} is not a regular file")
    # The path as written (normalised), not the resolved one: messages name the file the
    # user wrote, also when a folder of the repository is a symlink within it.
    return DatasetRef("repo", uri, posixpath.normpath(uri))
