"""mw_engine.analyzer: the fixture policy pack, started and configured as the Pulumi CLI does it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import struct_pb2

from mw_core.errors import MWError
from mw_engine.analyzer import (
    PolicyConfig,
    PolicyPackError,
    PolicyPackProcess,
    Violation,
    _seconds,
    load_policy_config,
)
from mw_engine.engine import UNKNOWN_ID, ProgramRun, RegisteredResource, run_program

FIXTURES = Path(__file__).parent / "fixtures" / "engine"
PACK = FIXTURES / "pack"
STACK_URN = "urn:pulumi:dev::fixture::pulumi:pulumi:Stack::fixture-dev"
COMPONENT_URN = "urn:pulumi:dev::fixture::pulumi:pulumi:Stack$fixture:index:Window::w"
WINDOW_T = "aws:ssm/maintenanceWindow:MaintenanceWindow"
DURATION = "window-max-duration"
STACK_POLICY = "stack-has-role"


def _struct(values: dict) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(values)
    return s


def _window(name: str = "long", duration: object = 6, parent: str = COMPONENT_URN) -> RegisteredResource:
    props = _struct({"schedule": "rate(1 day)", "duration": duration, "cutoff": 1})
    outputs = _struct({"schedule": "rate(1 day)", "duration": duration, "name": name, "id": "mw-1"})
    return RegisteredResource(
        urn=f"urn:pulumi:dev::fixture::fixture:index:Window${WINDOW_T}::{name}", type=WINDOW_T,
        name=name, parent=parent, properties=props, outputs_struct=outputs,
    )


def _component() -> RegisteredResource:
    return RegisteredResource(urn=COMPONENT_URN, type="fixture:index:Window", name="w",
                              parent=STACK_URN, custom=False)


def _levels(pack: PolicyPackProcess) -> dict[str, str | None]:
    return {k: v.enforcement_level for k, v in pack.effective_config.items()}


@pytest.fixture(scope="module")
def module_pack() -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess(PACK, project="fixture", stack="dev", config={"aws:region": "eu-west-1"}) as pack:
        yield pack


@pytest.fixture
def pack(module_pack: PolicyPackProcess) -> Iterator[PolicyPackProcess]:
    # Every test starts from the pack's defaults; configure() re-sends every policy.
    module_pack.configure(None)
    module_pack.not_applicable.clear()
    yield module_pack


def test_info_describes_the_pack(pack: PolicyPackProcess) -> None:
    info = pack.info()
    assert (info.name, info.version, info.supports_config) == ("fixture-pack", "0.3.0", True)
    assert [(p.name, p.policy_type, p.enforcement_level) for p in info.policies] == [
        (STACK_POLICY, "stack", "mandatory"), (DURATION, "resource", "advisory")]
    schema = info.policy(DURATION).config_schema
    assert schema is not None
    assert schema["properties"]["maxDurationHours"] == {"type": "integer", "default": 4, "minimum": 1}
    assert info.policy(STACK_POLICY).config_schema is None


def test_default_levels_and_schema_defaults_are_sent(pack: PolicyPackProcess) -> None:
    assert pack.effective_config == {
        STACK_POLICY: PolicyConfig("mandatory", None),
        DURATION: PolicyConfig("advisory", {"maxDurationHours": 4}),
    }
    (violation,) = pack.analyze(_window())
    assert violation.level == "advisory"
    assert violation.message.endswith('duration 6h exceeds 4h; config={"maxDurationHours": 4.0}')


def test_all_sets_every_level_and_a_policy_entry_wins(pack: PolicyPackProcess) -> None:
    pack.configure({"all": "disabled", DURATION: "mandatory"})
    assert _levels(pack) == {STACK_POLICY: "disabled", DURATION: "mandatory", "all": "disabled"}
    (violation,) = pack.analyze(_window())
    assert violation.level == "mandatory"
    assert pack.analyze_stack([_window()], stack_urn=STACK_URN) == []  # the stack policy is off

    pack.configure({"all": "mandatory"})
    assert _levels(pack) == {STACK_POLICY: "mandatory", DURATION: "mandatory", "all": "mandatory"}


def test_disabled_policy_does_not_run(pack: PolicyPackProcess) -> None:
    pack.configure({DURATION: {"enforcementLevel": "disabled"}})
    role = RegisteredResource(urn="urn:role", type="aws:iam/role:Role", name="role")
    assert pack.analyze(_window()) == []
    assert pack.analyze(role) == []
    assert pack.not_applicable == []  # not even asked


def test_properties_reach_the_policy_merged_with_defaults(pack: PolicyPackProcess) -> None:
    pack.configure({DURATION: {"note": "from the file"}})
    (violation,) = pack.analyze(_window())
    assert violation.message.endswith(
        'config={"maxDurationHours": 4.0, "note": "from the file"}')

    pack.configure({DURATION: {"maxDurationHours": 8}})
    assert pack.analyze(_window()) == []
    assert len(pack.analyze(_window(duration=9))) == 1


def test_analyze_reports_level_urn_and_not_applicable(pack: PolicyPackProcess) -> None:
    window = _window()
    (violation,) = pack.analyze(window)
    assert violation == Violation(
        policy=DURATION, level="advisory", urn=window.urn,
        message="Maintenance windows are at most maxDurationHours long.\n"
                'duration 6h exceeds 4h; config={"maxDurationHours": 4.0}',
        description="Maintenance windows are at most maxDurationHours long.",
        pack="fixture-pack",
    )
    assert pack.analyze(_window(duration=2)) == []
    assert pack.analyze(_component()) == []
    (na,) = pack.not_applicable
    assert (na.policy, na.urn, na.reason) == (
        DURATION, COMPONENT_URN, "not a maintenance window: fixture:index:Window")


def test_unknown_inputs_during_preview_are_a_diagnostic(pack: PolicyPackProcess) -> None:
    window = _window(duration=UNKNOWN_ID)
    (diagnostic,) = pack.analyze(window)
    assert diagnostic.unknown_inputs
    assert diagnostic.level == "advisory"
    assert diagnostic.urn == window.urn
    assert diagnostic.message.startswith(f"can't run policy '{DURATION}' from policy pack 'fixture-pack")


def test_analyze_stack_reports_resource_and_stack_urns(pack: PolicyPackProcess) -> None:
    flagged = _window(name="flag-me")
    violations = pack.analyze_stack([_component(), flagged], stack_urn=STACK_URN)
    assert sorted((v.policy, v.level, v.urn, v.message.split("\n")[1]) for v in violations) == sorted([
        (STACK_POLICY, "mandatory", flagged.urn, "maintenance windows but no service role"),
        (STACK_POLICY, "mandatory", flagged.urn, f"flagged window; parent={COMPONENT_URN}"),
        (STACK_POLICY, "mandatory", STACK_URN, "stack-level finding; fixture/dev in eu-west-1"),
    ])


def test_a_whole_program_run(pack: PolicyPackProcess) -> None:
    run: ProgramRun = run_program(FIXTURES / "program", project="fixture", stack="dev", config={
        "aws:region": "eu-west-1", "fixture:name": "alpha", "fixture:duration": 6,
        "fixture:enabled": True})
    violations = pack.analyze_run(run)
    window = next(r for r in run.resources if r.type == WINDOW_T)
    assert [(v.policy, v.level, v.urn) for v in violations] == [
        (DURATION, "advisory", window.urn), (STACK_POLICY, "mandatory", run.stack_urn)]
    # Every resource the engine tracks was analyzed: the others said "not applicable".
    assert len(pack.not_applicable) == len(run.engine_resources) - 1


@pytest.mark.parametrize(("config", "message"), [
    ({"no-such-policy": "mandatory"}, "unknown policy 'no-such-policy'"),
    ({DURATION: "sometimes"}, f"'{DURATION}': 'sometimes' is not a valid enforcement level"),
    ({DURATION: {"enforcementLevel": 1}}, f"'{DURATION}': enforcementLevel 1 is not"),
    ({DURATION: 3}, f"'{DURATION}': 3 is not a valid value"),
    ({DURATION: {"maxDurationHours": "six"}},
     f"{DURATION}: maxDurationHours: Invalid type. Expected: integer, given: string"),
    ({DURATION: {"maxDurationHours": 0}},
     f"{DURATION}: maxDurationHours: Must be greater than or equal to 1"),
    ({"all": {"note": "no level"}}, "'all': no valid enforcement level"),
])
def test_bad_policy_config_is_an_mw_error(pack: PolicyPackProcess, config: dict, message: str) -> None:
    with pytest.raises(MWError) as info:
        pack.configure(config)
    assert message in str(info.value)


def test_policy_config_file(tmp_path: Path) -> None:
    path = tmp_path / "policy-config.json"
    path.write_text(json.dumps({"all": "advisory", DURATION: {"enforcementLevel": "mandatory", "n": 1},
                                "empty": {}}))
    assert load_policy_config(path) == {
        "all": PolicyConfig("advisory", None), DURATION: PolicyConfig("mandatory", {"n": 1})}
    path.write_text("  \n")
    assert load_policy_config(path) is None
    path.write_text("[1]")
    with pytest.raises(MWError, match="must be a JSON object"):
        load_policy_config(path)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_process_is_gone_after_the_context_exits() -> None:
    with pytest.raises(KeyError), PolicyPackProcess(PACK, policy_config={"all": "mandatory"}) as pack:
        pid = pack.pid
        assert pid is not None and not _gone(pid)
        assert _levels(pack)[DURATION] == "mandatory"
        raise KeyError("an error inside the block")
    assert _gone(pid)


def test_bad_config_on_start_stops_the_process() -> None:
    pack = PolicyPackProcess(PACK, policy_config={"nope": "advisory"})
    with pytest.raises(MWError, match="unknown policy 'nope'"):
        pack.start()
    assert pack.pid is not None and _gone(pack.pid)


def test_a_pack_that_cannot_start(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text("raise SystemExit('pack is broken')\n")
    with pytest.raises(MWError, match="failed to start: exited with code 1") as info:
        PolicyPackProcess(tmp_path).start()
    assert "pack is broken" in str(info.value)
    with pytest.raises(MWError, match=r"PulumiPolicy\.yaml not found"):
        PolicyPackProcess(tmp_path / "missing").start()


def test_a_policy_that_raises_is_a_pack_error(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text(
        "from pulumi_policy import PolicyPack, ResourceValidationPolicy\n"
        "def boom(args, report):\n"
        "    print('policies may print to stdout')\n"
        "    raise ValueError('policy exploded')\n"
        "PolicyPack(name='crash', policies=[\n"
        "    ResourceValidationPolicy(name='boom', description='d', validate=boom)])\n"
    )
    with PolicyPackProcess(tmp_path) as pack:
        resource = RegisteredResource(urn="urn:x", type="a:b:C", name="x")
        with pytest.raises(PolicyPackError, match=r"Analyze failed: .*policy exploded"):
            pack.analyze(resource)
        assert not isinstance(PolicyPackError("x"), MWError)


def test_custom_timeouts_are_sent_in_seconds() -> None:
    assert _seconds("10m") == 600
    assert _seconds("1h30m") == 5400
    assert _seconds("1.5s") == 1.5
    with pytest.raises(MWError, match="not a duration"):
        _seconds("ten minutes")


# -- stopping early ------------------------------------------------------------------------------------------------


@pytest.fixture
def pack_without_a_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pack process started from now on is one that never prints its port (a pack stuck starting)."""
    real = subprocess.Popen

    def popen(args: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        return real([sys.executable, "-c", "import time; time.sleep(300)"], **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "Popen", popen)


def _in_thread(call: Any) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def target() -> None:
        try:
            call()
        except BaseException as exc:  # handed to the test
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, errors


def test_a_start_cancelled_while_the_pack_starts_stops_it(pack_without_a_port: None) -> None:
    pack = PolicyPackProcess(PACK, start_timeout=300)
    thread, errors = _in_thread(pack.start)
    for _ in range(6000):  # the process is spawned at once; a bound on waiting for it, not a timing
        if pack.pid is not None:
            break
        threading.Event().wait(0.01)
    pid = pack.pid
    assert pid is not None
    pack.cancel()
    thread.join(60)  # far below the pack's start_timeout: only the cancellation can end start() this soon
    assert not thread.is_alive()
    assert [str(e) for e in errors] == ["policy pack pack: start cancelled"]
    assert isinstance(errors[0], PolicyPackError)
    assert _gone(pid)


def test_a_start_cancelled_before_it_begins_spawns_nothing() -> None:
    pack = PolicyPackProcess(PACK)
    pack.cancel()
    with pytest.raises(PolicyPackError, match="start cancelled"):
        pack.start()
    assert pack.pid is None


def test_close_stops_the_pack_before_closing_the_connection() -> None:
    # Closing a channel whose server still runs takes about 0.2 s; once the server has gone, under 1 ms.
    pack = PolicyPackProcess(PACK)
    pack.start()
    channel, seen = pack._channel, []

    class Channel:
        def close(self) -> None:
            assert pack._proc is not None
            seen.append(pack._proc.poll() is not None)
            channel.close()

    pack._channel = Channel()
    pack.close()
    assert seen == [True]
