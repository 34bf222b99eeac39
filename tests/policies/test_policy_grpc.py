"""The pack through the real Analyzer gRPC protocol, as the Pulumi CLI runs it: ``python -m pulumi.policy``
serving the ``policies`` directory, GetAnalyzerInfo, Configure with each ``policies/config/*.json``, Analyze
and AnalyzeStack. Properties travel as protobuf Structs, so numbers arrive as floats, as from the engine."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, json_format
from policy_cases.harness import (
    ENVS,
    EXPECTED_LEVELS,
    UNKNOWN_NUMBER,
    UNKNOWN_STRING,
    is_stack_rule,
    load_config,
    urn,
    variant,
)
from policy_cases.lab import TASK, TASK_TYPE, WINDOW, WINDOW_TYPE, lab_stack
from policy_cases.wire import stack_request, struct
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
LEVELS = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY, "disabled": analyzer_pb2.DISABLED}
NAMES = {value: name for name, value in LEVELS.items()}


@pytest.fixture(scope="module")
def stub() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack served by a child process; its port is the first line it prints. Killed at the end."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", "policies"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )
    lines: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline() if process.stdout else b""),
                     daemon=True).start()
    channel = None
    try:
        try:
            first = lines.get(timeout=60)
        except queue.Empty:
            pytest.fail("the policy pack printed no port within 60 s")
        if not first.strip().isdigit():
            process.kill()
            stderr = process.stderr.read().decode() if process.stderr else ""
            pytest.fail(f"the policy pack did not start: {first!r}\n{stderr}")
        channel = grpc.insecure_channel(f"127.0.0.1:{int(first)}")
        grpc.channel_ready_future(channel).result(timeout=30)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        if channel is not None:
            channel.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture(scope="module")
def info(stub: analyzer_pb2_grpc.AnalyzerStub) -> Any:
    return stub.GetAnalyzerInfo(empty_pb2.Empty())


def configure(stub: analyzer_pb2_grpc.AnalyzerStub, info: Any, env: str) -> None:
    """What the CLI sends for ``--policy-pack-config policies/config/<env>.json``: every policy, with its
    level (the file's, else the pack's default) and its schema defaults overlaid by the file's values."""
    config = load_config(env)
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for policy in info.policies:
        entry = config.get(policy.name, {})
        schema = json_format.MessageToDict(policy.configSchema.properties) if policy.HasField("configSchema") else {}
        properties = {key: spec["default"] for key, spec in schema.items() if "default" in spec}
        level = policy.enforcementLevel
        if isinstance(entry, str):
            level = LEVELS[entry]
        else:
            level = LEVELS.get(entry.get("enforcementLevel", ""), level)
            properties.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
        request.policyConfig[policy.name].CopyFrom(
            analyzer_pb2.PolicyConfig(enforcementLevel=level, properties=struct(properties)))
    stub.Configure(request)


def analyze(stub: analyzer_pb2_grpc.AnalyzerStub, resource_type: str, name: str, props: Mapping[str, Any]) -> Any:
    return stub.Analyze(analyzer_pb2.AnalyzeRequest(
        type=resource_type, urn=urn(resource_type, name), name=name, properties=struct(props)))


def diagnostics(response: Any) -> list[tuple[str, str, str, str]]:
    return [(d.policyName, NAMES[d.enforcementLevel], d.message, d.urn) for d in response.diagnostics]


def test_analyzer_info(info: Any) -> None:
    assert info.name == "maintenance-windows"
    assert info.supportsConfig
    by_name = {p.name: p for p in info.policies}
    assert set(by_name) == set(EXPECTED_LEVELS)
    for name, policy in by_name.items():
        assert NAMES[policy.enforcementLevel] == EXPECTED_LEVELS[name][1], name  # defaults are prod-safe
        kind = analyzer_pb2.POLICY_TYPE_STACK if is_stack_rule(name) else analyzer_pb2.POLICY_TYPE_RESOURCE
        assert policy.policy_type == kind, name
    rate = json_format.MessageToDict(by_name["task-rate-control"].configSchema.properties)
    assert rate["maxConcurrencyPercent"]["default"] == 25 and rate["maxErrorsPercent"]["default"] == 10


