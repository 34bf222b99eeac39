"""The pack's servicer (``mw_policies/_servicer.py``) answers exactly as pulumi-policy's own.

Both servicers run in this process, get the same GetAnalyzerInfo / Configure (each stack's policy config)
and the same Analyze and AnalyzeStack requests, built as ``mw plan`` builds them for the engine; their
responses must be equal protobuf messages: the same diagnostics (levels, messages, order) and the same
"not applicable" entries. Requests come from the real program (the repo's stacks and broken copies of
them) and from random edits of those resources' properties, unknowns included.
"""

from __future__ import annotations

import copy
import functools
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from conftest import ROOT, STACKS, examples, stack_config
from google.protobuf import empty_pb2, struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st
from policy_cases.harness import leaf_paths, unknown_for
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy import policy as pulumi_policy_module

from mw_engine.analyzer import analyze_request, analyze_stack_request, analyzer_info, configure_request
from mw_engine.engine import ProgramRun, run_program

sys.path.insert(0, str(ROOT / "policies"))
from mw_policies import ALL_POLICIES, PACK_NAME, _props, _servicer
from mw_policies import _pulumi_policy as internals
from mw_policies._typed import ResourceTypePolicy

STOCK = pulumi_policy_module._PolicyAnalyzerServicer
CONFIG_DIR = ROOT / "policies" / "config"
W = "maintenance-windows:windows"


# Rule properties away from their defaults, so that a rule handed the wrong config answers differently.
STRICT = {
    "task-rate-control": {"enforcementLevel": "mandatory", "maxConcurrencyPercent": 5, "maxConcurrencyCount": 1,
                          "maxErrorsPercent": 1, "maxErrorsCount": 0},
    "iam-trusted-principals": {"enforcementLevel": "mandatory", "allowedServicePrincipals": ["ec2.amazonaws.com"]},
    "iam-passrole-condition": {"enforcementLevel": "advisory", "allowedPassedToServices": ["lambda.amazonaws.com"]},
    "s3-bucket-retention": {"enforcementLevel": "mandatory", "minRetentionDays": 4000},
    "cloudwatch-log-retention": {"enforcementLevel": "mandatory", "minRetentionDays": 4000},
    "window-task-time": {"enforcementLevel": "advisory", "minDurationHours": 20, "minTaskHours": 20},
    "stack-window-overlap": {"enforcementLevel": "mandatory", "days": 400},
    # The broken copies run a task as a role of this account: allowed here, reported under dev and prod.
    "iam-cross-account": {"enforcementLevel": "advisory", "allowedAccounts": ["111122223333"]},
    "stack-task-output-bucket": {"enforcementLevel": "mandatory", "allowedOutputBuckets": ["someone-elses-bucket"]},
}
ENVS = ["dev", "prod", "strict"]


def servicers(policies: list[Any], env: str | None = None) -> tuple[Any, Any]:
    """(pulumi-policy's servicer, ours) over ``policies``, both configured with ``env``'s policy config
    (``policies/config/<env>.json``, or :data:`STRICT`)."""
    pair = (STOCK(PACK_NAME, "0.0.1", policies, EnforcementLevel.ADVISORY),
            _servicer.Servicer(PACK_NAME, "0.0.1", policies, EnforcementLevel.ADVISORY))
    tags = analyzer_pb2.AnalyzerStackConfigureRequest(stack="dev", project="maintenance-windows",
                                                      tags={"team": "platform"})
    for servicer in pair:
        servicer.ConfigureStack(tags, None)
    if env is not None:
        info = analyzer_info(pair[0].GetAnalyzerInfo(empty_pb2.Empty(), None))
        _, request = configure_request(info, STRICT if env == "strict" else CONFIG_DIR / f"{env}.json")
        for servicer in pair:
            servicer.Configure(request, None)
    return pair


