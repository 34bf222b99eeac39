"""The pack as a whole: rule metadata, the dev/prod configs, and robustness over property sets no table lists
(unknown values anywhere, random shapes)."""

from __future__ import annotations

import json
import re
from typing import Any

import mw_policies
import pytest
import test_policy_accounts
import test_policy_aws
import test_policy_iam
import test_policy_ops
import test_policy_overlap
import test_policy_reach
import test_policy_stack
import test_policy_target
import test_policy_task
import test_policy_window
from conftest import ROOT, examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mw_policies import cloudwatch, iam, overlap, s3, target, task, window
from mw_policies._props import UNKNOWN, field_problems, report_limits
from mw_policies._typed import DEFAULT_LEVEL, ResourceTypePolicy, StackPolicy
from policy_cases import lab
from policy_cases.harness import (
    ENVS,
    EXPECTED_LEVELS,
    POLICIES,
    UNKNOWN_ARRAY,
    UNKNOWN_BOOL,
    UNKNOWN_NUMBER,
    UNKNOWN_OBJECT,
    UNKNOWN_STRING,
    StackBuilder,
    is_stack_rule,
    leaf_paths,
    level,
    load_config,
    provider,
    run_all_resource_rules,
    run_stack,
    with_unknown,
)
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

from mw_core import limits, tokens

KEBAB = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
# Config values a stack sets on purpose away from the code's (prod-safe) default: dev keeps output 30 days.
STACK_OVERRIDES = {
    ("dev", "s3-bucket-retention", "minRetentionDays"),
    ("dev", "cloudwatch-log-retention", "minRetentionDays"),
}

COMPLIANT: list[tuple[str, str, dict[str, Any]]] = [
    ("window", lab.WINDOW_TYPE, lab.WINDOW),
    ("window-dated", lab.WINDOW_TYPE, {**lab.WINDOW, "scheduleTimezone": "Europe/Paris", "scheduleOffset": 2.0,
                                       "startDate": "2025-01-01T00:00:00Z", "endDate": "2030-01-01T00:00:00Z"}),
    ("target", lab.TARGET_TYPE, lab.TARGET),
    ("task", lab.TASK_TYPE, lab.TASK),
    ("task-notify", lab.TASK_TYPE, {**lab.TASK, "taskInvocationParameters": {"runCommandParameters": {
        **lab.TASK["taskInvocationParameters"]["runCommandParameters"], "outputS3Bucket": "mw-logs",
        "outputS3KeyPrefix": "patch/", "serviceRoleArn": "arn:aws:iam::123456789012:role/notify",
        "notificationConfig": {"notificationArn": "arn:aws:sns:us-east-1:123456789012:t",
                               "notificationEvents": ["Failed"], "notificationType": "Command"}}}}),
    ("lambda-task", lab.TASK_TYPE, lab.LAMBDA_TASK),
    ("sfn-task", lab.TASK_TYPE, lab.STEP_FUNCTIONS_TASK),
    ("automation-task", lab.TASK_TYPE, lab.AUTOMATION_TASK),
    ("role", lab.ROLE_TYPE, lab.ROLE),
    ("pass-role", lab.POLICY_TYPE, lab.PASS_ROLE_POLICY),
    ("role-policy", lab.ROLE_POLICY_TYPE, lab.ROLE_POLICY),
    ("attachment", lab.ATTACHMENT_TYPE, lab.ATTACHMENT),
]


def test_rule_metadata() -> None:
    names = [p.name for p in mw_policies.ALL_POLICIES]
    assert len(names) == len(set(names))
    assert set(names) == set(EXPECTED_LEVELS)
    for policy in mw_policies.ALL_POLICIES:
        assert KEBAB.fullmatch(policy.name), policy.name
        assert policy.description.startswith(("Requires ", "Prohibits ")), policy.name
        assert "\n" not in policy.description and policy.description.endswith("."), policy.name
        assert isinstance(policy.enforcement_level, EnforcementLevel), policy.name
        assert isinstance(policy, (ResourceValidationPolicy, StackValidationPolicy))
        assert isinstance(policy, StackValidationPolicy) == is_stack_rule(policy.name), policy.name


