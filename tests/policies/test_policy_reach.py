"""How far the stack reaches (issue 13): iam-resource-scope, iam-cross-account, the deploying account in
iam-confused-deputy. Property sets in wire form per rule, each under dev and prod, with the resource's AWS provider
as the engine hands it to the rule (by default the prod stack's: pinned to 123456789012)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mw_policies import _iam, reach
from policy_cases.harness import (
    UNKNOWN_ARRAY,
    UNKNOWN_STRING,
    assert_violations,
    provider,
    run_resource,
    variant,
)
from policy_cases.lab import (
    ACCOUNT,
    ATTACHMENT,
    ATTACHMENT_TYPE,
    LAMBDA_TASK,
    PASS_ROLE_POLICY,
    POLICY_TYPE,
    ROLE,
    ROLE_ARN,
    ROLE_POLICY,
    ROLE_POLICY_TYPE,
    ROLE_TYPE,
    STEP_FUNCTIONS_TASK,
    TASK,
    TASK_TYPE,
    trust_policy,
)

OTHER = "999999999999"
SECOND = "210987654321"
BUCKET_POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy"
TOPIC_POLICY_TYPE = "aws:sns/topicPolicy:TopicPolicy"
TOPIC_TYPE = "aws:sns/topic:Topic"
SUBSCRIPTION_TYPE = "aws:sns/topicSubscription:TopicSubscription"
LOG_GROUP_TYPE = "aws:cloudwatch/logGroup:LogGroup"
ENCRYPTION_TYPE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
GROUP_ATTACHMENT_TYPE = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:rotate-logs"
MACHINE = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:nightly"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:mw-notifications"
BUCKET = "arn:aws:s3:::mw-output-123456789012"
RC = "taskInvocationParameters.runCommandParameters"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def grant(*statements: dict[str, Any]) -> dict[str, Any]:
    """A RolePolicy of the lab role with these statements."""
    return {"role": "SSMMaintenanceWindowRole", "name": "task-access", "policy": doc(*statements)}


def trusting(principal: Any, effect: str = "Allow") -> dict[str, Any]:
    return variant(ROLE, {"assumeRolePolicy": doc(
        {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}},
        {"Effect": effect, "Principal": principal, "Action": "sts:AssumeRole"})})


def resource_policy(principal: Any, action: str, resource: str, effect: str = "Allow") -> str:
    return doc({"Effect": effect, "Principal": principal, "Action": action, "Resource": resource})


# (rule, id, resource type, properties, expected fragments or None when compliant)
CASES: list[tuple[str, str, str, dict[str, Any], list[str] | None]] = [
    # --- iam-resource-scope: compliant
    ("iam-resource-scope", "lab-notify", ROLE_POLICY_TYPE, ROLE_POLICY, None),
    ("iam-resource-scope", "lab-pass-role", POLICY_TYPE, PASS_ROLE_POLICY, None),
    ("iam-resource-scope", "lab-role", ROLE_TYPE, ROLE, None),
    ("iam-resource-scope", "function-and-its-versions", ROLE_POLICY_TYPE,
     grant(allow("lambda:InvokeFunction", [FUNCTION, f"{FUNCTION}:*"])), None),
    ("iam-resource-scope", "state-machine-and-its-executions", ROLE_POLICY_TYPE, grant(
        allow("states:StartExecution", MACHINE),
        allow("states:DescribeExecution", f"arn:aws:states:us-east-1:{ACCOUNT}:execution:nightly:*")), None),
    ("iam-resource-scope", "objects-of-one-bucket", ROLE_POLICY_TYPE,
     grant(allow(["s3:PutObject", "s3:PutObjectAcl"], [BUCKET, f"{BUCKET}/*"])), None),
    ("iam-resource-scope", "other-actions-on-star", ROLE_POLICY_TYPE,
     grant(allow(["ssm:SendCommand", "s3:GetObject", "lambda:GetFunction", "sns:ListTopics"], "*")), None),
    ("iam-resource-scope", "deny-on-star", ROLE_POLICY_TYPE,
     grant({"Effect": "Deny", "Action": "lambda:*", "Resource": "*"}), None),
    # A wildcard in a PassRole resource is iam-passrole-resource's: reported there, once.
    ("iam-resource-scope", "passrole-wildcard-is-the-passrole-rule", POLICY_TYPE,
     {"policy": doc(allow("iam:PassRole", "*"), allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/SSM*"))}, None),
    ("iam-resource-scope", "passrole-not-resource-is-the-passrole-rule", POLICY_TYPE,
     {"policy": doc({"Effect": "Allow", "Action": "iam:PassRole", "NotResource": ROLE_ARN})}, None),
    # A Resource of another service cannot name a function: only the actions that may reach it are judged.
    ("iam-resource-scope", "resource-of-another-service", ROLE_POLICY_TYPE,
     grant(allow(["lambda:InvokeFunction", "s3:GetObject"], [FUNCTION, "arn:aws:s3:::*"])), None),
    ("iam-resource-scope", "tls-only-bucket-policy", BUCKET_POLICY_TYPE, {"bucket": "b", "policy": doc(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [BUCKET, f"{BUCKET}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}})}, None),
    ("iam-resource-scope", "topic-policy-on-its-topic", TOPIC_POLICY_TYPE,
     {"arn": TOPIC, "policy": resource_policy({"Service": "events.amazonaws.com"}, "sns:Publish", TOPIC)}, None),
    # --- iam-resource-scope: violations
    ("iam-resource-scope", "invoke-on-star", ROLE_POLICY_TYPE, grant(allow("lambda:InvokeFunction", "*")),
     ["policy (statement 1) grants lambda:InvokeFunction on '*': '*' grants on every resource of every account",
      "allowed: one named resource of one account and region"]),
    ("iam-resource-scope", "every-function-everywhere", ROLE_POLICY_TYPE,
     grant(allow("lambda:*", "arn:aws:lambda:*:*:function:*", Sid="Invoke")),
     ["statement 'Invoke') grants lambda:InvokeFunction (through 'lambda:*') on 'arn:aws:lambda:*:*:function:*'",
      "has a wildcard in its region and so spans every region"]),
    ("iam-resource-scope", "function-name-wildcard", ROLE_POLICY_TYPE,
     grant(allow("lambda:InvokeFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:SSM*")),
     ["has a wildcard in the resource's name and so can match other resources"]),
    ("iam-resource-scope", "every-state-machine", ROLE_POLICY_TYPE,
     grant(allow("states:StartExecution", f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:*")),
     ["grants states:StartExecution on 'arn:aws:states:us-east-1:123456789012:stateMachine:*'"]),
    ("iam-resource-scope", "every-execution", ROLE_POLICY_TYPE,
     grant(allow("states:Describe*", f"arn:aws:states:us-east-1:{ACCOUNT}:execution:*:*")),
     ["grants Step Functions actions (states:*) (through 'states:Describe*')"]),
    ("iam-resource-scope", "topics-in-every-account", ROLE_POLICY_TYPE,
     grant(allow("sns:Publish", ["arn:aws:sns:*:*:*", TOPIC])),
     ["grants sns:Publish on 'arn:aws:sns:*:*:*'"]),
    ("iam-resource-scope", "topic-without-region", ROLE_POLICY_TYPE,
     grant(allow("sns:Publish", f"arn:aws:sns::{ACCOUNT}:mw-notifications")), ["names no region"]),
    ("iam-resource-scope", "every-bucket", ROLE_POLICY_TYPE, grant(allow("s3:PutObject", "arn:aws:s3:::*/*")),
     ["grants s3:PutObject on 'arn:aws:s3:::*/*'", "bucket ARNs carry no account"]),
    ("iam-resource-scope", "s3-star-on-prefix-buckets", ROLE_POLICY_TYPE, grant(allow("s3:*", "arn:aws:s3:::mw-*")),
     ["grants S3 writes (s3:Put*) (through 's3:*')"]),
    ("iam-resource-scope", "everything", POLICY_TYPE, {"policy": doc(allow("*", "*"))},
     ["lambda:InvokeFunction (through '*')", "Step Functions actions (states:*) (through '*')",
      "sns:Publish (through '*')", "S3 writes (s3:Put*) (through '*')"]),
    ("iam-resource-scope", "not-action", POLICY_TYPE,
     {"policy": doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})},
     ["lambda:InvokeFunction (through NotAction)", "sns:Publish (through NotAction)"]),
    ("iam-resource-scope", "not-resource", ROLE_POLICY_TYPE,
     grant({"Effect": "Allow", "Action": "lambda:InvokeFunction", "NotResource": FUNCTION}),
     ["grants lambda:InvokeFunction with NotResource, i.e. on every resource but"]),
    ("iam-resource-scope", "passrole-on-a-name", POLICY_TYPE, {"policy": doc(allow("iam:PassRole", "MyRole"))},
     ["grants iam:PassRole on 'MyRole': 'MyRole' is not an ARN"]),
    ("iam-resource-scope", "inline-policy", ROLE_TYPE, variant(ROLE, {"inlinePolicies": [
        {"name": "notify", "policy": doc(allow("sns:Publish", "*"))}]}),
     ["inlinePolicies[0].policy (statement 1) grants sns:Publish on '*'"]),
    ("iam-resource-scope", "group-policy", "aws:iam/groupPolicy:GroupPolicy",
     {"group": "g", "policy": doc(allow("lambda:Invoke*", "*"))},
     ["grants lambda:InvokeFunction (through 'lambda:Invoke*') on '*'"]),
    ("iam-resource-scope", "topic-policy-for-every-account", TOPIC_POLICY_TYPE, {"arn": TOPIC, "policy": doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sns:Publish",
         "Resource": "arn:aws:sns:us-east-1:*:mw-notifications"})},
     ["has a wildcard in its account and so spans every account"]),
    ("iam-resource-scope", "bucket-policy-on-every-bucket", BUCKET_POLICY_TYPE, {"bucket": "b", "policy": doc(
        {"Effect": "Allow", "Principal": {"AWS": ROLE_ARN}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::*"})},
     ["grants s3:PutObject on 'arn:aws:s3:::*'"]),
    # --- iam-cross-account: compliant (the deploying account is 123456789012)
    ("iam-cross-account", "lab-role", ROLE_TYPE, ROLE, None),
    ("iam-cross-account", "lab-task", TASK_TYPE, TASK, None),
    ("iam-cross-account", "lab-lambda-task", TASK_TYPE, LAMBDA_TASK, None),
    ("iam-cross-account", "lab-sfn-task", TASK_TYPE, STEP_FUNCTIONS_TASK, None),
    ("iam-cross-account", "lab-pass-role", POLICY_TYPE, PASS_ROLE_POLICY, None),
    ("iam-cross-account", "own-account-root", ROLE_TYPE, trusting({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), None),
    ("iam-cross-account", "own-account-id", ROLE_TYPE, trusting({"AWS": ACCOUNT}), None),
    ("iam-cross-account", "aws-managed-policy", ATTACHMENT_TYPE, ATTACHMENT, None),
    ("iam-cross-account", "aws-owned-document", TASK_TYPE,
     variant(TASK, {"taskArn": "arn:aws:ssm:us-east-1::document/AWS-RunPatchBaseline"}), None),
    ("iam-cross-account", "own-document", TASK_TYPE,
     variant(TASK, {"taskArn": f"arn:aws:ssm:us-east-1:{ACCOUNT}:document/Patch"}), None),
    ("iam-cross-account", "bucket-arns-have-no-account", ROLE_POLICY_TYPE,
     grant(allow("s3:PutObject", "arn:aws:s3:::someone-elses-bucket/*")), None),
    # A wildcard account is iam-resource-scope's (for the actions it judges), not an account named here.
    ("iam-cross-account", "wildcard-account", ROLE_POLICY_TYPE,
     grant(allow("lambda:InvokeFunction", "arn:aws:lambda:*:*:function:*")), None),
    ("iam-cross-account", "service-principals-are-no-accounts", ROLE_TYPE,
     variant(ROLE, {"assumeRolePolicy": trust_policy("ssm.amazonaws.com", "ec2.amazonaws.com")}), None),
    ("iam-cross-account", "everyone-is-other-rules", BUCKET_POLICY_TYPE,
     {"bucket": "b", "policy": resource_policy("*", "s3:GetObject", f"{BUCKET}/*")}, None),
    ("iam-cross-account", "deny-to-another-account", ROLE_TYPE, trusting({"AWS": OTHER}, effect="Deny"), None),
    ("iam-cross-account", "deny-on-another-accounts-function", ROLE_POLICY_TYPE,
     grant({"Effect": "Deny", "Action": "lambda:*", "Resource": f"arn:aws:lambda:us-east-1:{OTHER}:function:x"}),
     None),
    ("iam-cross-account", "email-subscription", SUBSCRIPTION_TYPE,
     {"topic": TOPIC, "protocol": "email", "endpoint": "ops@example.com"}, None),
    ("iam-cross-account", "aws-managed-topic-key", TOPIC_TYPE, {"name": "t", "kmsMasterKeyId": "alias/aws/sns"}, None),
    ("iam-cross-account", "unknown-values", TASK_TYPE, variant(TASK, {"taskArn": UNKNOWN_STRING,
                                                                      "serviceRoleArn": UNKNOWN_STRING}), None),
    # --- iam-cross-account: violations
    ("iam-cross-account", "function-of-another-account", TASK_TYPE,
     variant(LAMBDA_TASK, {"taskArn": f"arn:aws:lambda:us-east-1:{OTHER}:function:Patch"}),
     ["taskArn 'arn:aws:lambda:us-east-1:999999999999:function:Patch' is in account 999999999999, not the "
      "deploying account (allowed: 123456789012)", "the window runs code that account controls",
      "list the account in allowedAccounts"]),
    ("iam-cross-account", "state-machine-of-another-account", TASK_TYPE,
     variant(STEP_FUNCTIONS_TASK, {"taskArn": f"arn:aws:states:us-east-1:{OTHER}:stateMachine:Patch"}),
     ["taskArn 'arn:aws:states:us-east-1:999999999999:stateMachine:Patch' is in account 999999999999"]),
    ("iam-cross-account", "shared-document-of-another-account", TASK_TYPE,
     variant(TASK, {"taskArn": f"arn:aws:ssm:us-east-1:{OTHER}:document/Patch"}),
     ["taskArn 'arn:aws:ssm:us-east-1:999999999999:document/Patch' is in account 999999999999"]),
    ("iam-cross-account", "topic-of-another-account", TASK_TYPE,
     variant(TASK, {f"{RC}.notificationConfig": {"notificationArn": f"arn:aws:sns:us-east-1:{OTHER}:alerts"},
                    f"{RC}.serviceRoleArn": ROLE_ARN}),
     [f"{RC}.notificationConfig.notificationArn 'arn:aws:sns:us-east-1:999999999999:alerts' is in account",
      "that account receives the command notifications"]),
    ("iam-cross-account", "roles-of-another-account", TASK_TYPE,
     variant(TASK, {"serviceRoleArn": f"arn:aws:iam::{OTHER}:role/R", f"{RC}.serviceRoleArn":
                    f"arn:aws:iam::{OTHER}:role/N", f"{RC}.notificationConfig": {"notificationArn": TOPIC}}),
     ["serviceRoleArn 'arn:aws:iam::999999999999:role/R' is in account 999999999999",
      f"{RC}.serviceRoleArn 'arn:aws:iam::999999999999:role/N'"]),
    ("iam-cross-account", "grant-on-another-accounts-function", ROLE_POLICY_TYPE,
     grant(allow("lambda:InvokeFunction", [FUNCTION, f"arn:aws:lambda:us-east-1:{OTHER}:function:Patch"])),
     ["policy (statement 1) Resource 'arn:aws:lambda:us-east-1:999999999999:function:Patch' is in account "
      "999999999999", "the stack grants access to a resource that account controls"]),
    ("iam-cross-account", "trust-another-account-id", ROLE_TYPE, trusting({"AWS": OTHER}),
     ["assumeRolePolicy (statement 2) Principal '999999999999' is in account 999999999999",
      "that account's identities may assume this role"]),
    ("iam-cross-account", "trust-another-account-root", ROLE_TYPE,
     trusting({"AWS": [f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:iam::{OTHER}:root"]}),
     ["Principal 'arn:aws:iam::999999999999:root' is in account 999999999999"]),
    ("iam-cross-account", "trust-another-accounts-role", ROLE_TYPE,
     trusting({"AWS": f"arn:aws:iam::{OTHER}:role/Deployer"}), ["Principal 'arn:aws:iam::999999999999:role/Deployer'"]),
    ("iam-cross-account", "bucket-policy-for-another-account", BUCKET_POLICY_TYPE,
     {"bucket": "b", "policy": resource_policy({"AWS": OTHER}, "s3:GetObject", f"{BUCKET}/*")},
     ["that account's identities may act on this resource"]),
    ("iam-cross-account", "topic-policy-for-another-account", TOPIC_POLICY_TYPE,
     {"arn": TOPIC, "policy": resource_policy({"AWS": f"arn:aws:iam::{OTHER}:root"}, "sns:Subscribe", TOPIC)},
     ["Principal 'arn:aws:iam::999999999999:root' is in account 999999999999"]),
    ("iam-cross-account", "boundary-of-another-account", ROLE_TYPE,
     variant(ROLE, {"permissionsBoundary": f"arn:aws:iam::{OTHER}:policy/Boundary"}),
     ["permissionsBoundary 'arn:aws:iam::999999999999:policy/Boundary' is in account 999999999999"]),
    ("iam-cross-account", "managed-policy-of-another-account", ROLE_TYPE,
     variant(ROLE, {"managedPolicyArns": [f"arn:aws:iam::{OTHER}:policy/P"]}), ["managedPolicyArns[0]"]),
    ("iam-cross-account", "attachment-of-another-account", GROUP_ATTACHMENT_TYPE,
     {"group": "g", "policyArn": f"arn:aws:iam::{OTHER}:policy/P"}, ["policyArn 'arn:aws:iam::999999999999:policy/P'"]),
    ("iam-cross-account", "subscription-to-another-accounts-queue", SUBSCRIPTION_TYPE,
     {"topic": TOPIC, "protocol": "sqs", "endpoint": f"arn:aws:sqs:us-east-1:{OTHER}:inbox"},
     ["endpoint 'arn:aws:sqs:us-east-1:999999999999:inbox'", "that account receives the notifications"]),
    ("iam-cross-account", "topic-key-of-another-account", TOPIC_TYPE,
     {"name": "t", "kmsMasterKeyId": f"arn:aws:kms:us-east-1:{OTHER}:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
     ["kmsMasterKeyId 'arn:aws:kms:us-east-1:999999999999:key/"]),
    ("iam-cross-account", "log-key-of-another-account", LOG_GROUP_TYPE,
     {"name": "/mw", "kmsKeyId": f"arn:aws:kms:us-east-1:{OTHER}:key/k"}, ["kmsKeyId"]),
    ("iam-cross-account", "bucket-key-of-another-account", ENCRYPTION_TYPE, {"bucket": "b", "rules": [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms",
                                                "kmsMasterKeyId": f"arn:aws:kms:us-east-1:{OTHER}:key/k"}}]},
     ["rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId"]),
    # --- iam-confused-deputy: the aws:SourceAccount values
    ("iam-confused-deputy", "own-account", ROLE_TYPE, ROLE, None),
    ("iam-confused-deputy", "own-account-in-source-arn", ROLE_TYPE, {"assumeRolePolicy": trust_policy(condition={
        "ArnLike": {"aws:SourceArn": f"arn:aws:ssm:*:{ACCOUNT}:*"}})}, None),
    ("iam-confused-deputy", "another-account", ROLE_TYPE, {"assumeRolePolicy": trust_policy(condition={
        "StringEquals": {"aws:SourceAccount": OTHER}})},
     ["has aws:SourceAccount (StringEquals) '999999999999', another account than the deploying account (allowed: "
      "123456789012)", 'set "aws:SourceAccount" to the deploying account (123456789012)']),
    ("iam-confused-deputy", "own-and-another-account", ROLE_TYPE, {"assumeRolePolicy": trust_policy(condition={
        "StringEquals": {"aws:SourceAccount": [ACCOUNT, OTHER]}})}, ["'999999999999', another account"]),
    ("iam-confused-deputy", "no-account", ROLE_TYPE, {"assumeRolePolicy": trust_policy(condition={
        "StringEquals": {"aws:SourceAccount": "not an account"}})},
     ["has an aws:SourceAccount (StringEquals) value that is no account, so the condition matches no request: "
      "'not an account' is not an AWS account ID (allowed: 12 digits"]),
    ("iam-confused-deputy", "source-arn-of-another-account", ROLE_TYPE, {"assumeRolePolicy": trust_policy(condition={
        "ArnLike": {"aws:SourceArn": f"arn:aws:ssm:us-east-1:{OTHER}:*"}})},
     ["has aws:SourceArn (ArnLike) 'arn:aws:ssm:us-east-1:999999999999:*' in account 999999999999"]),
]


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize(("rule", "case_id", "resource_type", "props", "expect"), CASES,
                         ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_reach_rule(rule: str, case_id: str, resource_type: str, props: dict[str, Any], expect: list[str] | None,
                    env: str) -> None:
    found = run_resource(rule, resource_type, props, env=env, name="mw-reach", provider=provider())
    if expect is None:
        assert found == []
    else:
        assert_violations(found, rule, env, expect, "mw-reach")


OTHER_FUNCTION_TASK = variant(LAMBDA_TASK, {"taskArn": f"arn:aws:lambda:us-east-1:{OTHER}:function:Patch"})
OTHER_SOURCE = {"assumeRolePolicy": trust_policy(condition={"StringEquals": {"aws:SourceAccount": OTHER}})}


@pytest.mark.parametrize(("inputs", "judged"), [
    ({"region": "us-east-1", "allowedAccountIds": [ACCOUNT]}, True),
    # A default provider's inputs are config values: the list arrives as JSON text.
    ({"region": "us-east-1", "allowedAccountIds": json.dumps([ACCOUNT])}, True),
    ({"region": "us-east-1", "allowedAccountIds": ACCOUNT}, True),
    # Not pinned, or not known during this preview: the deploying account is not known, nothing is judged
    # (stack-account-pinned reports the unpinned provider).
    ({"region": "us-east-1"}, False),
    ({"region": "us-east-1", "allowedAccountIds": []}, False),
    ({"region": "us-east-1", "allowedAccountIds": "[]"}, False),
    ({"region": "us-east-1", "allowedAccountIds": ["not-an-account"]}, False),
    ({"region": "us-east-1", "allowedAccountIds": UNKNOWN_ARRAY}, False),
    ({"region": "us-east-1", "allowedAccountIds": [UNKNOWN_STRING]}, False),
    (None, False),
])
def test_the_deploying_account_comes_from_the_provider(inputs: dict[str, Any] | None, judged: bool) -> None:
    given = None if inputs is None else provider(inputs)
    for rule, resource_type, props in (("iam-cross-account", TASK_TYPE, OTHER_FUNCTION_TASK),
                                       ("iam-confused-deputy", ROLE_TYPE, OTHER_SOURCE)):
        found = run_resource(rule, resource_type, props, provider=given)
        assert bool(found) == judged, (rule, found)


def test_a_provider_of_another_package_is_no_pin() -> None:
    from pulumi_policy import PolicyProviderResource
    from pulumi_policy.proxy import unknown_checking_proxy

    other = PolicyProviderResource("pulumi:providers:random", unknown_checking_proxy({"allowedAccountIds": [ACCOUNT]}),
                                   "urn:x", "random")
    assert run_resource("iam-cross-account", TASK_TYPE, OTHER_FUNCTION_TASK, provider=other) == []


def test_every_account_a_provider_allows_is_the_deploying_account() -> None:
    pinned = provider({"region": "us-east-1", "allowedAccountIds": [ACCOUNT, SECOND]})
    task = variant(LAMBDA_TASK, {"taskArn": f"arn:aws:lambda:us-east-1:{SECOND}:function:Patch"})
    assert run_resource("iam-cross-account", TASK_TYPE, task, provider=pinned) == []
    found = run_resource("iam-cross-account", TASK_TYPE, OTHER_FUNCTION_TASK, provider=pinned, name="t")
    assert_violations(found, "iam-cross-account", "prod", ["allowed: 123456789012, 210987654321"], "t")


def test_allowed_accounts_config() -> None:
    assert run_resource("iam-cross-account", TASK_TYPE, OTHER_FUNCTION_TASK, provider=provider(),
                        config={"allowedAccounts": [OTHER]}) == []
    found = run_resource("iam-cross-account", TASK_TYPE, OTHER_FUNCTION_TASK, provider=provider(), name="t",
                         config={"allowedAccounts": [SECOND]})
    assert_violations(found, "iam-cross-account", "prod", ["allowed: 123456789012, 210987654321"], "t")
    # A value of the wrong type falls back to the default (no other account).
    assert run_resource("iam-cross-account", TASK_TYPE, OTHER_FUNCTION_TASK, provider=provider(),
                        config={"allowedAccounts": OTHER})


def test_a_source_account_that_is_no_account_is_reported_without_a_pin() -> None:
    props = {"assumeRolePolicy": trust_policy(condition={"StringEquals": {"aws:SourceAccount": "12345"}})}
    found = run_resource("iam-confused-deputy", ROLE_TYPE, props, name="r")
    assert_violations(found, "iam-confused-deputy", "prod", ["'12345' is not an AWS account ID"], "r")
    # With no condition at all the existing message says so, once; the values are not judged again.
    found = run_resource("iam-confused-deputy", ROLE_TYPE, {"assumeRolePolicy": trust_policy(condition={
        "StringLike": {"aws:SourceAccount": "*"}})}, provider=provider())
    assert len(found) == 1 and "confused deputy" in found[0].message


def test_passrole_on_star_is_reported_once() -> None:
    """iam-passrole-resource owns PassRole on wildcards; iam-resource-scope reports the other families only."""
    props = {"policy": doc(allow("*", "*"))}
    scope = run_resource("iam-resource-scope", POLICY_TYPE, props)
    passrole = run_resource("iam-passrole-resource", POLICY_TYPE, props)
    assert len(scope) == 1 and "iam:PassRole" not in scope[0].message
    assert len(passrole) == 1 and "grants iam:PassRole on '*'" in passrole[0].message


@pytest.mark.parametrize("rule", ["iam-resource-scope", "iam-cross-account"])
@pytest.mark.parametrize(("resource_type", "props"), [
    (ROLE_POLICY_TYPE, {"role": UNKNOWN_STRING, "policy": UNKNOWN_STRING}),
    (POLICY_TYPE, {"policy": UNKNOWN_STRING}),
    (ROLE_TYPE, variant(ROLE, {"assumeRolePolicy": UNKNOWN_STRING, "inlinePolicies": UNKNOWN_ARRAY,
                               "managedPolicyArns": UNKNOWN_ARRAY, "permissionsBoundary": UNKNOWN_STRING})),
    (TASK_TYPE, variant(TASK, {"taskInvocationParameters": UNKNOWN_STRING, "serviceRoleArn": UNKNOWN_STRING})),
    (BUCKET_POLICY_TYPE, {"bucket": UNKNOWN_STRING, "policy": UNKNOWN_STRING}),
])
def test_unknown_values_are_never_a_violation(rule: str, resource_type: str, props: dict[str, Any]) -> None:
    assert run_resource(rule, resource_type, props, provider=provider()) == []


# --- the helpers ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("actions", "families"), [
    ("lambda:InvokeFunction", ["lambda:InvokeFunction"]),
    ("lambda:*", ["lambda:InvokeFunction"]),
    ("LAMBDA:invokefunction", ["lambda:InvokeFunction"]),
    ("lambda:Get*", []),
    ("*:Invoke*", ["lambda:InvokeFunction", "states:*"]),
    # An action name holds no ':', so '*:Get*' grants no s3:Put* action (though 's3:Put:Get' fits both).
    ("*:Get*", ["states:*"]),
    ("*:Describe*", ["states:*"]),
    ("s*:Pu*", ["states:*", "sns:Publish", "s3:Put*"]),
    ("*Pass*", ["states:*", "s3:Put*", "iam:PassRole"]),
    ("states:ListStateMachines", ["states:*"]),
    ("s3:Put*", ["s3:Put*"]),
    ("s3:*Object", ["s3:Put*"]),
    ("s3:GetObject", []),
    ("sns:Pub?ish", ["sns:Publish"]),
    ("iam:Pass*", ["iam:PassRole"]),
    ("*", ["lambda:InvokeFunction", "states:*", "sns:Publish", "s3:Put*", "iam:PassRole"]),
])
def test_sensitive_grants(actions: str, families: list[str]) -> None:
    statement = _iam.read(doc(allow(actions, "*"))).statements[0]
    assert [family for family, _, _ in reach.sensitive_grants(statement)] == families


@pytest.mark.parametrize(("first", "second", "overlap"), [
    ("lambda:*", "lambda:InvokeFunction", True),
    ("st*:*", "states:*", True),
    ("s3:Get*", "s3:Put*", False),
    ("a?c", "a*d", False),
    ("ab*", "*ba", True),
    ("", "*", True),
    ("", "a", False),
    ("*a" * 500, "b*", True),
    ("*a" * 500, "*b", False),
])
def test_patterns_overlap(first: str, second: str, overlap: bool) -> None:
    assert _iam.patterns_overlap(first, second) is overlap
    assert _iam.patterns_overlap(second, first) is overlap


def test_patterns_overlap_agrees_with_brute_force() -> None:
    """Over short patterns of a small alphabet: a common text exists exactly when one of length at most the two
    patterns' lengths together does."""
    import fnmatch
    import itertools

    texts = ["".join(t) for n in range(7) for t in itertools.product("ab", repeat=n)]
    patterns = ["".join(p) for n in range(4) for p in itertools.product("ab*?", repeat=n)]
    matched = {p: {t for t in texts if fnmatch.fnmatchcase(t, p)} for p in patterns}
    for first in patterns:
        for second in patterns:
            assert _iam.patterns_overlap(first, second) is bool(matched[first] & matched[second]), (first, second)