@pytest.mark.parametrize("env", ENVS)
def test_analyze_windows(stub: analyzer_pb2_grpc.AnalyzerStub, info: Any, env: str) -> None:
    configure(stub, info, env)
    assert diagnostics(analyze(stub, WINDOW_TYPE, "nightly", WINDOW)) == []

    bad = variant(WINDOW, {"duration": 25.0, "allowUnassociatedTargets": True})
    found = {(rule, level) for rule, level, _, _ in diagnostics(analyze(stub, WINDOW_TYPE, "nightly", bad))}
    expected = "advisory" if env == "dev" else "mandatory"
    assert found == {("window-duration", "mandatory"), ("window-registered-targets", expected)}
    messages = [message for _, _, message, _ in diagnostics(analyze(stub, WINDOW_TYPE, "nightly", bad))]
    assert any("MaintenanceWindow 'nightly': duration: 25 is out of range (allowed: 1 to 24)" in m for m in messages)

    # Preview: a duration computed from another resource is unknown. No violation, no "can't run" diagnostic.
    preview = variant(WINDOW, {"duration": UNKNOWN_NUMBER, "schedule": UNKNOWN_STRING})
    assert diagnostics(analyze(stub, WINDOW_TYPE, "nightly", preview)) == []


@pytest.mark.parametrize("env", ENVS)
def test_analyze_task_config_reaches_the_rule(stub: analyzer_pb2_grpc.AnalyzerStub, info: Any, env: str) -> None:
    configure(stub, info, env)
    found = diagnostics(analyze(stub, TASK_TYPE, "patch", variant(TASK, {"maxConcurrency": "30%"})))
    level = "advisory" if env == "dev" else "mandatory"
    assert [(rule, lvl) for rule, lvl, _, _ in found] == [("task-rate-control", level)]
    assert "at most 25%" in found[0][2]


@pytest.mark.parametrize("env", ENVS)
def test_analyze_stack(stub: analyzer_pb2_grpc.AnalyzerStub, info: Any, env: str) -> None:
    configure(stub, info, env)
    assert diagnostics(stub.AnalyzeStack(stack_request(lab_stack()))) == []

    stack = lab_stack().add(WINDOW_TYPE, "spare", {**WINDOW, "name": "Spare"})
    found = diagnostics(stub.AnalyzeStack(stack_request(stack)))
    level = "advisory" if env == "dev" else "mandatory"
    assert {(rule, lvl, where) for rule, lvl, _, where in found} == {
        ("stack-window-complete", level, urn(WINDOW_TYPE, "spare"))}
    assert any("MaintenanceWindow 'spare': the window has no task" in message for _, _, message, _ in found)


def test_analyze_repeated(stub: analyzer_pb2_grpc.AnalyzerStub, info: Any) -> None:
    """The same request answered the same way every time (the servicer caches per request, never across them).
    Its speed is measured by benchmarks/bench.py, not asserted here."""
    configure(stub, info, "prod")
    for _ in range(20):
        assert diagnostics(analyze(stub, TASK_TYPE, "patch", TASK)) == []
    bad = variant(TASK, {"priority": -1.0})
    assert diagnostics(analyze(stub, TASK_TYPE, "patch", bad)) != []
    assert diagnostics(analyze(stub, TASK_TYPE, "patch", TASK)) == []


def test_nan_and_infinity_through_grpc(stub: analyzer_pb2_grpc.AnalyzerStub, info: Any) -> None:
    """Issue 12, item 15: a NaN or Infinity number made Analyze and AnalyzeStack fail with gRPC UNKNOWN."""
    configure(stub, info, "prod")
    bad = variant(WINDOW, {"duration": float("nan"), "cutoff": float("inf")})
    found = {(rule, message.split("\n")[1]) for rule, _, message, _ in diagnostics(analyze(stub, WINDOW_TYPE, "w", bad))}
    assert ("window-duration", "MaintenanceWindow 'w': duration: expected a whole number, got nan (allowed: 1 to 24). "
            "Fix: set duration to a whole number of hours from 1 to 24") in found
    assert any(rule == "window-cutoff" and "got inf" in text for rule, text in found)
    stack = lab_stack()
    stack.items["window"].props["duration"] = float("-inf")
    found = diagnostics(stub.AnalyzeStack(stack_request(stack)))
    assert found == []  # as for the lab stack itself: no stack rule reads a duration that is not a number
