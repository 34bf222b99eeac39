"""mw._engine: running a real Pulumi program in-process against recording mocks."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from google.protobuf import struct_pb2

from mw._engine import (
    UNKNOWN_ID,
    ProgramRun,
    RegisteredResource,
    config_to_pulumi,
    deploy_depth,
    layers,
    run_program,
)
from mw.errors import ConfigError, MWError

PROGRAM = Path(__file__).parent / "fixtures" / "engine" / "program"
CONFIG = {
    "aws:region": "eu-west-1",
    "fixture:name": "alpha",
    "fixture:duration": 3,
    "fixture:enabled": True,
    "fixture:schedules": ["cron(0 3 ? * MON *)", "rate(7 days)"],
    "fixture:tags": {"team": "ops", "tier": 1},
}
WINDOW_T = "aws:ssm/maintenanceWindow:MaintenanceWindow"
TARGET_T = "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget"
TASK_T = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"
ROLE_T = "aws:iam/role:Role"


def _run(stack: str = "dev", config: dict | None = None) -> ProgramRun:
    return run_program(PROGRAM, project="fixture", stack=stack, config=CONFIG if config is None else config)


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    return _run()


def _one(run: ProgramRun, type_: str) -> RegisteredResource:
    (found,) = [r for r in run.resources if r.type == type_]
    return found


def test_records_types_names_and_parents(run: ProgramRun) -> None:
    stack = "urn:pulumi:dev::fixture::pulumi:pulumi:Stack::fixture-dev"
    component = "urn:pulumi:dev::fixture::pulumi:pulumi:Stack$fixture:index:Window::alpha"
    assert run.stack_urn == stack
    assert [(r.type, r.name, r.parent, r.custom) for r in run.resources] == [
        (ROLE_T, "service-role", stack, True),
        ("fixture:index:Window", "alpha", stack, False),
        (WINDOW_T, "alpha-window", component, True),
        (TARGET_T, "alpha-target", component, True),
        (TASK_T, "alpha-patch", stack, True),
    ]
    assert _one(run, WINDOW_T).urn == (
        "urn:pulumi:dev::fixture::fixture:index:Window$aws:ssm/maintenanceWindow:MaintenanceWindow::alpha-window"
    )


def test_engine_view_has_stack_and_default_provider_first(run: ProgramRun) -> None:
    provider_urn = "urn:pulumi:dev::fixture::pulumi:providers:aws::default_" + (
        _one(run, WINDOW_T).version.replace(".", "_"))
    assert [r.urn for r in run.engine_resources[:2]] == [run.stack_urn, provider_urn]
    provider = run.providers[provider_urn]
    assert provider.inputs["region"] == "eu-west-1"
    assert provider.id == UNKNOWN_ID  # a preview has not created the provider
    for res in run.resources:
        if res.custom:
            assert res.provider == f"{provider_urn}::{UNKNOWN_ID}"
            assert run.provider_of(res) is provider
        else:
            assert res.provider == ""


def test_inputs_in_wire_form_are_camel_case(run: ProgramRun) -> None:
    window = _one(run, WINDOW_T)
    assert isinstance(window.properties, struct_pb2.Struct)
    assert set(window.properties.fields) == {
        "schedule", "duration", "cutoff", "enabled", "allowUnassociatedTargets", "tags"}
    assert window.properties["allowUnassociatedTargets"] is False
    assert window.inputs == {
        "schedule": "cron(0 3 ? * MON *)", "duration": 3, "cutoff": 1, "enabled": True,
        "allowUnassociatedTargets": False, "tags": {"team": "ops", "tier": 1},
    }
    task = _one(run, TASK_T)
    assert task.inputs["targets"] == [{"key": "WindowTargetIds", "values": [_one(run, TARGET_T).id]}]
    assert task.inputs["serviceRoleArn"] == "arn:aws:iam::123456789012:role/service-role"


def test_dependencies_and_property_dependencies(run: ProgramRun) -> None:
    role, window, target, task = (_one(run, t) for t in (ROLE_T, WINDOW_T, TARGET_T, TASK_T))
    assert target.dependencies == [window.urn]
    assert target.property_dependencies["windowId"] == [window.urn]
    assert target.property_dependencies["resourceType"] == []
    # depends_on=[component] became a dependency on the component's children.
    assert task.dependencies == sorted([role.urn, window.urn, target.urn])
    assert task.property_dependencies["serviceRoleArn"] == [role.urn]
    assert task.property_dependencies["targets"] == [target.urn]
    assert window.dependencies == []


def test_options_protect_is_recorded_and_inherited(run: ProgramRun) -> None:
    assert _one(run, ROLE_T).protect is True
    assert not any(r.protect for r in run.resources if r.type != ROLE_T)
    assert not any(r.retain_on_delete for r in run.resources)


def test_config_round_trip_through_pulumi_config(run: ProgramRun) -> None:
    assert run.outputs["echo"] == {
        "name": "alpha",
        "duration": 3,
        "enabled": True,
        "schedules": ["cron(0 3 ? * MON *)", "rate(7 days)"],
        "tags": {"team": "ops", "tier": 1},
        "runs": ["alpha"],
    }


def test_config_is_encoded_as_the_cli_does() -> None:
    values, secrets = config_to_pulumi({
        "p:s": "text", "p:i": 3, "p:b": False, "p:f": 1.5, "p:whole": 2.0,
        "p:l": [1, "a", True], "p:d": {"z": 1, "a": [2.0, None]},
        "p:secret": {"secure": "v1:ciphertext"},
    })
    assert values == {
        "p:s": "text", "p:i": "3", "p:b": "false", "p:f": "1.5", "p:whole": "2",
        "p:l": '[1,"a",true]', "p:d": '{"a":[2,null],"z":1}', "p:secret": "v1:ciphertext",
    }
    assert secrets == ["p:secret"]
    with pytest.raises(MWError, match="namespaced"):
        config_to_pulumi({"region": "eu-west-1"})


def test_outputs_are_resolved_plain_values(run: ProgramRun) -> None:
    window = _one(run, WINDOW_T)
    assert run.outputs["windowId"] == window.id
    assert len(window.id) == 20 and window.id.startswith("mw-")
    int(window.id[3:], 16)
    assert window.outputs["arn"] == f"arn:aws:ssm:eu-west-1:123456789012:maintenancewindow/{window.id}"
    assert run.outputs["roleArn"] == "arn:aws:iam::123456789012:role/service-role"
    assert run.outputs["region"] == "eu-west-1"  # the getRegion invoke answers from aws:region
    component = _one(run, "fixture:index:Window")
    assert component.outputs == {"windowId": window.id}


def test_ids_are_deterministic(run: ProgramRun) -> None:
    again = _run()
    assert [(r.urn, r.id) for r in again.resources] == [(r.urn, r.id) for r in run.resources]
    assert again.outputs == run.outputs


def test_two_stacks_in_a_row_do_not_leak(run: ProgramRun, monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi.runtime import get_config
    from pulumi.runtime.settings import get_root_resource

    # The SDK falls back to PULUMI_CONFIG for keys the config does not set: it must not here.
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"fixture:duration": "9"}))
    path, cwd = list(sys.path), os.getcwd()
    other = _run("prod", {"fixture:name": "beta", "fixture:enabled": False})
    assert other.stack_urn == "urn:pulumi:prod::fixture::pulumi:pulumi:Stack::fixture-prod"
    assert all(r.urn.startswith("urn:pulumi:prod::fixture::") and "alpha" not in r.urn
               for r in other.engine_resources)
    assert len(other.resources) == len(run.resources)
    assert other.outputs["echo"] == {
        "name": "beta", "duration": 2, "enabled": False, "schedules": ["cron(0 2 ? * SUN *)"],
        "tags": {}, "runs": ["beta"],
    }
    assert other.outputs["region"] == "us-east-1"
    # Nothing of either run is left behind in this thread or process.
    assert get_config("fixture:name") is None
    assert get_root_resource() is None
    assert sys.path == path and os.getcwd() == cwd
    assert "fixture_state" not in sys.modules
    assert os.environ["PULUMI_CONFIG"] == json.dumps({"fixture:duration": "9"})


def test_mw_error_from_the_program_propagates_as_is() -> None:
    with pytest.raises(ConfigError, match="fixture:fail: the fixture was asked to fail") as info:
        _run(config={**CONFIG, "fixture:fail": True})
    assert info.value.problems[0].path == "fixture:fail"
    assert "fixture_state" not in sys.modules
    assert _run().outputs["echo"]["runs"] == ["alpha"]  # a failed run leaves nothing behind


def test_other_errors_propagate_unchanged(tmp_path: Path) -> None:
    (tmp_path / "__main__.py").write_text("raise RuntimeError('boom')\n")
    with pytest.raises(RuntimeError, match="boom"):
        run_program(tmp_path, project="p", stack="s", config={})
    with pytest.raises(MWError, match=r"__main__\.py not found"):
        run_program(tmp_path / "missing", project="p", stack="s", config={})


def test_stack_traces_are_skipped_during_a_run_only(tmp_path: Path) -> None:
    """The SDK's source-position walk is skipped while the program runs and restored afterwards."""
    from pulumi.runtime import resource

    original = resource._get_stack_trace
    (tmp_path / "__main__.py").write_text(
        "import pulumi\n"
        "from pulumi.runtime import resource\n"
        "pulumi.export('skipped', resource._get_stack_trace.__module__ != 'pulumi.runtime.resource')\n")
    result = run_program(tmp_path, project="p", stack="s", config={})
    assert result.outputs == {"skipped": True}
    assert resource._get_stack_trace is original


