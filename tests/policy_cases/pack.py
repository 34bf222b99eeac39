"""The built policy pack (``tools/build_pack.py``) and a pack served the way the Pulumi CLI serves it, by any Python:
``python -u -m pulumi.policy <engine> <dir>`` in the pack's directory, its gRPC port on the first line of stdout
(what ``pulumi-analyzer-policy-python`` runs). Tests send the same requests to two packs and compare the answers.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, Self

from .harness import ROOT

BUILD_SCRIPT = ROOT / "tools" / "build_pack.py"
# The pack parses the engine address but never dials it (pulumi.policy.__main__ logs to stderr without one).
NO_ENGINE = "127.0.0.1:0"
_GRPC_OPTIONS = [("grpc.max_receive_message_length", 400 * 1024 * 1024),
                 ("grpc.max_send_message_length", 400 * 1024 * 1024)]


def build_script() -> ModuleType:
    """``tools/build_pack.py`` as a module (``tools/`` is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("build_pack", BUILD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_pack", module)
    spec.loader.exec_module(module)
    return module


def build(out: Path) -> Path:
    """Build the pack into ``out`` (which must not exist yet, or hold an earlier build)."""
    built: Path = build_script().build(out)
    return built


def pack_environment(project: str = "maintenance-windows", stack: str = "dev") -> dict[str, str]:
    """The environment the CLI gives a pack (constructEnv in analyzer_plugin.go), without anything that would let
    the pack import from elsewhere: no PYTHONPATH, no user site-packages, no active virtualenv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PULUMI_CONFIG") and not k.startswith("PYTEST")}
    env.update({"PULUMI_PROJECT": project, "PULUMI_STACK": stack, "PULUMI_DRY_RUN": "true",
                "PULUMI_ORGANIZATION": "organization", "PYTHONUNBUFFERED": "1", "PYTHONNOUSERSITE": "1",
                "PYTHONDONTWRITEBYTECODE": "1"})
    return env


class PackServer:
    """A pack served by ``python`` from ``pack_dir``; ``call`` sends one Analyzer request and returns the response.

    Use as a context manager: the process (only the one started here, by its id) is terminated on exit.
    """

    def __init__(self, python: Path | str, pack_dir: Path, env: Mapping[str, str] | None = None,
                 timeout: float = 120) -> None:
        self.python, self.pack_dir, self.timeout = str(python), Path(pack_dir), timeout
        self.env = dict(env if env is not None else pack_environment())
        self.process: subprocess.Popen[bytes] | None = None
        self._channel: Any = None
        self._stub: Any = None
        self._stderr: list[bytes] = []
        self._reader: threading.Thread | None = None

    def __enter__(self) -> Self:
        import grpc
        from pulumi.runtime.proto import analyzer_pb2_grpc

        self.process = subprocess.Popen([self.python, "-u", "-m", "pulumi.policy", NO_ENGINE, "."],
                                        cwd=self.pack_dir, env=self.env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.process.stdout is not None and self.process.stderr is not None
        self._reader = threading.Thread(target=lambda: self._stderr.extend(self.process.stderr),  # type: ignore[union-attr]
                                        daemon=True)
        self._reader.start()
        port: list[bytes] = []
        reader = threading.Thread(target=lambda: port.append(self.process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(self.timeout)
        first = port[0].strip() if port else b""
        if not first.isdigit():
            self.__exit__(None, None, None)
            raise RuntimeError(f"{self.pack_dir} served by {self.python} gave no port (stdout {first!r}):\n"
                               f"{self.stderr()}")
        self._channel = grpc.insecure_channel(f"127.0.0.1:{int(first)}", options=_GRPC_OPTIONS)
        grpc.channel_ready_future(self._channel).result(timeout=self.timeout)
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self

    def call(self, method: str, request: Any) -> Any:
        assert self._stub is not None, "not serving"
        return getattr(self._stub, method)(request, timeout=self.timeout)

    def stderr(self) -> str:
        return b"".join(self._stderr).decode("utf-8", "replace")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = self._stub = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._reader is not None:
            self._reader.join(10)  # the pack has exited: its stderr ends
        if self.process is not None:
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