def assert_same(pair: tuple[Any, Any], run: ProgramRun) -> int:
    """Every resource of ``run`` and then the stack through both servicers; returns the diagnostics seen."""
    stock, ours = pair
    seen = 0
    for resource in run.engine_resources:
        request = analyze_request(resource, run.provider_of(resource))
        expected = stock.Analyze(request, None)
        assert ours.Analyze(request, None) == expected, resource.urn
        seen += len(expected.diagnostics)
    request = analyze_stack_request(run.engine_resources)
    expected = stock.AnalyzeStack(request, None)
    assert ours.AnalyzeStack(request, None) == expected
    return seen + len(expected.diagnostics)


def run(config: dict[str, Any], stack: str) -> ProgramRun:
    return run_program(ROOT, project="maintenance-windows", stack=stack, config=config)


@functools.cache
def stack_run(stack: str) -> ProgramRun:
    """The repo's stack, run once per test session (a function, not a fixture: Hypothesis would print it)."""
    return run(stack_config(stack), stack)


# ------------------------------------------------------------------------------------------------ real stacks


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("stack", STACKS)
def test_same_answers_on_the_stacks_in_the_repo(stack, env):
    seen = assert_same(servicers(ALL_POLICIES, env), stack_run(stack))
    if env == "strict":
        assert seen >= 3  # the strict config's properties reach the rules


def _loosen(config: dict[str, Any]) -> None:
    task = config[W][0]["tasks"][0]
    task.update({"maxConcurrency": "100%", "maxErrors": "50%", "serviceRoleArn": "arn:aws:iam::111122223333:role/X"})
    config[W][0]["allowUnregisteredTargets"] = True
    config["maintenance-windows:serviceRole"]["trustedServices"] = ["ssm.amazonaws.com", "ec2.amazonaws.com"]
    config[W].append({"name": "EmptyWindow", "schedule": "cron(0 4 ? * SUN *)", "duration": 2,
                      "targets": [{"name": "Nobody", "tags": {"Workload": "None"}}]})


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_same_answers_on_a_broken_stack(stack, env):
    config = copy.deepcopy(stack_config(stack))
    _loosen(config)
    # Not vacuous: the broken copy gives violations at resource and at stack level.
    assert assert_same(servicers(ALL_POLICIES, env), run(config, stack)) >= 5


LINKS = ("windowId", "serviceRoleArn", "role", "policyArn", "id", "arn")


def _links_unknown(resource: Any) -> Any:
    """``resource`` as in a first preview: its IDs, ARNs and the references to them not known yet."""
    out = copy.copy(resource)
    for attr in ("properties", "outputs_struct"):
        value = getattr(resource, attr)
        if value is not None:
            values = struct_dict(value)
            values.update({k: unknown_for(v) for k, v in values.items() if k in LINKS and isinstance(v, str)})
            setattr(out, attr, struct(values))
    return out


@pytest.mark.parametrize("env", ENVS)
def test_same_answers_when_links_are_found_through_property_dependencies(env):
    config = copy.deepcopy(stack_config("prod"))
    _loosen(config)
    program = run(config, "prod")
    request = analyze_stack_request([_links_unknown(r) for r in program.engine_resources])
    stock, ours = servicers(ALL_POLICIES, env)
    expected = stock.AnalyzeStack(request, None)
    assert ours.AnalyzeStack(request, None) == expected
    # The stack rules still place tasks and targets in their windows: only the dependencies say where.
    assert {d.policyName for d in expected.diagnostics} >= {"stack-window-complete"}


# ------------------------------------------------------------------------------------------------ random edits

_JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                         st.text(max_size=12), st.sampled_from(["*", "100%", "rate(1 hour)", "cron(0 2 ? * * *)"]))
_JSON = st.recursive(_JSON_LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                     max_leaves=6)


def _edit(props: dict[str, Any], path: tuple[Any, ...], how: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(props)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    last = path[-1]
    if how == "unknown":
        node[last] = unknown_for(node[last])
    elif how == "delete" and isinstance(node, dict):
        del node[last]
    else:
        node[last] = value
    return out


_EDITS = st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(["unknown", "delete", "value"]), _JSON),
                  min_size=1, max_size=3)