# -- creation order --------------------------------------------------------------------------------


def _res(name: str, *deps: str, parent: str = "", custom: bool = True, prop: str = "") -> RegisteredResource:
    return RegisteredResource(
        urn=name, type="t:m:T" if custom else "t:m:C", name=name, parent=parent, custom=custom,
        dependencies=list(deps), property_dependencies={"p": [prop]} if prop else {},
    )


def _names(groups: list[list[RegisteredResource]]) -> list[list[str]]:
    return [sorted(r.name for r in g) for g in groups]


def test_depth_of_a_chain_is_its_length() -> None:
    graph = [_res("a"), _res("b", "a"), _res("c", prop="b")]
    assert deploy_depth(graph) == 3
    assert _names(layers(graph)) == [["a"], ["b"], ["c"]]


def test_depth_of_a_diamond() -> None:
    graph = [_res("d", "b", "c"), _res("b", "a"), _res("c", "a"), _res("a")]
    assert deploy_depth(graph) == 3
    assert _names(layers(graph)) == [["a"], ["b", "c"], ["d"]]


def test_independent_resources_are_one_layer() -> None:
    graph = [_res(n) for n in "abcd"]
    assert deploy_depth(graph) == 1
    assert _names(layers(graph)) == [["a", "b", "c", "d"]]
    assert deploy_depth([]) == 0 and layers([]) == []


def test_dependency_on_a_component_waits_for_its_custom_descendants() -> None:
    graph = [
        _res("comp", custom=False),
        _res("inner", parent="comp", custom=False),
        _res("x", parent="comp"),
        _res("y", "x", parent="inner"),
        _res("z", "comp"),
    ]
    assert deploy_depth(graph) == 3
    assert _names(layers(graph)) == [["x"], ["y"], ["z"]]


def test_parents_order_only_when_custom() -> None:
    # A component parent's URN resolves at once; a custom parent's only once it exists.
    assert deploy_depth([_res("comp", custom=False), _res("a", parent="comp")]) == 1
    assert deploy_depth([_res("a"), _res("b", parent="a")]) == 2


def test_cycles_are_rejected() -> None:
    with pytest.raises(ValueError, match="cycle"):
        deploy_depth([_res("a", "b"), _res("b", "a")])


def test_depth_of_the_fixture_program(run: ProgramRun) -> None:
    assert deploy_depth(run.resources) == 3
    assert _names(layers(run.resources)) == [
        ["alpha-window", "service-role"], ["alpha-target"], ["alpha-patch"]]