def test_rules_are_declared_one_way() -> None:
    """Resource rules are ResourceTypePolicy, stack rules StackPolicy, and a rule names its level only when it is not
    the pack's default (declared once, in _typed.DEFAULT_LEVEL)."""
    assert all(isinstance(p, (ResourceTypePolicy, StackPolicy)) for p in mw_policies.ALL_POLICIES)
    named = [line.strip() for path in sorted((ROOT / "policies" / "mw_policies").glob("*.py"))
             if path.name != "_typed.py" for line in path.read_text(encoding="utf-8").splitlines()
             if "enforcement_level=" in line]
    others = sorted(p.name for p in mw_policies.ALL_POLICIES if p.enforcement_level != DEFAULT_LEVEL)
    assert named == ["enforcement_level=EnforcementLevel.ADVISORY,"] * len(others), others
    assert DEFAULT_LEVEL == EnforcementLevel.MANDATORY


_LONG = "d" * 129
_CHECKS = ((limits.WINDOW_NAME, "name", "fix the name"), (limits.WINDOW_DESCRIPTION, "description", "fix it"))


@pytest.mark.parametrize(("block", "prefix", "expected"), [
    ({"name": "ok-name", "description": _LONG}, "", [("description", limits.WINDOW_DESCRIPTION, _LONG, "fix it")]),
    ({"name": "a b"}, "task", [("task.name", limits.WINDOW_NAME, "a b", "fix the name")]),
    ({"name": None, "description": UNKNOWN}, "", []),  # not set, or unknown: nothing to check
    (UNKNOWN, "", []),
    ("not a mapping", "", []),
], ids=["too-long", "prefixed", "unset-or-unknown", "unknown-block", "not-a-mapping"])
def test_fields_are_checked_against_their_limits_in_one_place(block: Any, prefix: str,
                                                              expected: list[tuple[str, Any, Any, str]]) -> None:
    problems = [f"{path}: {limits.check(limit, value)}" for path, limit, value, _ in expected]
    assert list(field_problems(block, [(limit, field) for limit, field, _ in _CHECKS], prefix)) == problems
    reported: list[str] = []
    report_limits(reported.append, "Thing 'x'", block, _CHECKS, prefix)
    assert reported == [f"Thing 'x': {problem}. Fix: {fix}" for problem, (*_, fix) in zip(problems, expected,
                                                                                          strict=True)]


def test_type_tokens() -> None:
    assert window.MAINTENANCE_WINDOW == "aws:ssm/maintenanceWindow:MaintenanceWindow"
    assert target.MAINTENANCE_WINDOW_TARGET == "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget"
    assert task.MAINTENANCE_WINDOW_TASK == "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"
    assert iam.ROLE == "aws:iam/role:Role" and iam.POLICY == "aws:iam/policy:Policy"
    assert iam.ROLE_POLICY == "aws:iam/rolePolicy:RolePolicy"
    assert tokens.ROLE_POLICY_ATTACHMENT == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


_TOKEN = re.compile(r"""["'](?:(?:aws|maintenance-windows):[a-z0-9]+(?:/[A-Za-z0-9]+)?:[A-Z][A-Za-z0-9]*"""
                    r"""|pulumi:(?:providers|pulumi):[A-Za-z0-9]+)["']""")


def test_the_pack_declares_no_type_token_of_its_own() -> None:
    """Every type token the rules name comes from mw_core.tokens (one place for every layer)."""
    written = {f"{path.name}: {found}" for path in sorted((ROOT / "policies").rglob("*.py"))
               for found in _TOKEN.findall(path.read_text(encoding="utf-8"))}
    assert written == set()


@pytest.mark.parametrize("module", [m for m in vars(mw_policies).values() if isinstance(m, type(mw_policies))],
                         ids=lambda m: m.__name__)
def test_every_token_constant_of_the_pack_is_cores(module: Any) -> None:
    core = {value: name for name, value in vars(tokens).items() if isinstance(value, str)}
    for name, value in vars(module).items():
        if name.isupper() and isinstance(value, str) and _TOKEN.fullmatch(f'"{value}"'):
            assert core.get(value) == name, f"{module.__name__}.{name} = {value!r} is not mw_core.tokens.{name}"


@pytest.mark.parametrize("rule", sorted(EXPECTED_LEVELS))
def test_levels(rule: str) -> None:
    """dev and prod levels as promised; the code's default is the prod level (prod-safe)."""
    assert (level(rule, "dev"), level(rule, "prod")) == EXPECTED_LEVELS[rule]
    default = POLICIES[rule].enforcement_level
    assert default is not None and default.value == EXPECTED_LEVELS[rule][1]


_JSON_TYPES = {"integer": int, "number": (int, float), "string": str, "array": list, "boolean": bool, "object": dict}