@settings(max_examples=examples(60), deadline=None)
@given(pick=st.integers(0, 10**6), edits=_EDITS, env=st.sampled_from(["dev", "prod"]))
def test_same_answers_on_random_property_edits(pick, edits, env):
    """Random edits (a value replaced, deleted or made unknown) of any resource of the prod stack."""
    stack = stack_run("prod")
    candidates = [r for r in stack.engine_resources if len(r.properties)]
    resource = candidates[pick % len(candidates)]
    props = struct_dict(resource.properties)
    for where, how, value in edits:
        paths = list(leaf_paths(props))
        if paths:
            props = _edit(props, paths[where % len(paths)], how, value)
    edited = copy.copy(resource)
    edited.properties, edited.outputs_struct = struct(props), None
    stock, ours = servicers(ALL_POLICIES, env)
    request = analyze_request(edited, stack.provider_of(resource))
    assert ours.Analyze(request, None) == stock.Analyze(request, None)
    others = [edited if r.urn == resource.urn else r for r in stack.engine_resources]
    request = analyze_stack_request(others)
    assert ours.AnalyzeStack(request, None) == stock.AnalyzeStack(request, None)


def struct_dict(message: struct_pb2.Struct) -> dict[str, Any]:
    from google.protobuf import json_format

    return json_format.MessageToDict(message)


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


# ------------------------------------------------------------------------------------------------ mechanics

WINDOW = "aws:ssm/maintenanceWindow:MaintenanceWindow"
TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"


def _request(resource_type: str, props: dict[str, Any]) -> Any:
    return analyzer_pb2.AnalyzeRequest(urn=f"urn:pulumi:dev::p::{resource_type}::r", type=resource_type, name="r",
                                       properties=struct(props))


def _mechanics_pack(calls: list[str]) -> list[Any]:
    """Policies exercising each path of pulumi-policy's Analyze, recording which ones ran."""

    def recorder(name: str, body: Callable[[Any, Any], Any] | None = None) -> Callable[[Any, Any], Any]:
        def validate(args: Any, report: Any) -> Any:
            calls.append(name)
            return body(args, report) if body else None

        return validate

    async def later(args: Any, report: Any) -> None:
        report(f"async saw {args.props['duration']}")

    return [
        ResourceTypePolicy(name="typed-window", description="d", resource_types=[WINDOW],
                           validate=recorder("typed-window", lambda a, r: r(f"tags {dict(a.stack_tags)}"))),
        ResourceValidationPolicy(name="untyped", description="d", validate=recorder("untyped")),
        ResourceTypePolicy(name="touches-unknown", description="d", resource_types=[WINDOW, TASK],
                           validate=recorder("touches-unknown", lambda a, r: r(str(a.props["cutoff"])))),
        ResourceTypePolicy(name="not-applicable", description="d", resource_types=[WINDOW],
                           validate=recorder("not-applicable", lambda a, r: a.not_applicable("no reason"))),
        ResourceTypePolicy(name="disabled", description="d", resource_types=[WINDOW],
                           enforcement_level=EnforcementLevel.DISABLED, validate=recorder("disabled")),
        ResourceTypePolicy(name="async", description="d", resource_types=[WINDOW], validate=later,
                           enforcement_level=EnforcementLevel.MANDATORY),
        ResourceValidationPolicy(name="remediate-only", description="d", remediate=lambda args: None),
        StackValidationPolicy(name="stack-count", description="d",
                              validate=lambda a, r: r(f"{len(a.resources)} resources")),
        StackValidationPolicy(name="stack-disabled", description="d", enforcement_level=EnforcementLevel.DISABLED,
                              validate=lambda a, r: r("never")),
    ]


