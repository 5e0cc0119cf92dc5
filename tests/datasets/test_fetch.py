"""Remote datasets: streamed, size-capped, and never from internal addresses by accident."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from trainer.datasets.fetch import FetchError, fetch_dataset

BODY = b'{"messages": [{"role": "user", "content": "hi"}]}\n' * 100


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/redirect-ftp":
            self.send_response(302)
            self.send_header("Location", "ftp://example.com/data.jsonl")
            self.end_headers()
            return
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/data.jsonl")
            self.end_headers()
            return
        if self.path != "/data.jsonl":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_loopback_hosts_are_refused_by_default(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"resolves to the non-public address 127\.0\.0\.1"):
        fetch_dataset("https://127.0.0.1:9/data.jsonl", tmp_path / "d.jsonl")


def test_plain_http_is_refused(tmp_path: Path, server: str) -> None:
    with pytest.raises(FetchError, match="only https:// is allowed"):
        fetch_dataset(f"{server}/data.jsonl", tmp_path / "d.jsonl")


def test_allowed_internal_host_is_fetched_following_redirects(
    tmp_path: Path, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINER_DATASET_ALLOW_PRIVATE", "1")
    target = fetch_dataset(f"{server}/redirect", tmp_path / "d.jsonl")
    assert target.read_bytes() == BODY


def test_redirect_off_https_is_refused(
    tmp_path: Path, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINER_DATASET_ALLOW_PRIVATE", "1")
    with pytest.raises(
        FetchError, match=r"ftp://example\.com/data\.jsonl: only https:// is allowed"
    ):
        fetch_dataset(f"{server}/redirect-ftp", tmp_path / "d.jsonl")


def test_size_cap(tmp_path: Path, server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINER_DATASET_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("TRAINER_MAX_DATASET_BYTES", "100")
    with pytest.raises(FetchError, match="larger than 100 bytes"):
        fetch_dataset(f"{server}/data.jsonl", tmp_path / "d.jsonl")


def test_cloud_uris_need_the_optional_extra(tmp_path: Path) -> None:
    try:
        import fsspec  # noqa: F401
    except ImportError:
        with pytest.raises(FetchError, match=r"pip install 'trainer-gitops\[cloud\]'"):
            fetch_dataset("s3://bucket/data.jsonl", tmp_path / "d.jsonl")
    else:
        pytest.skip("fsspec is installed here")


@pytest.mark.parametrize(
    "address",
    ["100.64.1.1", "10.0.0.1", "169.254.169.254", "192.0.2.10", "[::ffff:10.0.0.1]", "[fd00::1]"],
    ids=["shared-cgnat", "private", "metadata", "test-net", "v4-mapped-v6", "unique-local-v6"],
)
def test_every_non_global_address_is_refused(tmp_path: Path, address: str) -> None:
    with pytest.raises(FetchError, match="non-public address"):
        fetch_dataset(f"https://{address}/data.jsonl", tmp_path / "d.jsonl")


def test_a_network_error_is_a_fetch_error_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens
    monkeypatch.setenv("TRAINER_DATASET_ALLOW_PRIVATE", "1")
    with pytest.raises(FetchError, match="ConnectError"):
        fetch_dataset(f"http://127.0.0.1:{port}/data.jsonl", tmp_path / "d.jsonl")


def test_the_request_goes_to_the_checked_address_with_the_host_name_kept() -> None:
    from trainer.datasets.fetch import _pinned

    url, headers, extensions = _pinned(
        "https://data.example.org:8443/a/b.jsonl?x=1", "93.184.216.34"
    )
    assert url == "https://93.184.216.34:8443/a/b.jsonl?x=1"
    assert headers == {"Host": "data.example.org:8443"}
    assert extensions == {"sni_hostname": "data.example.org"}
    v6, _, _ = _pinned("https://data.example.org/b.jsonl", "2606:2800:220:1::1")
    assert v6 == "https://[2606:2800:220:1::1]/b.jsonl"