@pytest.mark.parametrize("env", ENVS)
def test_config_files(env: str) -> None:
    """Each file names every rule, in the CLI's format, with properties its schema declares and accepts."""
    config = load_config(env)
    assert set(config) == set(EXPECTED_LEVELS)
    for rule, entry in config.items():
        policy = POLICIES[rule]
        if isinstance(entry, str):
            assert entry in ("advisory", "mandatory", "disabled"), rule
            continue
        assert entry.get("enforcementLevel") in ("advisory", "mandatory", "disabled"), rule
        schema = policy.config_schema.properties if policy.config_schema else {}
        for key, value in entry.items():
            if key == "enforcementLevel":
                continue
            assert key in schema, f"{rule}: {key} is not in the config schema"
            spec = schema[key]
            assert isinstance(value, _JSON_TYPES[spec["type"]]) and not isinstance(value, bool), (rule, key)
            assert spec.get("minimum", value) <= value if isinstance(value, int) else True
            assert value <= spec.get("maximum", value) if isinstance(value, int) else True
            if (env, rule, key) not in STACK_OVERRIDES:
                assert value == spec["default"], f"{rule}: {key} differs from the code's default"


def test_schema_defaults_match_code_defaults() -> None:
    """The schema's defaults (what the CLI sends) are the ones the code falls back to (when none is sent)."""
    code_defaults = {
        "window-task-time": window.TASK_TIME_DEFAULTS,
        "task-rate-control": task.RATE_CONTROL_DEFAULTS,
        "iam-trusted-principals": {"allowedServicePrincipals": [iam.SSM_PRINCIPAL]},
        "iam-passrole-condition": {"allowedPassedToServices": [iam.SSM_PRINCIPAL]},
        "stack-task-service-role": {"allowedServiceRoleArns": []},
        "stack-task-output-bucket": {"allowedOutputBuckets": []},
        "iam-cross-account": {"allowedAccounts": []},
        "s3-bucket-retention": s3.RETENTION_DEFAULTS,
        "cloudwatch-log-retention": cloudwatch.RETENTION_DEFAULTS,
        "stack-window-overlap": overlap.OVERLAP_DEFAULTS,
    }
    schema_defaults = {
        policy.name: {key: spec["default"] for key, spec in policy.config_schema.properties.items()}
        for policy in mw_policies.ALL_POLICIES if policy.config_schema
    }
    assert schema_defaults == code_defaults


def test_every_rule_has_compliant_and_violating_cases() -> None:
    rows: list[tuple[str, bool]] = []
    rows += [(rule, expect is None) for rule, _, _, expect in test_policy_window.CASES]
    rows += [(rule, expect is None) for rule, _, _, expect in test_policy_target.CASES]
    rows += [(rule, expect is None) for rule, _, _, _, expect in test_policy_task.CASES]
    rows += [(rule, expect is None) for rule, _, _, _, expect in test_policy_iam.CASES]
    rows += [(rule, expect is None) for rule, _, _, expect, _ in test_policy_stack.CASES]
    rows += [(rule, expect is None) for rule, _, _, _, expect in test_policy_reach.CASES]
    rows += [(rule, expect is None) for rule, _, _, _, expect in test_policy_aws.CASES]
    rows += test_policy_ops.RULE_CASES + test_policy_overlap.RULE_CASES
    rows += [(rule, expect is None) for rule, _, _, expect, _ in test_policy_accounts.CASES]
    for rule in EXPECTED_LEVELS:
        kinds = {compliant for name, compliant in rows if name == rule}
        if rule == "window-task-time":
            continue  # its violations need a config: test_window_task_time_config
        assert kinds == {True, False}, rule


@pytest.mark.parametrize(("case", "resource_type", "props"), COMPLIANT, ids=[c[0] for c in COMPLIANT])
def test_compliant_sets_pass_every_rule(case: str, resource_type: str, props: dict[str, Any]) -> None:
    assert run_all_resource_rules(resource_type, props) == []
    assert run_all_resource_rules(resource_type, props, provider=provider()) == []


@pytest.mark.parametrize(("case", "resource_type", "props"), COMPLIANT, ids=[c[0] for c in COMPLIANT])
def test_an_unknown_value_anywhere_never_crashes_or_fails_a_rule(case: str, resource_type: str,
                                                                  props: dict[str, Any]) -> None:
    """Preview makes any input unknown that depends on an output: every rule must skip what it cannot know."""
    paths = list(leaf_paths(props))
    assert paths
    for path in paths:
        found = run_all_resource_rules(resource_type, with_unknown(props, path), provider=provider())
        assert found == [], (path, found)