def test_same_answers_on_every_path_of_analyze():
    calls: list[str] = []
    stock, ours = servicers(_mechanics_pack(calls))
    for request in (_request(WINDOW, {"duration": 3, "cutoff": 1}),
                    _request(WINDOW, {"duration": 3, "cutoff": "3eeb2bf0-c639-47a8-9e75-3b44932eb421"}),
                    _request(TASK, {"cutoff": 1}),
                    _request("aws:s3/bucket:Bucket", {})):
        calls.clear()
        expected = stock.Analyze(request, None)
        stock_calls = list(calls)
        calls.clear()
        assert ours.Analyze(request, None) == expected
        assert calls == stock_calls  # the same rules ran, in the same order
    stack = analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(urn="urn:a", type=WINDOW, name="a", properties=struct({"duration": 1})),
        analyzer_pb2.AnalyzerResource(urn="urn:b", type=TASK, name="b", parent="urn:a", dependencies=["urn:a"]),
    ])
    assert ours.AnalyzeStack(stack, None) == stock.AnalyzeStack(stack, None)


def test_every_path_of_analyze_answers_as_expected():
    """Not only equal: what each path gives (so a change to both servicers at once is still caught)."""
    calls: list[str] = []
    _, ours = servicers(_mechanics_pack(calls))
    response = ours.Analyze(_request(WINDOW, {"duration": 3, "cutoff": "3eeb2bf0-c639-47a8-9e75-3b44932eb421"}),
                            None)
    by_policy = {d.policyName: d for d in response.diagnostics}
    assert by_policy["typed-window"].message == "d\ntags {'team': 'platform'}"
    assert "can't run policy 'touches-unknown'" in by_policy["touches-unknown"].message
    assert by_policy["async"].message == "d\nasync saw 3.0"
    assert by_policy["async"].enforcementLevel == analyzer_pb2.MANDATORY
    assert {(n.policy_name, n.reason) for n in response.not_applicable} == {
        ("not-applicable", "no reason"), ("remediate-only", "Policy does not implement validate")}
    assert "disabled" not in calls
    assert [d.message for d in ours.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(urn="urn:a", type=WINDOW, name="a")]), None).diagnostics] == ["d\n1 resources"]


def test_a_configure_disabling_a_rule_is_honoured():
    stock, ours = servicers(ALL_POLICIES)
    request = _request(WINDOW, {"duration": 30, "cutoff": 1, "schedule": "cron(0 2 ? * * *)", "name": "w"})
    assert any(d.policyName == "window-duration" for d in ours.Analyze(request, None).diagnostics)
    off = analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
        "window-duration": analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.DISABLED)})
    for servicer in (stock, ours):
        servicer.Configure(off, None)
    answer = ours.Analyze(request, None)
    assert answer == stock.Analyze(request, None)
    assert all(d.policyName != "window-duration" for d in answer.diagnostics)


def test_runtime_settings_follow_the_environment(monkeypatch):
    """The config the rules could read is re-read when PULUMI_CONFIG changes, not on every request."""
    import pulumi.runtime

    _, ours = servicers(_mechanics_pack([]))
    monkeypatch.setenv("PULUMI_CONFIG", '{"proj:first": "1"}')
    ours.Analyze(_request(TASK, {"cutoff": 1}), None)
    assert pulumi.runtime.get_config("proj:first") == "1"
    monkeypatch.setenv("PULUMI_CONFIG", '{"proj:second": "2"}')
    ours.Analyze(_request(TASK, {"cutoff": 1}), None)
    assert pulumi.runtime.get_config("proj:second") == "2"


# ------------------------------------------------------------------------------------------------ fallback


def test_without_the_stack_tags_it_falls_back_to_pulumi_policy(monkeypatch):
    monkeypatch.setattr(internals, "STACK_TAGS_ATTRIBUTE", "_no_such_attribute")
    calls: list[str] = []
    stock, ours = servicers(_mechanics_pack(calls))
    assert not ours._shared_work
    request = _request(WINDOW, {"duration": 2, "cutoff": 1})
    assert ours.Analyze(request, None) == stock.Analyze(request, None)
    assert "typed-window" in calls


