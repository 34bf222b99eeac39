"""Calling the policy pack's rules directly, the way pulumi_policy's servicer calls them.

Properties go through pulumi_policy's own ``unknown_checking_proxy``, so unknown values raise exactly as
they do under the engine; enforcement levels come from ``policies/config/<env>.json`` over each rule's
default, as the CLI's ``--policy-pack-config`` applies them.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mw_policies
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = ROOT / "policies" / "config"
ENVS = ("dev", "prod")

POLICIES: dict[str, Policy] = {p.name: p for p in mw_policies.ALL_POLICIES}

# The engine's placeholders for values unknown during preview (pulumi_policy.proxy).
UNKNOWN_BOOL = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7"
UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421"
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2"
UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff"

# The levels this project promises (policies/README.md): AWS hard limits and "nothing that can delete logs"
# mandatory everywhere, security and rate control advisory in dev and mandatory in prod, best practice advisory.
M, A = "mandatory", "advisory"
EXPECTED_LEVELS: dict[str, tuple[str, str]] = {
    "window-duration": (M, M),
    "window-cutoff": (M, M),
    "window-task-time": (A, A),
    "window-schedule": (M, M),
    "window-schedule-offset": (M, M),
    "window-timezone": (M, M),
    "window-active-period": (M, M),
    "window-name-description": (M, M),
    "window-registered-targets": (A, M),
    "target-resource-type": (M, M),
    "target-targets": (M, M),
    "target-name-description": (M, M),
    "task-type": (M, M),
    "task-rate-control-format": (M, M),
    "task-targets": (M, M),
    "task-priority": (M, M),
    "task-cutoff-behavior": (M, M),
    "task-name-description": (M, M),
    "task-run-command-parameters": (M, M),
    "task-automation-parameters": (M, M),
    "task-lambda-parameters": (M, M),
    "task-step-functions-parameters": (M, M),
    "task-service-role": (A, M),
    "task-notification-role": (A, M),
    "task-rate-control": (A, M),
    "iam-policy-document": (M, M),
    "iam-trusted-principals": (A, M),
    "iam-confused-deputy": (A, M),
    "iam-permissions-boundary": (M, M),
    "iam-passrole-resource": (M, M),
    "iam-passrole-condition": (A, M),
    "iam-no-wildcard-actions": (A, M),
    "iam-resource-scope": (A, M),
    "iam-cross-account": (A, M),
    "s3-bucket-force-destroy": (M, M),
    "s3-bucket-protect": (A, M),
    "s3-public-access-block": (A, M),
    "s3-bucket-encryption": (M, M),
    "s3-bucket-versioning": (A, M),
    "s3-bucket-policy": (A, M),
    "s3-bucket-ownership": (A, A),
    "s3-bucket-retention": (A, M),
    "s3-lifecycle-days": (M, M),
    "sns-topic-encryption": (A, M),
    "cloudwatch-log-retention-value": (M, M),
    "cloudwatch-log-retention": (A, M),
    "patch-baseline-limits": (M, M),
    "patch-baseline-rejected-patches": (A, A),
    "patch-group-limits": (M, M),
    "aws-tags": (M, M),
    "aws-region": (M, M),
    "stack-window-membership": (M, M),
    "stack-window-complete": (A, M),
    "stack-managed-policy": (A, M),
    "stack-task-service-role": (A, M),
    "stack-invoke-access": (A, M),
    "stack-task-output-bucket": (A, M),
    "stack-account-pinned": (A, M),
    "stack-bucket-safeguards": (A, M),
    "stack-window-overlap": (A, A),
    "stack-task-role-account": (M, M),
    "stack-account-service-role": (A, M),
    "stack-policy-principals": (A, M),
}


# Stack rules keep the stack- prefix, except a rule that became one and keeps its public name (policy configs name
# it): iam-cross-account judges each resource against all the stack's providers (issue 16).
RENAMED_NEVER = ("iam-cross-account",)


def is_stack_rule(rule: str) -> bool:
    """Whether ``rule`` is a stack rule (AnalyzeStack), by the pack's naming."""
    return rule.startswith("stack-") or rule in RENAMED_NEVER


