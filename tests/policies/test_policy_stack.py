"""Stack rules over hand-built stacks: during preview (links are property dependencies, IDs unknown) and
after deployment (IDs and ARNs known, links by value)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from policy_cases.harness import (
    AWS_PROVIDER,
    DELETE,
    UNKNOWN_ARRAY,
    UNKNOWN_STRING,
    StackBuilder,
    assert_violations,
    provider,
    run_bounded,
    run_stack,
    stack_work,
    variant,
)
from policy_cases.lab import (
    ACCOUNT,
    ATTACHMENT,
    ATTACHMENT_TYPE,
    LAMBDA_TASK,
    MANAGED_POLICY,
    POLICY_TYPE,
    ROLE,
    ROLE_ARN,
    ROLE_NAME,
    ROLE_POLICY_TYPE,
    ROLE_TYPE,
    STEP_FUNCTIONS_TASK,
    TARGET,
    TARGET_ID,
    TARGET_TYPE,
    TASK,
    TASK_TYPE,
    WINDOW,
    WINDOW_ID,
    WINDOW_TYPE,
    lab_stack,
    trust_policy,
)

STACK_RULES = ["stack-window-membership", "stack-window-complete", "stack-managed-policy",
               "stack-task-service-role", "stack-invoke-access", "stack-task-output-bucket", "stack-account-pinned"]
OTHER_WINDOW_ID = "mw-0ffffffffffffffff"
LAMBDA_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:rotate-logs"
STATE_MACHINE_ARN = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:nightly"


def deployed_stack() -> StackBuilder:
    """The lab after deployment, linked by known values only (no property dependencies)."""
    return (
        StackBuilder()
        .add(ROLE_TYPE, "role", {**ROLE, "arn": ROLE_ARN})
        .add(ATTACHMENT_TYPE, "role-managed", ATTACHMENT)
        .add(WINDOW_TYPE, "window", {**WINDOW, "id": WINDOW_ID})
        .add(TARGET_TYPE, "target", {**TARGET, "id": TARGET_ID})
        .add(TASK_TYPE, "task", TASK)
    )


def grant(action: str, resource: str) -> dict[str, Any]:
    return {"role": ROLE_NAME, "name": "invoke", "policy": json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})}


def lambda_stack(task: dict[str, Any], *extra: tuple[str, str, dict[str, Any], dict[str, list[str]]],
                 task_arn_from: str | None = None) -> StackBuilder:
    """The lab plus a task 'rotate' (and ``extra`` resources); its taskArn may depend on one of them."""
    stack = lab_stack()
    for resource_type, name, props, deps in extra:
        stack.add(resource_type, name, props, deps=deps)
    deps = {"windowId": ["window"], "serviceRoleArn": ["role"]}
    if task_arn_from:
        deps["taskArn"] = [task_arn_from]
    return stack.add(TASK_TYPE, "rotate", task, deps=deps)


def second_window(stack: StackBuilder, **window: Any) -> StackBuilder:
    return stack.add(WINDOW_TYPE, "window-2", {**WINDOW, "name": "Second", **window})


OTHER = "999999999999"
RC = "taskInvocationParameters.runCommandParameters"
BUCKET_TYPE = "aws:s3/bucket:Bucket"
OUTPUT_BUCKET = "mw-output-123456789012"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:mw-notifications"


def run_as(stack: StackBuilder, arn: str, **deps: list[str]) -> StackBuilder:
    """``stack`` plus a task 'task-2' of the lab's window whose serviceRoleArn is ``arn``."""
    return stack.add(TASK_TYPE, "task-2", variant(TASK, {"serviceRoleArn": arn}), deps=deps or None)


def role_with(**props: Any) -> StackBuilder:
    """A pinned stack (us-east-1, account 123456789012) with the lab role during a preview (its arn unknown)."""
    return StackBuilder(provider()).add(ROLE_TYPE, "role", {**ROLE, "arn": UNKNOWN_STRING, **props})


def notify_as(stack: StackBuilder, arn: Any, **deps: list[str]) -> StackBuilder:
    """``stack`` plus a task 'task-2' that notifies the lab topic as ``arn`` (its Run Command notification role)."""
    task = variant(TASK, {f"{RC}.serviceRoleArn": arn, f"{RC}.notificationConfig": {"notificationArn": TOPIC}})
    return stack.add(TASK_TYPE, "task-2", task, deps=deps or None)