def test_install_swaps_the_servicer_only_when_it_can(monkeypatch, capsys):
    monkeypatch.setattr(pulumi_policy_module, "_PolicyAnalyzerServicer", STOCK)
    assert _servicer.install() is True
    assert pulumi_policy_module._PolicyAnalyzerServicer is _servicer.Servicer
    monkeypatch.setattr(pulumi_policy_module, "_PolicyAnalyzerServicer", STOCK)
    monkeypatch.setattr(internals, "STOCK_SERVICER", None)
    assert _servicer.install() is False
    assert pulumi_policy_module._PolicyAnalyzerServicer is STOCK
    assert "using it unchanged" in capsys.readouterr().err


@pytest.mark.parametrize(("patch", "why"), [
    (("installed_version", lambda: "1.22.0"), "pulumi-policy 1.22.0 is installed"),
    (("HELPERS", {**internals.HELPERS, "_no_such_helper": ()}), "_PolicyAnalyzerServicer._no_such_helper is missing"),
    (("STACK_TAGS_ATTRIBUTE", "_no_such_attribute"), "no longer keeps the stack tags"),
    (("NOT_APPLICABLE_ERROR", None), "_NotApplicableError is missing"),
], ids=["another-version", "missing-helper", "no-stack-tags", "no-not-applicable-error"])
def test_install_keeps_pulumi_policys_servicer_and_says_why(monkeypatch, capsys, patch, why):
    """Whatever of pulumi-policy's internals is not as checked, the pack serves with pulumi-policy's own servicer
    (same answers, slower), and stderr (the engine's log) says why."""
    monkeypatch.setattr(pulumi_policy_module, "_PolicyAnalyzerServicer", STOCK)
    monkeypatch.setattr(internals, *patch)
    assert _servicer.install() is False
    assert pulumi_policy_module._PolicyAnalyzerServicer is STOCK
    err = capsys.readouterr().err
    assert "using it unchanged (same results, slower): " in err and why in err, err