def load_config(env: str) -> dict[str, Any]:
    return json.loads((CONFIG_DIR / f"{env}.json").read_text())


def level(rule: str, env: str) -> str:
    """The rule's effective enforcement level under ``policies/config/<env>.json``."""
    entry = load_config(env).get(rule)
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and "enforcementLevel" in entry:
        return entry["enforcementLevel"]
    default = POLICIES[rule].enforcement_level or EnforcementLevel.ADVISORY
    return default.value


def rule_config(rule: str, env: str) -> dict[str, Any] | None:
    """The rule's config properties under ``<env>.json`` (as the servicer passes them: None if empty)."""
    entry = load_config(env).get(rule)
    if not isinstance(entry, dict):
        return None
    properties = {k: v for k, v in entry.items() if k != "enforcementLevel"}
    return properties or None


@dataclass(frozen=True)
class Violation:
    rule: str
    level: str
    message: str
    urn: str | None = None


def options(parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:test::maintenance-windows::{resource_type}::{name}"


AWS_PROVIDER = "pulumi:providers:aws"
PINNED_ACCOUNT = "123456789012"


def provider(props: Mapping[str, Any] | None = None, name: str = "default_7_51_1") -> PolicyProviderResource:
    """An AWS provider as pulumi-policy hands it to rules (``args.provider``, ``PolicyResource.provider``); by
    default the prod stack's: us-east-1, pinned to :data:`PINNED_ACCOUNT`."""
    inputs = {"region": "us-east-1", "allowedAccountIds": [PINNED_ACCOUNT]} if props is None else dict(props)
    return PolicyProviderResource(AWS_PROVIDER, unknown_checking_proxy(copy.deepcopy(inputs)),
                                  f"urn:pulumi:test::maintenance-windows::{AWS_PROVIDER}::{name}", name)


def plain(value: Any) -> Any:
    """A proxied property value (``PolicyProviderResource.props``) as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {k: plain(value[k]) for k in value}
    if isinstance(value, (list, tuple)) or (hasattr(value, "__getitem__") and hasattr(value, "__len__")
                                            and not isinstance(value, str)):
        return [plain(value[i]) for i in range(len(value))]
    return value


def explicit_provider(name: str, account: str, *, region: str = "us-east-1", allowed: bool = True,
                      role: str = "OrganizationAccountAccessRole") -> PolicyProviderResource:
    """An explicit provider as pulumi-aws's Provider registers it (engineer A's ``account-<name>``): list inputs as
    JSON text (``pulumi.runtime.to_json``), assuming ``role`` in ``account``, pinned to it unless ``allowed`` is
    False."""
    inputs: dict[str, Any] = {"region": region, "assumeRoles": json.dumps(
        [{"roleArn": f"arn:aws:iam::{account}:role/{role}", "sessionName": "maintenance-windows"}])}
    if allowed:
        inputs["allowedAccountIds"] = json.dumps([account])
    return provider(inputs, name=name)


def resource_args(resource_type: str, props: Mapping[str, Any], name: str = "res",
                  config: Mapping[str, Any] | None = None,
                  provider: PolicyProviderResource | None = None) -> ResourceValidationArgs:
    proxied = unknown_checking_proxy(copy.deepcopy(dict(props)))
    return ResourceValidationArgs(resource_type, proxied, urn(resource_type, name), name, options(), provider,
                                  config)


def run_resource(rule: str, resource_type: str, props: Mapping[str, Any], *, env: str = "prod",
                 name: str = "res", config: Mapping[str, Any] | None = None,
                 provider: PolicyProviderResource | None = None) -> list[Violation]:
    """Run one resource rule on one resource; ``config`` overrides the env's config properties; ``provider``
    is the resource's provider (none by default, as a caller other than the engine may send)."""
    policy = POLICIES[rule]
    if isinstance(policy, StackValidationPolicy):
        # A stack rule that judges resources one by one (iam-cross-account): the resource as a stack of its own.
        alone = StackBuilder().add(resource_type, name, props, provider=provider)
        return run_stack(rule, alone, env=env, config=config)
    assert isinstance(policy, ResourceValidationPolicy)
    found: list[Violation] = []
    args = resource_args(resource_type, props, name, config if config is not None else rule_config(rule, env),
                         provider)

    def report(message: str, urn: str | None = None) -> None:
        found.append(Violation(rule, level(rule, env), message, urn))

    policy.validate(args, report)
    return found


