"""What the tests of commands that call AWS share: no AWS settings from the machine, and local endpoints."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from aws_stubs import DEFAULT_REGION, StubClients

Serve = Callable[[type[BaseHTTPRequestHandler]], ThreadingHTTPServer]


@pytest.fixture(autouse=True)
def no_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials, region, profile or endpoint from the machine running the tests, and no IMDS lookups."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


_LOADERS: dict[str | None, Any] = {}


@pytest.fixture(autouse=True)
def service_models_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every botocore session a test makes (``mw history`` makes one per run) reads the service models through one
    loader, so each JSON model is parsed once for all tests instead of once per session (about 0.35 s each). The
    files are the same either way, and botocore already shares one loader among all clients of a session."""
    real = botocore.session.create_loader

    def shared(search_path_string: str | None = None) -> Any:
        if search_path_string not in _LOADERS:
            _LOADERS[search_path_string] = real(search_path_string)
        return _LOADERS[search_path_string]

    monkeypatch.setattr(botocore.session, "create_loader", shared)


@pytest.fixture
def stubbed(request: pytest.FixtureRequest) -> Iterator[StubClients]:
    """Stubbed clients (tests/aws_stubs.py) in the test module's ``STUB_REGION`` (default us-east-1); every answer a
    test set up must have been asked for."""
    clients = StubClients(getattr(request.module, "STUB_REGION", DEFAULT_REGION))
    yield clients
    for stubber in clients.stubbers.values():
        stubber.assert_no_pending_responses()


@pytest.fixture
def serve_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Serve]:
    """Start a local stand-in for AWS (``handler`` answers every request) that every client of the test reaches:
    ``AWS_ENDPOINT_URL`` points at it, with dummy keys. Stopped when the test ends; a server's ``release`` event,
    when it has one, is set first (handlers waiting on it return)."""
    started: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        # A short poll interval: shutdown() waits up to one interval.
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        started.append((server, thread))
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        return server

    yield serve
    for server, thread in started:
        release = getattr(server, "release", None)
        if release is not None:
            release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