def test_the_pack_entry_point_serves_with_it():
    """``policies/__main__.py`` installs the servicer before it builds the PolicyPack."""
    probe = (
        "import runpy, sys, pulumi_policy\n"
        "from pulumi_policy import policy\n"
        "def fake(**kwargs):\n"
        "    s = policy._PolicyAnalyzerServicer\n"
        "    print(s.__module__, s.__name__, len(kwargs['policies']))\n"
        "pulumi_policy.PolicyPack = fake\n"
        "runpy.run_path(sys.argv[1], run_name='__main__')\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(ROOT / "policies" / "__main__.py")], cwd=ROOT / "policies",
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["mw_policies._servicer", "Servicer", str(len(ALL_POLICIES))]


# ------------------------------------------------------------------------------------------------ typed policies


def test_every_resource_rule_names_its_types():
    resource_rules = [p for p in ALL_POLICIES if isinstance(p, ResourceValidationPolicy)]
    assert resource_rules and all(isinstance(p, ResourceTypePolicy) for p in resource_rules)
    assert all(t.count(":") == 2 for p in resource_rules for t in p.resource_types)


@pytest.mark.parametrize("types", [[], ["MaintenanceWindow"], [WINDOW, None]])
def test_a_typed_policy_refuses_what_is_not_a_type_token(types):
    with pytest.raises(TypeError, match="resource_types: expected Pulumi type tokens"):
        ResourceTypePolicy(name="x", description="d", resource_types=types, validate=lambda a, r: None)


def test_properties_are_read_once_per_proxy():
    """The rules of one request share a proxy, so its plain form is computed once; plain dicts (as tests
    build them) are read afresh every time."""
    from mw_policies._props import UNKNOWN, plain_props
    from pulumi_policy.proxy import unknown_checking_proxy

    shared = unknown_checking_proxy({"duration": 3.0, "cutoff": "3eeb2bf0-c639-47a8-9e75-3b44932eb421"})
    first = plain_props(shared)
    assert first == {"duration": 3.0, "cutoff": UNKNOWN}
    assert plain_props(shared) is first
    raw = {"duration": 3.0}
    assert plain_props(raw) == raw and plain_props(raw) is not plain_props(raw)


def test_without_the_proxy_class_properties_are_read_every_time(monkeypatch):
    """When pulumi-policy's proxy is not the one expected, nothing is kept on it: each rule reads afresh."""
    monkeypatch.setattr(_props, "_KEPT_ON", ())
    shared = internals.unknown_checking_proxy({"duration": 3.0, "cutoff": "3eeb2bf0-c639-47a8-9e75-3b44932eb421"})
    first = _props.plain_props(shared)
    assert first == {"duration": 3.0, "cutoff": _props.UNKNOWN}
    assert _props.plain_props(shared) == first and _props.plain_props(shared) is not first


# ------------------------------------------------------------------------------------------------ NaN, Infinity

NON_FINITE = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}
# Every number of the prod stack's resources, and the rule that must report it when it is not finite.
NUMBER_RULES = {
    ("aws:ssm/maintenanceWindow:MaintenanceWindow", ("duration",)): "window-duration",
    ("aws:ssm/maintenanceWindow:MaintenanceWindow", ("cutoff",)): "window-cutoff",
    ("aws:ssm/maintenanceWindow:MaintenanceWindow", ("scheduleOffset",)): "window-schedule-offset",
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", ("priority",)): "task-priority",
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask",
     ("taskInvocationParameters", "runCommandParameters", "timeoutSeconds")): "task-run-command-parameters",
    ("aws:cloudwatch/logGroup:LogGroup", ("retentionInDays",)): "cloudwatch-log-retention-value",
    ("aws:ssm/patchBaseline:PatchBaseline", ("approvalRules", 0, "approveAfterDays")): "patch-baseline-limits",
    ("aws:ssm/patchBaseline:PatchBaseline", ("approvalRules", 1, "approveAfterDays")): "patch-baseline-limits",
    ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
     ("rules", 0, "expiration", "days")): "s3-lifecycle-days",
    ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
     ("rules", 0, "noncurrentVersionExpiration", "noncurrentDays")): "s3-lifecycle-days",
}
# Numbers no rule reads (AWS's limits on them are not checked by this pack): analysed, nothing reported.
UNCHECKED_NUMBERS = {
    ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
     ("rules", 0, "abortIncompleteMultipartUpload", "daysAfterInitiation")),
}


def _numbers(run: ProgramRun) -> list[tuple[Any, tuple[Any, ...]]]:
    """(resource, path) of every number in the properties of ``run``'s resources."""
    found = []
    for resource in run.engine_resources:
        props = struct_dict(resource.properties)
        for path in leaf_paths(props):
            node: Any = props
            for part in path:
                node = node[part]
            if isinstance(node, float):
                found.append((resource, path))
    return found


def _with(resource: Any, path: tuple[Any, ...], value: Any) -> Any:
    edited = copy.copy(resource)
    edited.properties, edited.outputs_struct = struct(_edit(struct_dict(resource.properties), path, "value", value)), None
    return edited


def test_every_number_of_the_prod_stack_is_listed():
    """The tables below cover every number the program sends (a new one must be placed in one of them)."""
    seen = {(resource.type, path) for resource, path in _numbers(stack_run("prod"))}
    assert seen == set(NUMBER_RULES) | UNCHECKED_NUMBERS


