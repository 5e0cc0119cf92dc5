"""Fetch a remote dataset to a local file: https with httpx, s3:// and gs:// with fsspec.

https downloads are streamed and size-capped, and every redirect is checked: it must
stay on https and must not lead to a private, loopback or link-local address (a spec
must not be able to make the reconciler read internal services). Set
TRAINER_DATASET_ALLOW_PRIVATE=1 to allow private hosts (and plain http to them), for
example for an internal mirror.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from trainer.errors import TrainerError
from trainer.specs.dataset_uri import redact_uri

DEFAULT_MAX_BYTES = 2 * 1024**3
MAX_REDIRECTS = 5


class FetchError(TrainerError):
    """A remote dataset could not be fetched safely."""


def _allow_private() -> bool:
    return os.environ.get("TRAINER_DATASET_ALLOW_PRIVATE") == "1"


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _check_target(url: str) -> str | None:
    """Refuse what is not https or leads to a non-public address; the address to connect
    to (resolved once: the connection goes there, so a second lookup cannot rebind it), or
    None where internal hosts are allowed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "https" and not (parts.scheme == "http" and _allow_private()):
        raise FetchError(f"{redact_uri(url)}: only https:// is allowed for datasets")
    if _allow_private():
        return None
    try:
        addresses = sorted(
            {str(info[4][0]) for info in socket.getaddrinfo(host, parts.port or 443)}
        )
    except socket.gaierror as exc:
        raise FetchError(f"{redact_uri(url)}: cannot resolve {host}: {exc.strerror}") from None
    for address in addresses:
        if not _public(address):
            raise FetchError(
                f"{redact_uri(url)}: {host} resolves to the non-public address {address}; refused "
                "(set TRAINER_DATASET_ALLOW_PRIVATE=1 to allow internal hosts)"
            )
    if not addresses:
        raise FetchError(f"{redact_uri(url)}: {host} resolves to no address")
    return addresses[0]


def _pinned(url: str, address: str | None) -> tuple[str, dict[str, str], dict[str, str]]:
    """(url to request, headers, extensions): to the checked address, with the host name
    kept for the Host header and for TLS (SNI and certificate checks)."""
    if address is None:
        return url, {}, {}
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    pinned = parts._replace(netloc=netloc).geturl()
    return pinned, {"Host": parts.netloc.rsplit("@", 1)[-1]}, {"sni_hostname": host}


def _without_query(text: str, url: str) -> str:
    """An error text with the URL's query (where signed URLs keep credentials) removed."""
    query = urlsplit(url).query
    return text.replace(url, redact_uri(url)).replace(query, "***") if query else text


def _max_bytes() -> int:
    return int(os.environ.get("TRAINER_MAX_DATASET_BYTES", str(DEFAULT_MAX_BYTES)))


def _fetch_https(url: str, target: Path) -> Path:
    limit = _max_bytes()
    try:
        return _download(url, target, limit)
    except httpx.HTTPError as exc:
        detail = _without_query(str(exc) or "no response", url)
        raise FetchError(f"{redact_uri(url)}: {type(exc).__name__}: {detail}") from None


def _download(url: str, target: Path, limit: int) -> Path:
    with httpx.Client(follow_redirects=False, timeout=httpx.Timeout(30.0, read=300.0)) as client:
        for _ in range(MAX_REDIRECTS + 1):
            address = _check_target(url)
            request_url, headers, extensions = _pinned(url, address)
            with client.stream(
                "GET", request_url, headers=headers, extensions=extensions
            ) as response:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("location", ""))
                    continue
                if response.status_code != 200:
                    raise FetchError(f"{redact_uri(url)}: HTTP {response.status_code}")
                size = 0
                with target.open("wb") as handle:
                    for chunk in response.iter_bytes(1024 * 1024):
                        size += len(chunk)
                        if size > limit:
                            raise FetchError(
                                f"{redact_uri(url)}: larger than {limit:,} bytes "
                                "(TRAINER_MAX_DATASET_BYTES); refused"
                            )
                        handle.write(chunk)
                return target
    raise FetchError(f"{redact_uri(url)}: more than {MAX_REDIRECTS} redirects")


def _fetch_fsspec(uri: str, target: Path) -> Path:
    try:
        import fsspec  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise FetchError(
            f"{redact_uri(uri)}: reading s3:// and gs:// needs the optional extra: "
            "pip install 'trainer-gitops[cloud]' (fsspec with s3fs/gcsfs)"
        ) from None
    limit, size = _max_bytes(), 0
    try:
        with fsspec.open(uri, "rb") as source, target.open("wb") as handle:
            while chunk := source.read(1024 * 1024):
                size += len(chunk)
                if size > limit:
                    raise FetchError(
                        f"{redact_uri(uri)}: larger than {limit:,} bytes "
                        "(TRAINER_MAX_DATASET_BYTES); refused"
                    )
                handle.write(chunk)
    except FetchError:
        raise
    except Exception as exc:  # fsspec backends raise their own error types
        raise FetchError(
            f"{redact_uri(uri)}: {type(exc).__name__}: {_without_query(str(exc), uri)}"
        ) from None
    return target


def fetch_dataset(uri: str, target: Path) -> Path:
    scheme = urlsplit(uri).scheme
    if scheme in ("s3", "gs"):
        return _fetch_fsspec(uri, target)
    return _fetch_https(uri, target)