def output_to(value: Any, *, bucket: dict[str, Any] | None = None, depends: bool = True) -> StackBuilder:
    """The lab preview with the stack's output bucket and a task 'task-2' writing its output to ``value``."""
    stack = lab_stack().add(BUCKET_TYPE, "output-bucket", bucket if bucket is not None else {"bucket": OUTPUT_BUCKET})
    task = variant(TASK, {f"{RC}.outputS3Bucket": value, f"{RC}.outputS3KeyPrefix": "patch/"})
    deps = {"windowId": ["window"], "serviceRoleArn": ["role"]}
    if depends:
        deps["taskInvocationParameters"] = ["output-bucket"]
    return stack.add(TASK_TYPE, "task-2", task, deps=deps)


def with_provider_resource(stack: StackBuilder, inputs: dict[str, Any]) -> StackBuilder:
    """``stack`` with its AWS provider also listed as a resource (as the engine lists it for AnalyzeStack)."""
    return stack.add(AWS_PROVIDER, "default_7_51_1", inputs)


# (rule, id, build the stack, expected fragments or None when compliant, the resource the messages name)
CASES: list[tuple[str, str, Callable[[], StackBuilder], list[str] | None, str]] = [
    *[(rule, "lab-preview", lab_stack, None, "") for rule in STACK_RULES],
    *[(rule, "lab-deployed", deployed_stack, None, "") for rule in STACK_RULES],
    ("stack-window-membership", "through-component",
     lambda: lab_stack().add(TARGET_TYPE, "target-2", TARGET, deps={"windowId": ["patching"]}), None, ""),
    ("stack-window-membership", "unknown-id-no-dependency",
     lambda: lab_stack().add(TARGET_TYPE, "target-2", variant(TARGET, {"windowId": UNKNOWN_STRING})), None, ""),
    ("stack-window-membership", "foreign-window",
     lambda: lab_stack().add(TARGET_TYPE, "stray", variant(TARGET, {"windowId": OTHER_WINDOW_ID})),
     ["windowId 'mw-0ffffffffffffffff' is not a maintenance window of this stack"], "stray"),
    ("stack-window-membership", "malformed-window-id",
     lambda: lab_stack().add(TASK_TYPE, "stray", variant(TASK, {"windowId": "window-1"})),
     ["windowId 'window-1' ('window-1' is 8 characters long", "not a maintenance window of this stack"], "stray"),
    ("stack-window-membership", "no-window-id",
     lambda: lab_stack().add(TARGET_TYPE, "stray", variant(TARGET, {"windowId": DELETE})),
     ["windowId is null (AWS requires it)"], "stray"),
    ("stack-window-membership", "target-of-other-window",
     lambda: second_window(lab_stack())
     .add(TARGET_TYPE, "target-2", TARGET, deps={"windowId": ["window-2"]})
     .add(TASK_TYPE, "task-2", TASK, deps={"windowId": ["window"], "targets": ["target-2"],
                                           "serviceRoleArn": ["role"]}),
     ["window target 'target-2' is registered with window 'window-2', not with this task's window 'window'"],
     "task-2"),
    ("stack-window-membership", "target-of-other-window-deployed",
     lambda: second_window(deployed_stack(), id=OTHER_WINDOW_ID)
     .add(TARGET_TYPE, "target-2", {**TARGET, "windowId": OTHER_WINDOW_ID, "id": "00000000-0000-4000-8000-000000000002"})
     .add(TASK_TYPE, "task-2", variant(TASK, {"targets.0.values": ["00000000-0000-4000-8000-000000000002"]})),
     ["registered with window 'window-2', not with this task's window 'window'"], "task-2"),
    ("stack-window-membership", "unknown-target-id",
     lambda: deployed_stack().add(TASK_TYPE, "task-2", variant(TASK, {
         "targets.0.values": ["00000000-0000-4000-8000-0000000000ff"]})),
     ["WindowTargetIds value '00000000-0000-4000-8000-0000000000ff' is not a window target of this stack"], "task-2"),
    ("stack-window-membership", "instances-on-registered-only-window",
     lambda: lab_stack().add(TASK_TYPE, "task-2", variant(TASK, {
         "targets": [{"key": "InstanceIds", "values": ["i-0123456789abcdef0"]}]}), deps={"windowId": ["window"]}),
     ["names InstanceIds but its window 'window' has allowUnassociatedTargets false"], "task-2"),
    ("stack-window-complete", "targetless-tasks-need-no-target",
     lambda: second_window(lab_stack()).add(TASK_TYPE, "rotate", LAMBDA_TASK, deps={"windowId": ["window-2"]}),
     None, ""),
    ("stack-window-complete", "unassociated-instances",
     lambda: second_window(lab_stack(), allowUnassociatedTargets=True).add(TASK_TYPE, "task-2", variant(TASK, {
         "targets": [{"key": "InstanceIds", "values": ["i-0123456789abcdef0"]}]}), deps={"windowId": ["window-2"]}),
     None, ""),
    ("stack-window-complete", "window-without-anything", lambda: second_window(lab_stack()),
     ["'window-2': the window has no task", "the window has no registered target"], "window-2"),
    ("stack-window-complete", "window-without-task",
     lambda: second_window(lab_stack()).add(TARGET_TYPE, "target-2", TARGET, deps={"windowId": ["window-2"]}),
     ["the window has no task, so it opens and does nothing"], "window-2"),
    ("stack-window-complete", "window-without-target",
     lambda: second_window(lab_stack()).add(TASK_TYPE, "task-2", variant(TASK, {
         "targets": [{"key": "InstanceIds", "values": ["i-0123456789abcdef0"]}]}), deps={"windowId": ["window-2"]}),
     ["the window has no registered target"], "window-2"),
    ("stack-managed-policy", "by-role-name", lambda: deployed_stack(), None, ""),
    ("stack-managed-policy", "china", lambda: StackBuilder().add(ROLE_TYPE, "role", ROLE).add(
        ATTACHMENT_TYPE, "a", {"role": ROLE_NAME, "policyArn": MANAGED_POLICY.replace(":aws:", ":aws-cn:", 1)}),
     None, ""),
    ("stack-managed-policy", "managed-policy-arns",
     lambda: StackBuilder().add(ROLE_TYPE, "role", {**ROLE, "managedPolicyArns": [MANAGED_POLICY]}), None, ""),
    ("stack-managed-policy", "unknown-policy-arn", lambda: StackBuilder().add(ROLE_TYPE, "role", ROLE).add(
        ATTACHMENT_TYPE, "a", {"role": ROLE_NAME, "policyArn": UNKNOWN_STRING}), None, ""),
    ("stack-managed-policy", "unknown-role-name", lambda: StackBuilder().add(ROLE_TYPE, "role", ROLE).add(
        ATTACHMENT_TYPE, "a", {"role": UNKNOWN_STRING, "policyArn": MANAGED_POLICY}), None, ""),
    ("stack-managed-policy", "not-a-service-role", lambda: StackBuilder().add(
        ROLE_TYPE, "role", {"name": "fn", "assumeRolePolicy": trust_policy("lambda.amazonaws.com")}), None, ""),
    ("stack-managed-policy", "none", lambda: StackBuilder().add(ROLE_TYPE, "role", ROLE),
     ["has no AmazonSSMMaintenanceWindowRole attached (attached: none)"], "role"),
    ("stack-managed-policy", "other-policy", lambda: StackBuilder().add(ROLE_TYPE, "role", ROLE).add(
        ATTACHMENT_TYPE, "a", {"role": ROLE_NAME, "policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}),
     ["(attached: arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore)"], "role"),
    ("stack-managed-policy", "attached-to-another-role", lambda: StackBuilder().add(ROLE_TYPE, "role", ROLE).add(
        ATTACHMENT_TYPE, "a", {"role": "SomeoneElse", "policyArn": MANAGED_POLICY}),
     ["has no AmazonSSMMaintenanceWindowRole attached"], "role"),
    ("stack-task-service-role", "arn-from-name",
     lambda: StackBuilder().add(ROLE_TYPE, "role", {**ROLE, "arn": UNKNOWN_STRING}).add(TASK_TYPE, "task", TASK),
     None, ""),
    ("stack-task-service-role", "through-component",
     lambda: lab_stack().add(TASK_TYPE, "task-2", TASK, deps={"windowId": ["window"], "targets": ["target"],
                                                              "serviceRoleArn": ["service-role"]}), None, ""),
    ("stack-task-service-role", "unknown-arn",
     lambda: lab_stack().add(TASK_TYPE, "task-2", variant(TASK, {"serviceRoleArn": UNKNOWN_STRING})), None, ""),
    ("stack-task-service-role", "external",
     lambda: lab_stack().add(TASK_TYPE, "task-2", variant(TASK, {
         "serviceRoleArn": "arn:aws:iam::210987654321:role/Elsewhere"})),
     ["serviceRoleArn 'arn:aws:iam::210987654321:role/Elsewhere' is not a role of this stack",
      "allowedServiceRoleArns"], "task-2"),
    ("stack-task-service-role", "role-not-trusting-ssm",
     lambda: lab_stack().add(ROLE_TYPE, "fn-role", {"name": "fn", "assumeRolePolicy": trust_policy(
         "lambda.amazonaws.com")}).add(TASK_TYPE, "task-2", variant(TASK, {"serviceRoleArn": UNKNOWN_STRING}),
                                       deps={"serviceRoleArn": ["fn-role"]}),
     ["points to role 'fn-role', whose trust policy does not trust ssm.amazonaws.com"], "task-2"),
    ("stack-task-service-role", "role-not-trusting-ssm-deployed",
     lambda: deployed_stack().add(ROLE_TYPE, "fn-role", {"name": "fn", "arn": f"arn:aws:iam::{ACCOUNT}:role/fn",
                                                         "assumeRolePolicy": trust_policy("lambda.amazonaws.com")})
     .add(TASK_TYPE, "task-2", variant(TASK, {"serviceRoleArn": f"arn:aws:iam::{ACCOUNT}:role/fn"})),
     ["serviceRoleArn (the role the task runs as) points to role 'fn-role', whose trust policy does not trust ssm.amazonaws.com"], "task-2"),
    # A role ARN names the stack's role by account, path and name: never by the name alone.
    ("stack-task-service-role", "own-arn-deployed-pinned", lambda: run_as(deployed_stack().pinned(), ROLE_ARN), None, ""),
    ("stack-task-service-role", "own-arn-preview-pinned", lambda: run_as(lab_stack().pinned(), ROLE_ARN), None, ""),
    ("stack-task-service-role", "own-arn-preview-pinned-as-json-text",
     lambda: run_as(lab_stack().pinned(json.dumps([ACCOUNT])), ROLE_ARN), None, ""),
    ("stack-task-service-role", "own-arn-with-path", lambda: run_as(
        role_with(path="/ops/"), f"arn:aws:iam::{ACCOUNT}:role/ops/{ROLE_NAME}"), None, ""),
    ("stack-task-service-role", "own-arn-in-china", lambda: run_as(StackBuilder(provider(
        {"region": "cn-north-1", "allowedAccountIds": [ACCOUNT]})).add(ROLE_TYPE, "role", ROLE),
        f"arn:aws-cn:iam::{ACCOUNT}:role/{ROLE_NAME}"), None, ""),
    # Without a pinned account the account cannot be compared (stack-account-pinned reports the provider).
    ("stack-task-service-role", "other-account-preview-unpinned",
     lambda: run_as(lab_stack(), f"arn:aws:iam::{OTHER}:role/{ROLE_NAME}"), None, ""),
    ("stack-task-service-role", "same-name-other-account-deployed",
     lambda: run_as(deployed_stack().pinned(), f"arn:aws:iam::{OTHER}:role/{ROLE_NAME}"),
     ["serviceRoleArn 'arn:aws:iam::999999999999:role/SSMMaintenanceWindowRole' is not a role of this stack",
      "a role of the same name in another account or under another path is another role"], "task-2"),
    ("stack-task-service-role", "same-name-other-path-deployed",
     lambda: run_as(deployed_stack(), f"arn:aws:iam::{ACCOUNT}:role/evil/{ROLE_NAME}"),
     ["serviceRoleArn 'arn:aws:iam::123456789012:role/evil/SSMMaintenanceWindowRole' is not a role"], "task-2"),
    ("stack-task-service-role", "same-name-other-account-preview-pinned",
     lambda: run_as(lab_stack().pinned(), f"arn:aws:iam::{OTHER}:role/{ROLE_NAME}"),
     ["'arn:aws:iam::999999999999:role/SSMMaintenanceWindowRole' is not a role of this stack"], "task-2"),
    ("stack-task-service-role", "same-name-other-path-preview-pinned",
     lambda: run_as(lab_stack().pinned(), f"arn:aws:iam::{ACCOUNT}:role/evil/{ROLE_NAME}"),
     ["'arn:aws:iam::123456789012:role/evil/SSMMaintenanceWindowRole' is not a role"], "task-2"),
    ("stack-task-service-role", "path-left-out", lambda: run_as(role_with(path="/ops/"), ROLE_ARN),
     ["'arn:aws:iam::123456789012:role/SSMMaintenanceWindowRole' is not a role"], "task-2"),
    ("stack-task-service-role", "other-partition", lambda: run_as(StackBuilder(provider(
        {"region": "cn-north-1", "allowedAccountIds": [ACCOUNT]})).add(ROLE_TYPE, "role", ROLE), ROLE_ARN),
     ["is not a role of this stack"], "task-2"),
    # A known value must name the role even when it was computed from it.
    ("stack-task-service-role", "computed-from-the-role-but-another-account",
     lambda: run_as(lab_stack().pinned(), f"arn:aws:iam::{OTHER}:role/{ROLE_NAME}", serviceRoleArn=["role"]),
     ["'arn:aws:iam::999999999999:role/SSMMaintenanceWindowRole' is not a role"], "task-2"),
    # The Run Command notification role: the same, by full ARN.
    ("stack-task-service-role", "notification-role-own", lambda: notify_as(deployed_stack().pinned(), ROLE_ARN),
     None, ""),
    ("stack-task-service-role", "notification-role-unknown-from-the-role",
     lambda: notify_as(lab_stack().pinned(), UNKNOWN_STRING, taskInvocationParameters=["role"]), None, ""),
    ("stack-task-service-role", "notification-role-unknown", lambda: notify_as(lab_stack().pinned(), UNKNOWN_STRING),
     None, ""),
    ("stack-task-service-role", "notification-role-admin",
     lambda: notify_as(deployed_stack().pinned(), f"arn:aws:iam::{ACCOUNT}:role/Admin"),
     [f"{RC}.serviceRoleArn 'arn:aws:iam::123456789012:role/Admin' is not a role of this stack (the role Run "
      "Command publishes notifications as"], "task-2"),
    ("stack-task-service-role", "notification-role-same-name-other-account",
     lambda: notify_as(lab_stack().pinned(), f"arn:aws:iam::{OTHER}:role/{ROLE_NAME}",
                       taskInvocationParameters=["role"]),
     [f"{RC}.serviceRoleArn 'arn:aws:iam::999999999999:role/SSMMaintenanceWindowRole' is not a role"], "task-2"),
    ("stack-task-service-role", "notification-role-not-trusting-ssm",
     lambda: notify_as(deployed_stack().add(ROLE_TYPE, "fn-role", {
         "name": "fn", "arn": f"arn:aws:iam::{ACCOUNT}:role/fn", "assumeRolePolicy": trust_policy(
             "lambda.amazonaws.com")}), f"arn:aws:iam::{ACCOUNT}:role/fn"),
     [f"{RC}.serviceRoleArn (the role Run Command publishes notifications as) points to role 'fn-role'"], "task-2"),
    # Run Command output goes to a bucket of the stack.
    ("stack-task-output-bucket", "lab-without-output", lab_stack, None, ""),
    ("stack-task-output-bucket", "own-bucket", lambda: output_to(OUTPUT_BUCKET), None, ""),
    ("stack-task-output-bucket", "own-bucket-by-value", lambda: output_to(OUTPUT_BUCKET, depends=False), None, ""),
    ("stack-task-output-bucket", "own-bucket-by-id", lambda: output_to(
        OUTPUT_BUCKET, bucket={"id": OUTPUT_BUCKET, "arn": f"arn:aws:s3:::{OUTPUT_BUCKET}"}, depends=False), None, ""),
    ("stack-task-output-bucket", "unknown-from-the-bucket", lambda: output_to(UNKNOWN_STRING), None, ""),
    ("stack-task-output-bucket", "unknown", lambda: output_to(UNKNOWN_STRING, depends=False), None, ""),
    ("stack-task-output-bucket", "bucket-name-not-known-yet", lambda: output_to(
        OUTPUT_BUCKET, bucket={"bucket": UNKNOWN_STRING}), None, ""),
    ("stack-task-output-bucket", "someone-elses-bucket", lambda: output_to("someone-elses-bucket", depends=False),
     ["taskInvocationParameters.runCommandParameters.outputS3Bucket 'someone-elses-bucket' is not a bucket this "
      "stack creates", "Bucket names are global and carry no account", "with their own instance profile",
      "allowedOutputBuckets"], "task-2"),
    ("stack-task-output-bucket", "another-bucket-despite-the-dependency", lambda: output_to("someone-elses-bucket"),
     ["'someone-elses-bucket' is not a bucket this stack creates"], "task-2"),
    ("stack-task-output-bucket", "no-bucket-in-the-stack", lambda: lab_stack().add(TASK_TYPE, "task-2", variant(
        TASK, {f"{RC}.outputS3Bucket": OUTPUT_BUCKET}), deps={"windowId": ["window"]}),
     ["'mw-output-123456789012' is not a bucket this stack creates"], "task-2"),
    # The deploying account is pinned.
    ("stack-account-pinned", "no-provider", lab_stack, None, ""),
    ("stack-account-pinned", "pinned", lambda: lab_stack().pinned(), None, ""),
    ("stack-account-pinned", "pinned-as-json-text", lambda: lab_stack().pinned(json.dumps([ACCOUNT])), None, ""),
    ("stack-account-pinned", "pinned-unquoted", lambda: lab_stack().pinned(f"[{ACCOUNT}]"), None, ""),
    ("stack-account-pinned", "unknown", lambda: lab_stack().pinned(UNKNOWN_ARRAY), None, ""),
    ("stack-account-pinned", "unpinned", lambda: lab_stack().pinned([]),
     ["AWS provider 'default_7_51_1': allowedAccountIds lists no account", "aws:allowedAccountIds"],
     "default_7_51_1"),
    ("stack-account-pinned", "unpinned-text", lambda: lab_stack().pinned("[]"), ["allowedAccountIds is '[]', which lists no account"],
     "default_7_51_1"),
    ("stack-account-pinned", "not-an-account", lambda: lab_stack().pinned(["12345"]),
     ["allowedAccountIds holds '12345', which is not an account ID (allowed: 12 digits"], "default_7_51_1"),
    ("stack-account-pinned", "provider-resource-only", lambda: with_provider_resource(
        StackBuilder(), {"region": "us-east-1"}), ["allowedAccountIds is not set"], "default_7_51_1"),
    ("stack-invoke-access", "ssm-prefixed", lambda: lambda_stack(LAMBDA_TASK), None, ""),
    ("stack-invoke-access", "ssm-prefixed-sfn", lambda: lambda_stack(STEP_FUNCTIONS_TASK), None, ""),
    ("stack-invoke-access", "granted", lambda: lambda_stack(
        variant(LAMBDA_TASK, {"taskArn": LAMBDA_ARN}),
        (ROLE_POLICY_TYPE, "invoke", grant("lambda:InvokeFunction", LAMBDA_ARN + ":*"), {"role": ["role"]})),
     None, ""),
    ("stack-invoke-access", "granted-unqualified", lambda: lambda_stack(
        variant(LAMBDA_TASK, {"taskArn": LAMBDA_ARN}),
        (ROLE_POLICY_TYPE, "invoke", grant("lambda:InvokeFunction", LAMBDA_ARN), {"role": ["role"]})), None, ""),
    ("stack-invoke-access", "granted-wildcard", lambda: lambda_stack(
        variant(LAMBDA_TASK, {"taskArn": LAMBDA_ARN}),
        (ROLE_POLICY_TYPE, "invoke", grant("lambda:Invoke*", f"arn:aws:lambda:*:{ACCOUNT}:function:rotate-*"),
         {"role": ["role"]})), None, ""),
    ("stack-invoke-access", "granted-sfn-by-managed-policy", lambda: lambda_stack(
        variant(STEP_FUNCTIONS_TASK, {"taskArn": STATE_MACHINE_ARN}),
        (POLICY_TYPE, "start", {"policy": grant("states:StartExecution", STATE_MACHINE_ARN)["policy"]}, {}),
        (ATTACHMENT_TYPE, "start-attach", {"role": ROLE_NAME, "policyArn": "x"}, {"policyArn": ["start"]})),
     None, ""),
    ("stack-invoke-access", "preview-function-name", lambda: lambda_stack(
        variant(LAMBDA_TASK, {"taskArn": UNKNOWN_STRING}),
        ("aws:lambda/function:Function", "fn", {"name": "rotate-logs"}, {}),
        (ROLE_POLICY_TYPE, "invoke", grant("lambda:InvokeFunction", "arn:aws:lambda:*:*:function:rotate-logs*"),
         {"role": ["role"]}), task_arn_from="fn"), None, ""),
    ("stack-invoke-access", "preview-unknown-grant", lambda: lambda_stack(
        variant(LAMBDA_TASK, {"taskArn": LAMBDA_ARN}),
        (ROLE_POLICY_TYPE, "invoke", {"role": ROLE_NAME, "policy": UNKNOWN_STRING}, {"role": ["role"]})), None, ""),
    ("stack-invoke-access", "not-granted", lambda: lambda_stack(variant(LAMBDA_TASK, {"taskArn": LAMBDA_ARN})),
     ["invokes Lambda function 'rotate-logs', whose name does not start with SSM",
      "role 'role' has no lambda:InvokeFunction on it", "add a RolePolicy on 'role'"], "rotate"),
    ("stack-invoke-access", "granted-other-function", lambda: lambda_stack(
        variant(LAMBDA_TASK, {"taskArn": LAMBDA_ARN}),
        (ROLE_POLICY_TYPE, "invoke", grant("lambda:InvokeFunction", LAMBDA_ARN + "-v2"), {"role": ["role"]})),
     ["no lambda:InvokeFunction"], "rotate"),
    ("stack-invoke-access", "granted-other-action", lambda: lambda_stack(
        variant(LAMBDA_TASK, {"taskArn": LAMBDA_ARN}),
        (ROLE_POLICY_TYPE, "invoke", grant("lambda:GetFunction", LAMBDA_ARN), {"role": ["role"]})),
     ["no lambda:InvokeFunction"], "rotate"),
    ("stack-invoke-access", "sfn-not-granted", lambda: lambda_stack(
        variant(STEP_FUNCTIONS_TASK, {"taskArn": STATE_MACHINE_ARN})),
     ["invokes state machine 'nightly'", "no states:StartExecution"], "rotate"),
    ("stack-invoke-access", "preview-function-name-not-granted", lambda: lambda_stack(
        variant(LAMBDA_TASK, {"taskArn": UNKNOWN_STRING}),
        ("aws:lambda/function:Function", "fn", {"name": "rotate-logs"}, {}), task_arn_from="fn"),
     ["invokes Lambda function 'rotate-logs'", "on its ARN"], "rotate"),
    ("stack-invoke-access", "preview-grant-for-another-name", lambda: lambda_stack(
        variant(LAMBDA_TASK, {"taskArn": UNKNOWN_STRING}),
        ("aws:lambda/function:Function", "fn", {"name": "rotate-logs"}, {}),
        (ROLE_POLICY_TYPE, "invoke", grant("lambda:InvokeFunction", "arn:aws:lambda:*:*:function:cleanup"),
         {"role": ["role"]}), task_arn_from="fn"),
     ["invokes Lambda function 'rotate-logs'"], "rotate"),
]


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize(("rule", "case_id", "build", "expect", "who"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_stack_rule(rule: str, case_id: str, build: Callable[[], StackBuilder], expect: list[str] | None, who: str,
                    env: str) -> None:
    found = run_stack(rule, build(), env=env)
    if expect is None:
        assert found == []
    else:
        assert_violations(found, rule, env, expect, who)
        assert all(v.urn and v.urn.endswith(f"::{who}") for v in found), [v.urn for v in found]


def test_allowed_service_role_arns() -> None:
    stack = lab_stack().add(TASK_TYPE, "task-2", variant(TASK, {"serviceRoleArn": "arn:aws:iam::210987654321:role/X"}))
    assert run_stack("stack-task-service-role", stack, config={
        "allowedServiceRoleArns": ["arn:aws:iam::210987654321:role/X"]}) == []
    admin = f"arn:aws:iam::{ACCOUNT}:role/Admin"
    notify = notify_as(deployed_stack().pinned(), admin)
    assert run_stack("stack-task-service-role", notify, config={"allowedServiceRoleArns": [admin]}) == []
    assert len(run_stack("stack-task-service-role", notify_as(deployed_stack().pinned(), admin))) == 1


def test_allowed_output_buckets() -> None:
    stack = output_to("someone-elses-bucket", depends=False)
    assert run_stack("stack-task-output-bucket", stack, config={"allowedOutputBuckets": ["someone-elses-bucket"]}) == []
    assert len(run_stack("stack-task-output-bucket", stack, config={"allowedOutputBuckets": ["other"]})) == 1


def test_a_provider_is_reported_once() -> None:
    """Named by every resource it manages and listed as a resource itself: one violation, on its URN."""
    stack = with_provider_resource(lab_stack().pinned([]), {"region": "us-east-1"})
    found = run_stack("stack-account-pinned", stack)
    assert len(found) == 1 and found[0].urn.endswith("pulumi:providers:aws::default_7_51_1")
    second = provider({"region": "eu-west-1"}, name="europe")
    stack = lab_stack().pinned().add(ROLE_TYPE, "role-eu", {**ROLE, "name": "eu"}, provider=second)
    assert [v.urn.rsplit("::", 1)[1] for v in run_stack("stack-account-pinned", stack)] == ["europe"]


def test_unplaced_task_suspends_completeness() -> None:
    """A task whose window cannot be told yet might belong to any window: no window is called empty."""
    stack = second_window(lab_stack()).add(TASK_TYPE, "task-2", variant(TASK, {"windowId": UNKNOWN_STRING}))
    assert run_stack("stack-window-complete", stack) == []


def test_unknown_task_targets_do_not_crash_stack_rules() -> None:
    stack = lab_stack().add(TASK_TYPE, "task-2", variant(TASK, {"targets": UNKNOWN_ARRAY}),
                            deps={"windowId": ["window"], "serviceRoleArn": ["role"]})
    for rule in STACK_RULES:
        assert run_stack(rule, stack) == [], rule


def test_invoke_access_with_a_function_arn_full_of_wildcards() -> None:
    """Issue 12, item 10: ``function:`` + 34 x ``*a`` + ``b`` as the task's ARN and as the grant's resource
    (the program grants exactly the task's ARN) made the wildcard match exponential. Out of process, with a
    generous timeout, so that a regression fails instead of hanging the suite."""
    out = run_bounded(
        "from test_policy_stack import LAMBDA_TASK, ROLE_POLICY_TYPE, grant, lambda_stack, run_stack, variant\n"
        "arn = 'arn:aws:lambda:us-east-1:123456789012:function:' + '*a' * 34 + 'b'\n"
        "def stack(resource, qualifier=None):\n"
        "    task = variant(LAMBDA_TASK, {'taskArn': arn})\n"
        "    if qualifier:\n"
        "        task['taskInvocationParameters'] = {'lambdaParameters': {'qualifier': qualifier}}\n"
        "    return lambda_stack(task, (ROLE_POLICY_TYPE, 'invoke', grant('lambda:InvokeFunction', resource),\n"
        "                               {'role': ['role']}))\n"
        "print(len(run_stack('stack-invoke-access', stack(arn))),\n"
        "      len(run_stack('stack-invoke-access', stack(arn + ':live', 'live'))),\n"
        "      len(run_stack('stack-invoke-access', stack(arn[:-1] + 'c'))))\n",
        timeout=60)
    assert out.split() == ["0", "0", "1"]


# --- work grows linearly with the stack (issue 12, item 15) --------------------------------------------------

def deployed_targets(count: int) -> StackBuilder:
    """The deployed lab with ``count`` more targets, each with a task naming it by its ID (links by value)."""
    stack = deployed_stack()
    for index in range(count):
        target_id = f"e32eecb2-646c-4f4b-8ed1-{index:012d}"
        stack.add(TARGET_TYPE, f"target-{index}", {**TARGET, "id": target_id, "name": f"t{index}"})
        stack.add(TASK_TYPE, f"task-{index}", variant(TASK, {
            "name": f"task{index}", "targets": [{"key": "WindowTargetIds", "values": [target_id]}]}))
    return stack


def lambda_tasks(count: int) -> StackBuilder:
    """The deployed lab with ``count`` Lambda tasks, each invoking its own function, and the role's one inline
    policy granting every function (and its qualified ARNs), as the program writes it."""
    functions = [f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:rotate-{index}" for index in range(count)]
    stack = deployed_stack().add(ROLE_POLICY_TYPE, "invoke", {"role": ROLE_NAME, "policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction",
                                                "Resource": sorted(functions + [f"{f}:*" for f in functions])}]})})
    for index, function in enumerate(functions):
        stack.add(TASK_TYPE, f"rotate-{index}", variant(LAMBDA_TASK, {"taskArn": function, "windowId": WINDOW_ID}))
    return stack


@pytest.mark.parametrize("build", [deployed_targets, lambda_tasks], ids=["targets-by-id", "lambda-tasks"])
def test_stack_rules_do_linear_work(build: Callable[[int], StackBuilder], monkeypatch: pytest.MonkeyPatch) -> None:
    """Looking a window, target or role up, or a grant, for every task and target scanned the stack each time:
    41 s for 10,000 targets. Twice the resources must cost about twice the work."""
    small, large = (stack_work(build(n).build(), STACK_RULES, monkeypatch) for n in (200, 400))
    assert large <= 2.2 * small, (small, large)