def run_all_resource_rules(resource_type: str, props: Mapping[str, Any], *, env: str = "prod",
                           name: str = "res", provider: PolicyProviderResource | None = None) -> list[Violation]:
    found: list[Violation] = []
    for rule, policy in POLICIES.items():
        if isinstance(policy, ResourceValidationPolicy):
            found.extend(run_resource(rule, resource_type, props, env=env, name=name, provider=provider))
    return found


@dataclass
class StackResource:
    resource_type: str
    name: str
    props: dict[str, Any]
    deps: dict[str, list[str]] = field(default_factory=dict)
    parent: str | None = None
    provider: PolicyProviderResource | None = None


class StackBuilder:
    """A hand-built stack: resources by name, property dependencies by the names they point at."""

    def __init__(self, provider: PolicyProviderResource | None = None) -> None:
        self.items: dict[str, StackResource] = {}
        # The provider of every custom (aws:...) resource added from now on, unless add() names one.
        self.provider = provider

    def add(self, resource_type: str, name: str, props: Mapping[str, Any], *,
            deps: Mapping[str, Iterable[str]] | None = None, parent: str | None = None,
            provider: PolicyProviderResource | None = None) -> StackBuilder:
        assert name not in self.items, name
        if provider is None and resource_type.startswith("aws:"):
            provider = self.provider
        self.items[name] = StackResource(resource_type, name, copy.deepcopy(dict(props)),
                                         {k: list(v) for k, v in (deps or {}).items()}, parent, provider)
        return self

    def add_provider(self, given: PolicyProviderResource) -> StackBuilder:
        """The provider itself as a resource of the stack (AnalyzeStack sends explicit providers too)."""
        self.items[given.name] = StackResource(AWS_PROVIDER, given.name, plain(given.props))
        return self

    def pinned(self, accounts: Any = (PINNED_ACCOUNT,), region: str = "us-east-1") -> StackBuilder:
        """The same stack with every AWS resource's provider pinned to ``accounts`` (a list, or JSON text)."""
        inputs = {"region": region, "allowedAccountIds": list(accounts) if isinstance(accounts, tuple) else accounts}
        out = StackBuilder(provider(inputs))
        for item in self.items.values():
            out.add(item.resource_type, item.name, item.props, deps=item.deps, parent=item.parent)
        return out

    def build(self) -> list[PolicyResource]:
        """PolicyResources linked like pulumi_policy's servicer links them for AnalyzeStack."""
        made: dict[str, PolicyResource] = {}
        for item in self.items.values():
            made[item.name] = PolicyResource(
                item.resource_type, unknown_checking_proxy(copy.deepcopy(item.props)),
                urn(item.resource_type, item.name), item.name, options(), item.provider, None, [], {})
        for item in self.items.values():
            resource = made[item.name]
            if item.parent is not None:
                resource.parent = made[item.parent]
            for key, names in item.deps.items():
                resource.property_dependencies[key] = [made[n] for n in names]
                resource.dependencies.extend(made[n] for n in names if made[n] not in resource.dependencies)
        return list(made.values())


def run_stack(rule: str, stack: StackBuilder | list[PolicyResource], *, env: str = "prod",
              config: Mapping[str, Any] | None = None) -> list[Violation]:
    policy = POLICIES[rule]
    assert isinstance(policy, StackValidationPolicy)
    resources = stack.build() if isinstance(stack, StackBuilder) else stack
    found: list[Violation] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(Violation(rule, level(rule, env), message, urn))

    args = StackValidationArgs(resources, config if config is not None else rule_config(rule, env))
    policy.validate(args, report)
    return found