@pytest.mark.parametrize("pinned", [False, True])
def test_an_unknown_value_anywhere_in_the_stack_never_fails_a_stack_rule(pinned: bool) -> None:
    base = test_policy_stack.deployed_stack()
    base = base.pinned() if pinned else base
    for name, item in base.items.items():
        for path in leaf_paths(item.props):
            stack = StackBuilder(provider() if pinned else None)
            for other in base.items.values():
                props = with_unknown(other.props, path) if other.name == name else other.props
                stack.add(other.resource_type, other.name, props, deps=other.deps, parent=other.parent)
            for rule in test_policy_stack.STACK_RULES:
                assert run_stack(rule, stack) == [], (name, path, rule)


_UNKNOWNS = st.sampled_from([UNKNOWN_STRING, UNKNOWN_NUMBER, UNKNOWN_BOOL, UNKNOWN_ARRAY, UNKNOWN_OBJECT])
_SCALARS = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
                     st.integers(-10, 10**7), st.text(max_size=30), _UNKNOWNS,
                     st.sampled_from(["*", "", "100%", "0", "cron(0 2 ? * * *)", "tag:Name", "WindowTargetIds",
                                      "InstanceIds", "RUN_COMMAND", "LAMBDA", "INSTANCE", "{", "[]",
                                      json.dumps({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}),
                                      lab.trust_policy(), lab.PASS_ROLE_POLICY["policy"]]))
_KEYS = st.sampled_from(sorted({key for _, _, props in COMPLIANT for path in leaf_paths(props)
                                for key in path if isinstance(key, str)} | {"key", "values", "name", "policy"}))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(_KEYS, inner, max_size=5)), max_leaves=12)


@settings(max_examples=examples(1000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(resource_type=st.sampled_from(sorted({t for _, t, _ in COMPLIANT})),
       props=st.dictionaries(_KEYS, _VALUES, max_size=8))
def test_random_property_sets_never_crash(resource_type: str, props: dict[str, Any]) -> None:
    """Property sets of any shape (wrong types, nesting, unknowns) give violations, never exceptions."""
    found = run_all_resource_rules(resource_type, props)
    assert all(v.message.startswith(("MaintenanceWindow", "Role", "Policy", "RolePolicy")) for v in found)
    assert all("Fix: " in v.message and v.rule in POLICIES for v in found)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(task_props=st.dictionaries(_KEYS, _VALUES, max_size=8), window_props=st.dictionaries(_KEYS, _VALUES,
                                                                                          max_size=6))
def test_random_stacks_never_crash(task_props: dict[str, Any], window_props: dict[str, Any]) -> None:
    stack = (StackBuilder().add(lab.WINDOW_TYPE, "window", window_props).add(lab.ROLE_TYPE, "role", lab.ROLE)
             .add(lab.TASK_TYPE, "task", task_props, deps={"windowId": ["window"], "serviceRoleArn": ["role"]})
             .add(lab.TARGET_TYPE, "target", task_props, deps={"windowId": ["window"]}))
    for rule in test_policy_stack.STACK_RULES:
        assert all("Fix: " in violation.message for violation in run_stack(rule, stack))


_IAM_KEYS = st.sampled_from(["Version", "Statement", "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource",
                             "Principal", "NotPrincipal", "Condition", "Service", "AWS", "StringEquals",
                             "StringLikeIfExists", "aws:SourceAccount", "aws:SourceArn", "iam:PassedToService"])
_IAM_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(
    ["Allow", "Deny", "*", "iam:PassRole", "iam:*", "sts:AssumeRole", "ssm.amazonaws.com", "ec2.amazonaws.com",
     "arn:aws:iam::123456789012:role/*", "2012-10-17", "123456789012", ""]))
_IAM_JSON = st.recursive(_IAM_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                               st.dictionaries(_IAM_KEYS, inner, max_size=5)),
                         max_leaves=20)


@settings(max_examples=examples(500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=_IAM_JSON, resource_type=st.sampled_from([lab.ROLE_TYPE, lab.POLICY_TYPE, lab.ROLE_POLICY_TYPE]))
def test_random_policy_documents_never_crash(document: Any, resource_type: str) -> None:
    text = json.dumps(document)
    props = {"assumeRolePolicy": text} if resource_type == lab.ROLE_TYPE else {"role": "r", "policy": text}
    assert all("Fix: " in violation.message for violation in run_all_resource_rules(resource_type, props))