@pytest.mark.parametrize("value", NON_FINITE.values(), ids=NON_FINITE.keys())
def test_a_non_finite_number_is_analysed_and_reported(value):
    """Issue 12, item 15: pulumi-policy's servicer reads properties with json_format, which raises on NaN and
    Infinity (gRPC UNKNOWN for the whole call). Ours analyses the resource; the rule reading the number
    reports it."""
    run = stack_run("prod")
    stock, ours = servicers(ALL_POLICIES, "prod")
    for resource, path in _numbers(run):
        request = analyze_request(_with(resource, path, value), run.provider_of(resource))
        with pytest.raises(ValueError, match="Fail to serialize"):
            stock.Analyze(request, None)  # why this case is ours alone
        reported = {d.policyName for d in ours.Analyze(request, None).diagnostics
                    if repr(value) in d.message}
        expected = NUMBER_RULES.get((resource.type, path))
        assert reported == ({expected} if expected else set()), (resource.type, path)


def _window(run: ProgramRun) -> Any:
    return next(r for r in run.engine_resources if r.type == WINDOW)


@pytest.mark.parametrize("value", NON_FINITE.values(), ids=NON_FINITE.keys())
@pytest.mark.parametrize("path", [("name",), ("schedule",), ("tags", "Project")])
def test_a_non_finite_value_where_a_string_goes(value, path):
    run = stack_run("prod")
    _, ours = servicers(ALL_POLICIES, "prod")
    window = _window(run)
    found = ours.Analyze(analyze_request(_with(window, path, value), run.provider_of(window)), None)
    reported = [d.message for d in found.diagnostics]
    if path == ("name",):
        assert any(f"name: expected a string, got {value!r}" in m for m in reported), reported
    if path == ("schedule",):
        assert any("schedule" in m for m in reported), reported


@pytest.mark.parametrize("value", NON_FINITE.values(), ids=NON_FINITE.keys())
def test_a_non_finite_number_in_the_provider(value):
    """The provider's properties are read for every resource: a NaN there changes nothing for this pack."""
    run = stack_run("prod")
    _, ours = servicers(ALL_POLICIES, "prod")
    window = _window(run)
    request = analyze_request(window, run.provider_of(window))
    request.provider.properties.update({"maxRetries": value})
    assert ours.Analyze(request, None) == ours.Analyze(analyze_request(window, run.provider_of(window)), None)


@pytest.mark.parametrize("value", NON_FINITE.values(), ids=NON_FINITE.keys())
def test_remediate_with_a_non_finite_number(value):
    """No rule of this pack remediates: the answer is pulumi-policy's empty one, NaN or not."""
    run = stack_run("prod")
    stock, ours = servicers(ALL_POLICIES, "prod")
    window = _window(run)
    assert ours.Remediate(analyze_request(window, None), None) == stock.Remediate(analyze_request(window, None), None)
    request = analyze_request(_with(window, ("duration",), value), None)
    assert ours.Remediate(request, None) == analyzer_pb2.RemediateResponse()


@pytest.mark.parametrize("value", NON_FINITE.values(), ids=NON_FINITE.keys())
def test_analyze_stack_with_a_non_finite_number(value):
    """The stack is analysed; the window whose duration is not a number has no openings to compare."""
    run = stack_run("prod")
    _, ours = servicers(ALL_POLICIES, "prod")
    window = _window(run)
    clean = ours.AnalyzeStack(analyze_stack_request(run.engine_resources), None)
    broken = [_with(r, ("duration",), value) if r.urn == window.urn else r for r in run.engine_resources]
    assert ours.AnalyzeStack(analyze_stack_request(broken), None) == clean


@settings(max_examples=examples(200), deadline=None)
@given(values=st.dictionaries(st.text(max_size=6), _JSON, max_size=5))
def test_struct_conversion_is_json_formats(values):
    """Finite values convert exactly as pulumi-policy's json_format.MessageToDict does, keys in its order."""
    message = struct(values)
    converted = _servicer.struct_to_python(message)
    expected = struct_dict(message)
    assert converted == expected and list(converted) == list(expected)
    assert repr(converted) == repr(expected)  # same types: floats stay floats
