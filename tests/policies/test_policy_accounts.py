"""One stack, several accounts (issue 16): hand-built stacks with the default provider of the deploying account
(123456789012) and an explicit provider per member account (allowedAccountIds and assumeRoles as pulumi-aws sends
them: JSON text), resources under each. The new stack rules, each with passing and failing tables under dev and
prod; iam-cross-account judging against the stack's accounts; the same stacks in wire form through the pack's
servicer; the provider map read once per provider."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import mw_policies
import pytest
from mw_policies import _account
from mw_policies._servicer import Servicer
from policy_cases.harness import (
    UNKNOWN_STRING,
    StackBuilder,
    assert_violations,
    explicit_provider,
    provider,
    run_stack,
    variant,
)
from policy_cases.lab import (
    ACCOUNT,
    ATTACHMENT,
    ATTACHMENT_TYPE,
    ROLE,
    ROLE_ARN,
    ROLE_TYPE,
    TARGET,
    TARGET_TYPE,
    TASK,
    TASK_TYPE,
    WINDOW,
    WINDOW_TYPE,
    trust_policy,
)
from policy_cases.wire import stack_request
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel

MEMBER = "111111111111"
SECOND = "222222222222"
THIRD = "999999999999"
MEMBER_ROLE = f"arn:aws:iam::{MEMBER}:role/workloads-dev-SSMMaintenanceWindowRole"
SECOND_ROLE = f"arn:aws:iam::{SECOND}:role/workloads-prod-SSMMaintenanceWindowRole"
BUCKET_TYPE = "aws:s3/bucket:Bucket"
BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy"
TOPIC_TYPE = "aws:sns/topic:Topic"
TOPIC_POLICY_TYPE = "aws:sns/topicPolicy:TopicPolicy"
BUCKET_NAME = "mw-output-123456789012"
TOPIC_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:mw-notifications"

Edit = Callable[[StackBuilder], None]


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def put_for(*principals: str, **extra: Any) -> dict[str, Any]:
    return {"bucket": BUCKET_NAME, "policy": doc({
        "Sid": "MemberAccountsWriteOutput", "Effect": "Allow", "Principal": {"AWS": list(principals)},
        "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET_NAME}/output/*", **extra})}


def publish_for(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"arn": TOPIC_ARN, "policy": doc({
        "Sid": "MemberRolesPublish", "Effect": "Allow", "Principal": principal, "Action": "sns:Publish",
        "Resource": TOPIC_ARN, **extra})}


HOME = provider({"region": "us-east-1", "allowedAccountIds": json.dumps([ACCOUNT])})
DEV = explicit_provider("account-workloads-dev", MEMBER)
PROD = explicit_provider("account-workloads-prod", SECOND, region="eu-west-1")


def account(builder: StackBuilder, prefix: str, account_id: str, role_arn: str, given: Any) -> StackBuilder:
    """A member account's resources, as engineer A's program names them (``<account name>-<today's name>``), under
    ``given``: the service role, its managed policy, one window with a target and a task running as the role."""
    role = variant(ROLE, {"name": role_arn.rsplit("/", 1)[-1], "assumeRolePolicy": trust_policy(
        condition={"StringEquals": {"aws:SourceAccount": account_id}})})
    return (builder
            .add(ROLE_TYPE, f"{prefix}-role", role, provider=given)
            .add(ATTACHMENT_TYPE, f"{prefix}-role-managed", {**ATTACHMENT, "role": role["name"]},
                 deps={"role": [f"{prefix}-role"]}, provider=given)
            .add(WINDOW_TYPE, f"{prefix}-window", WINDOW, provider=given)
            .add(TARGET_TYPE, f"{prefix}-target", {**TARGET, "windowId": UNKNOWN_STRING},
                 deps={"windowId": [f"{prefix}-window"]}, provider=given)
            .add(TASK_TYPE, f"{prefix}-task", {**TASK, "windowId": UNKNOWN_STRING, "serviceRoleArn": role_arn,
                                               "targets": [{"key": "WindowTargetIds", "values": [UNKNOWN_STRING]}]},
                 deps={"windowId": [f"{prefix}-window"], "targets": [f"{prefix}-target"]}, provider=given))


def org_stack(*edits: Edit) -> StackBuilder:
    """The deploying account with its windows and the central bucket and topic, and two member accounts."""
    builder = StackBuilder(HOME).add_provider(HOME).add_provider(DEV).add_provider(PROD)
    account(builder, "home", ACCOUNT, ROLE_ARN, HOME)
    account(builder, "workloads-dev", MEMBER, MEMBER_ROLE, DEV)
    account(builder, "workloads-prod", SECOND, SECOND_ROLE, PROD)
    builder.add(BUCKET_TYPE, "output", {"bucket": BUCKET_NAME})
    builder.add(BUCKET_POLICY_TYPE, "output-policy", put_for(f"arn:aws:iam::{MEMBER}:root",
                                                            f"arn:aws:iam::{SECOND}:root"))
    builder.add(TOPIC_TYPE, "notifications", {"name": "mw-notifications"})
    builder.add(TOPIC_POLICY_TYPE, "notifications-policy", publish_for({"AWS": [MEMBER_ROLE, SECOND_ROLE]}))
    for edit in edits:
        edit(builder)
    return builder


def props_of(name: str, changes: dict[str, Any]) -> Edit:
    def edit(builder: StackBuilder) -> None:
        builder.items[name].props = variant(builder.items[name].props, changes)
    return edit


def drop(*names: str) -> Edit:
    def edit(builder: StackBuilder) -> None:
        for name in names:
            del builder.items[name]
    return edit


def under(name: str, given: Any) -> Edit:
    def edit(builder: StackBuilder) -> None:
        builder.items[name].provider = given
    return edit


def role_dependency(task: str, role: str) -> Edit:
    """The task's serviceRoleArn unknown (first preview), computed from ``role``."""
    def edit(builder: StackBuilder) -> None:
        builder.items[task].props["serviceRoleArn"] = UNKNOWN_STRING
        builder.items[task].deps["serviceRoleArn"] = [role]
    return edit


def member_by_role_only(builder: StackBuilder) -> None:
    """workloads-dev under a provider that assumes its role and pins nothing (its account: the role's)."""
    role_only = explicit_provider("account-workloads-dev-role-only", MEMBER, allowed=False)
    del builder.items["account-workloads-dev"]
    builder.add_provider(role_only)
    for item in builder.items.values():
        if item.provider is DEV:
            item.provider = role_only


NEW_RULES = ("stack-task-role-account", "stack-account-service-role", "stack-policy-principals")
ORG_RULES = (*NEW_RULES, "iam-cross-account")

# (rule, id, edits, expected fragments or None when compliant, name of the resource the messages name)
CASES: list[tuple[str, str, tuple[Edit, ...], list[str] | None, str]] = [
    # --- stack-task-role-account
    ("stack-task-role-account", "each-task-runs-as-its-accounts-role", (), None, "workloads-dev-task"),
    ("stack-task-role-account", "role-by-dependency-in-the-same-account",
     (role_dependency("workloads-dev-task", "workloads-dev-role"),), None, "workloads-dev-task"),
    ("stack-task-role-account", "window-of-unknown-account",
     (under("workloads-dev-window", provider({"region": "us-east-1"}, name="unpinned")),), None, "workloads-dev-task"),
    ("stack-task-role-account", "member-task-runs-as-the-home-role",
     (props_of("workloads-dev-task", {"serviceRoleArn": ROLE_ARN}),),
     ["serviceRoleArn 'arn:aws:iam::123456789012:role/SSMMaintenanceWindowRole' (the role the task runs as) is a "
      "role of account 123456789012, but the task's window 'workloads-dev-window' is in account 111111111111",
      "pass the service role of account 111111111111"], "workloads-dev-task"),
    ("stack-task-role-account", "home-task-runs-as-a-member-role-by-dependency",
     (role_dependency("home-task", "workloads-prod-role"),),
     ["serviceRoleArn (the ARN of a role of this stack) (the role the task runs as) is a role of account "
      "222222222222", "window 'home-window' is in account 123456789012"], "home-task"),
    ("stack-task-role-account", "notification-role-of-another-account",
     (props_of("workloads-dev-task", {
         "taskInvocationParameters.runCommandParameters.serviceRoleArn": SECOND_ROLE,
         "taskInvocationParameters.runCommandParameters.notificationConfig": {"notificationArn": TOPIC_ARN}}),),
     ["taskInvocationParameters.runCommandParameters.serviceRoleArn "
      "'arn:aws:iam::222222222222:role/workloads-prod-SSMMaintenanceWindowRole' (the role Run Command publishes "
      "notifications as) is a role of account 222222222222"], "workloads-dev-task"),
    # --- stack-account-service-role
    ("stack-account-service-role", "every-account-has-its-role", (), None, "workloads-dev-window"),
    ("stack-account-service-role", "no-windows-no-role-needed",
     (drop("workloads-dev-role", "workloads-dev-role-managed", "workloads-dev-window", "workloads-dev-target",
           "workloads-dev-task"),), None, "workloads-dev-window"),
    ("stack-account-service-role", "a-role-of-unknown-account-could-be-it",
     (under("workloads-dev-role", provider({"region": "us-east-1"}, name="unpinned")),), None, "workloads-dev-window"),
    ("stack-account-service-role", "member-without-a-role",
     (drop("workloads-dev-role", "workloads-dev-role-managed"),),
     ["account 111111111111 has maintenance windows ('workloads-dev-window') but no maintenance window service "
      "role", "create the service role in account 111111111111"], "workloads-dev-window"),
    ("stack-account-service-role", "member-role-created-under-the-home-provider",
     (under("workloads-prod-role", HOME),), ["account 222222222222 has maintenance windows"], "workloads-prod-window"),
    ("stack-account-service-role", "member-role-that-does-not-trust-ssm",
     (props_of("workloads-dev-role", {"assumeRolePolicy": trust_policy("ec2.amazonaws.com")}),),
     ["account 111111111111 has maintenance windows"], "workloads-dev-window"),
    # --- stack-policy-principals
    ("stack-policy-principals", "member-roots-and-member-roles", (), None, "output-policy"),
    ("stack-policy-principals", "anyone-limited-to-the-stacks-accounts",
     (props_of("output-policy", put_for("*", Condition={
         "StringEquals": {"aws:PrincipalAccount": [ACCOUNT, MEMBER, SECOND]}})),), None, "output-policy"),
    ("stack-policy-principals", "anyone-limited-to-member-role-arns",
     (props_of("notifications-policy", publish_for("*", Condition={
         "ArnEquals": {"aws:PrincipalArn": [MEMBER_ROLE, SECOND_ROLE]}})),), None, "notifications-policy"),
    ("stack-policy-principals", "service-principal-is-not-an-account",
     (props_of("notifications-policy", publish_for({"Service": "events.amazonaws.com"})),), None,
     "notifications-policy"),
    ("stack-policy-principals", "deny-to-anyone",
     (props_of("output-policy", put_for("*", Effect="Deny", Condition={"Bool": {"aws:SecureTransport": "false"}})),),
     None, "output-policy"),
    ("stack-policy-principals", "topic-open-to-anyone",
     (props_of("notifications-policy", publish_for({"AWS": "*"})),),
     ["policy (statement 'MemberRolesPublish') allows sns:Publish to any principal (*) and no aws:PrincipalAccount "
      "or aws:PrincipalArn condition limits it to the stack's accounts (allowed: 111111111111, 123456789012, "
      "222222222222)", 'aws:PrincipalAccount": [<the stack\'s accounts>]'], "notifications-policy"),
    ("stack-policy-principals", "bucket-for-the-whole-organization",
     (props_of("output-policy", put_for("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})),),
     ["admits every account of the organization"], "output-policy"),
    ("stack-policy-principals", "condition-naming-a-third-account",
     (props_of("output-policy", put_for("*", Condition={
         "StringEquals": {"aws:PrincipalAccount": [MEMBER, THIRD]}})),),
     ["its condition admits aws:PrincipalAccount '999999999999', outside the stack's accounts"], "output-policy"),
    ("stack-policy-principals", "topic-attribute-policy-with-a-third-accounts-arn",
     (props_of("notifications", {"policy": publish_for("*", Condition={
         "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{THIRD}:role/*"}})["policy"]}),),
     ["aws:PrincipalArn 'arn:aws:iam::999999999999:role/*'"], "notifications"),
    # --- iam-cross-account on the stack's accounts
    ("iam-cross-account", "member-accounts-are-the-stacks-own", (), None, "output-policy"),
    ("iam-cross-account", "member-account-by-assumed-role-only",
     (member_by_role_only,), None, "output-policy"),
    ("iam-cross-account", "bucket-policy-for-a-third-account",
     (props_of("output-policy", put_for(f"arn:aws:iam::{MEMBER}:root", f"arn:aws:iam::{THIRD}:root")),),
     ["Principal 'arn:aws:iam::999999999999:root' is in account 999999999999, not one of the stack's accounts "
      "(allowed: 111111111111, 123456789012, 222222222222)", "that account's identities may act on this resource"],
     "output-policy"),
    ("iam-cross-account", "member-task-runs-as-a-third-accounts-role",
     (props_of("workloads-dev-task", {"serviceRoleArn": f"arn:aws:iam::{THIRD}:role/R"}),),
     ["serviceRoleArn 'arn:aws:iam::999999999999:role/R' is in account 999999999999"], "workloads-dev-task"),
]


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize(("rule", "case_id", "edits", "expect", "name"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_org_rule(rule: str, case_id: str, edits: tuple[Edit, ...], expect: list[str] | None, name: str,
                  env: str) -> None:
    found = run_stack(rule, org_stack(*edits), env=env)
    if expect is None:
        assert found == []
    else:
        assert_violations(found, rule, env, expect, name)
        assert all(v.urn is not None and v.urn.endswith(f"::{name}") for v in found), found


def test_the_org_stack_passes_every_stack_rule() -> None:
    """The compliant stack of the tables passes every stack rule of the pack, not just the new ones."""
    stack = org_stack()
    # The bucket's safeguards (encryption, versioning, ...) are not part of these stacks.
    found = [v for policy in mw_policies.ALL_POLICIES if policy.name.startswith(("stack-", "iam-cross-account"))
             and policy.name != "stack-bucket-safeguards" for v in run_stack(policy.name, stack)]
    assert found == []


def test_windows_of_different_accounts_never_overlap() -> None:
    """Two windows open at the same time on the same tags, in two accounts: a managed node is in one account, so
    they cannot share one; in the same account they are reported."""
    assert run_stack("stack-window-overlap", org_stack()) == []
    found = run_stack("stack-window-overlap", org_stack(under("workloads-dev-window", HOME),
                                                         under("workloads-dev-target", HOME)))
    assert found and "'home-window'" in found[0].message and "'workloads-dev-window'" in found[0].message


def test_a_third_account_is_still_foreign_in_one_account_stacks() -> None:
    """Without member providers the stack's only account is the deploying one, and the message says so."""
    stack = (StackBuilder(HOME).add(BUCKET_POLICY_TYPE, "p", put_for(f"arn:aws:iam::{MEMBER}:root")))
    found = run_stack("iam-cross-account", stack)
    assert_violations(found, "iam-cross-account", "prod", ["is in account 111111111111, not the deploying account "
                                                           "(allowed: 123456789012)"], "p")


@pytest.mark.parametrize(("inputs", "status", "accounts"), [
    ({"allowedAccountIds": json.dumps([MEMBER])}, "pinned", {MEMBER}),
    ({"allowedAccountIds": [MEMBER]}, "pinned", {MEMBER}),
    # Only a role: its account (the last role of a chain is the one whose credentials the provider uses).
    ({"assumeRoles": json.dumps([{"roleArn": f"arn:aws:iam::{MEMBER}:role/A"}])}, "pinned", {MEMBER}),
    ({"assumeRoles": [{"roleArn": f"arn:aws:iam::{SECOND}:role/Hop"}, {"roleArn": f"arn:aws:iam::{MEMBER}:role/A"}]},
     "pinned", {MEMBER}),
    ({"assumeRoles": json.dumps([{"role_arn": f"arn:aws:iam::{MEMBER}:role/A"}])}, "pinned", {MEMBER}),
    # allowedAccountIds wins over the role (the provider refuses credentials of any other account).
    ({"allowedAccountIds": [SECOND], "assumeRoles": [{"roleArn": f"arn:aws:iam::{MEMBER}:role/A"}]}, "pinned",
     {SECOND}),
    ({"assumeRoles": UNKNOWN_STRING}, "unknown", set()),
    ({"assumeRoles": [{"roleArn": UNKNOWN_STRING}]}, "unknown", set()),
    ({"assumeRoles": "[]"}, "unpinned", set()),
    ({"assumeRoles": [{"roleArn": "arn:aws:iam::*:role/A"}]}, "unpinned", set()),
    ({"assumeRoles": "not json"}, "unpinned", set()),
])
def test_a_providers_account(inputs: dict[str, Any], status: str, accounts: set[str]) -> None:
    given = provider({"region": "us-east-1", **inputs})
    pin = _account.provider_pin(given)
    assert (pin.status, set(pin.accounts)) == (status, accounts)


def test_a_provider_pinned_by_its_role_only_is_still_reported_unpinned() -> None:
    """stack-account-pinned asks for allowedAccountIds even when the assumed role names the account."""
    role_only = explicit_provider("account-workloads-dev", MEMBER, allowed=False)
    found = run_stack("stack-account-pinned", StackBuilder(role_only).add_provider(role_only).add(
        WINDOW_TYPE, "w", WINDOW))
    assert_violations(found, "stack-account-pinned", "prod",
                      ["the provider assumes a role in account 111111111111", 'allowedAccountIds: ["111111111111"]'],
                      "account-workloads-dev")


def test_the_provider_map_is_read_once_per_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every rule that needs accounts reads each provider once per stack, whatever the number of resources."""
    calls: list[Any] = []
    read = _account.read_pin

    def counting(props: dict[str, Any]) -> Any:
        calls.append(props)
        return read(props)

    monkeypatch.setattr(_account, "read_pin", counting)
    small, large = org_stack(), org_stack()
    for index in range(200):
        large.add(WINDOW_TYPE, f"extra-{index}", WINDOW, provider=DEV if index % 2 else PROD)
    counts = []
    for stack in (small, large):
        calls.clear()
        for rule in ORG_RULES:
            run_stack(rule, stack)
        counts.append(len(calls))
    assert counts[0] == counts[1] == 3 * len(ORG_RULES)


def _servicer_answer(stack: StackBuilder) -> set[tuple[str, str]]:
    """(rule, resource name) of each violation of :data:`ORG_RULES` the pack's servicer reports on the stack in wire
    form, every rule at its default (prod) level."""
    servicer = Servicer(mw_policies.PACK_NAME, "0.0.1", mw_policies.ALL_POLICIES, EnforcementLevel.MANDATORY)
    servicer.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(stack="org", project="maintenance-windows"),
                            None)
    response = servicer.AnalyzeStack(stack_request(stack), None)
    return {(d.policyName, d.urn.rsplit("::", 1)[-1]) for d in response.diagnostics if d.policyName in ORG_RULES}


def test_the_servicer_reads_providers_from_the_wire() -> None:
    """The same stacks as AnalyzeStack requests (each resource with its provider, the providers themselves among
    the resources): the compliant stack passes, and each broken copy fails with its rule."""
    assert _servicer_answer(org_stack()) == set()
    broken = org_stack(drop("workloads-dev-role", "workloads-dev-role-managed"),
                       props_of("home-task", {"serviceRoleArn": SECOND_ROLE}),
                       props_of("notifications-policy", publish_for({"AWS": "*"})),
                       props_of("output-policy", put_for(f"arn:aws:iam::{THIRD}:root")))
    assert _servicer_answer(broken) == {
        ("stack-account-service-role", "workloads-dev-window"),
        ("stack-task-role-account", "home-task"),
        ("stack-policy-principals", "notifications-policy"),
        ("iam-cross-account", "output-policy"),
    }