# --- editing property sets ------------------------------------------------------------------------

_DELETE = object()
DELETE: Any = _DELETE


def variant(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``base`` with ``changes`` applied; keys are dotted paths (``a.b.0.c``), a value of
    DELETE removes the key."""
    out = copy.deepcopy(dict(base))
    for path, value in changes.items():
        parts = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = out
        for part in parts[:-1]:
            node = node[part]
        if value is _DELETE:
            del node[parts[-1]]
        else:
            node[parts[-1]] = copy.deepcopy(value)
    return out


def leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterable[tuple[Any, ...]]:
    """Every path into ``value``: each key and index, containers included."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from leaf_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from leaf_paths(item, (*prefix, index))


def unknown_for(value: Any) -> str:
    if isinstance(value, bool):
        return UNKNOWN_BOOL
    if isinstance(value, (int, float)):
        return UNKNOWN_NUMBER
    if isinstance(value, list):
        return UNKNOWN_ARRAY
    if isinstance(value, dict):
        return UNKNOWN_OBJECT
    return UNKNOWN_STRING


def with_unknown(base: Mapping[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    """``base`` with the value at ``path`` replaced by the matching unknown placeholder."""
    out = copy.deepcopy(dict(base))
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = unknown_for(node[path[-1]])
    return out


def assert_violations(found: list[Violation], rule: str, env: str, expect: Iterable[str], name: str) -> None:
    """At least one violation, each of ``rule`` at its env's level, naming the resource and the fix, and
    the messages together containing every expected fragment."""
    assert found, f"{rule}: expected a violation containing {list(expect)}"
    for violation in found:
        assert violation.rule == rule
        assert violation.level == EXPECTED_LEVELS[rule][ENVS.index(env)]
        assert f"'{name}'" in violation.message, violation.message
        assert "Fix: " in violation.message, violation.message
    text = "\n".join(v.message for v in found)
    for fragment in expect:
        assert fragment in text, f"{fragment!r} not in:\n{text}"


# --- bounded runs --------------------------------------------------------------------------------

def run_bounded(code: str, *, timeout: float = 60) -> str:
    """Run ``code`` in a fresh interpreter with the pack and the test helpers importable; its stdout.

    For inputs that used to take exponential or quadratic time: a hang or a blow-up becomes a test failure
    after ``timeout`` seconds (generous: the fixed code takes a fraction of that) instead of a stuck suite.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "policies"), str(ROOT / "tests"), str(ROOT / "tests" / "policies")])}
    try:
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"not finished within {timeout} s") from None
    assert done.returncode == 0, done.stderr
    return done.stdout


def stack_work(resources: list[PolicyResource], rules: Iterable[str], monkeypatch: Any) -> int:
    """The work of running stack ``rules`` over ``resources``, counted without a clock: property reads,
    resources handed out by type (each is then looked at) and wildcard matches. ``monkeypatch`` is pytest's."""
    from mw_policies import _iam, _stack

    counted = {"work": 0}
    props, of_type, matches = _stack.Stack.props, _stack.Stack.of_type, _iam.arn_matches

    def counting_props(self: Any, resource: PolicyResource) -> Any:
        counted["work"] += 1
        return props(self, resource)

    def counting_of_type(self: Any, resource_type: str) -> Any:
        found = of_type(self, resource_type)
        counted["work"] += len(found)
        return found

    def counting_matches(pattern: str, arn: str) -> bool:
        counted["work"] += 1
        return matches(pattern, arn)

    with monkeypatch.context() as patch:
        patch.setattr(_stack.Stack, "props", counting_props)
        patch.setattr(_stack.Stack, "of_type", counting_of_type)
        patch.setattr(_iam, "arn_matches", counting_matches)
        for rule in rules:
            run_stack(rule, resources)
    return counted["work"]
