"""`maintenance-windows:accounts` under the engine stand-in: one explicit provider per member account, the
member's resources named `<account name>-<name>`, the central bucket and topic admitting exactly the members."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import ROOT, by_type, one

from mw_config import NAMESPACE
from mw_engine.engine import ProgramRun, run_program

HOME, MEMBER = "123456789012", "111111111111"
ROLE_ARN = f"arn:aws:iam::{MEMBER}:role/Deploy"
CMK = f"arn:aws:kms:us-east-1:{HOME}:key/0e1f2a3b-4c5d-6e7f-8a9b-0c1d2e3f4a5b"
PROVIDER = "pulumi:providers:aws"
WINDOW = "aws:ssm/maintenanceWindow:MaintenanceWindow"
TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"
ROLE = "aws:iam/role:Role"
POLICY = "aws:iam/policy:Policy"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
NIGHTLY = {"name": "Nightly", "schedule": "rate(1 day)", "duration": 2,
           "targets": [{"name": "Servers", "tags": {"Env": "qa"}}],
           "tasks": [{"name": "Patch", "type": "RUN_COMMAND", "document": "AWS-RunPatchBaseline",
                      "targets": ["Servers"]}]}


def _run(*, accounts: list[dict[str, Any]], **keys: Any) -> ProgramRun:
    values = {"windows": [NIGHTLY], "outputBucket": {}, "notifications": {"kmsMasterKeyId": CMK}, "accounts": accounts,
              **keys}
    config = {"aws:region": "us-east-1", "aws:allowedAccountIds": [HOME],
              **{f"{NAMESPACE}:{key}": value for key, value in values.items()}}
    return run_program(ROOT, project="maintenance-windows", stack="test", config=config)


@pytest.fixture(scope="module")
def org() -> ProgramRun:
    accounts = [{"id": HOME}, {"id": MEMBER, "name": "dev", "roleArn": ROLE_ARN, "regions": ["us-east-1", "eu-west-1"]}]
    return _run(accounts=accounts, passRole={"groups": ["Admins"]})


def _of(run: ProgramRun, token: str, provider: str) -> list[str]:
    return sorted(r.name for r in by_type(run, token) if r.provider_urn.rsplit("::", 1)[-1] == provider)


def test_one_provider_per_member_assuming_its_role(org):
    provider = one(org, PROVIDER)
    assert provider.name == "account-dev"
    assert provider.inputs["region"] == "us-east-1"
    assert json.loads(provider.inputs["allowedAccountIds"]) == [MEMBER]
    assert json.loads(provider.inputs["assumeRoles"]) == [{"roleArn": ROLE_ARN, "sessionName": "maintenance-windows"}]


@pytest.mark.parametrize(("token", "home", "member"), [
    (WINDOW, ["Nightly"], ["dev-Nightly", "dev-Nightly-eu-west-1"]),
    (TASK, ["Nightly-Patch"], ["dev-Nightly-Patch", "dev-Nightly-eu-west-1-Patch"]),
    (ROLE, ["service-role"], ["dev-service-role"]),
    (POLICY, ["pass-role"], ["dev-pass-role"]),
    ("aws:s3/bucket:Bucket", ["output-bucket"], []),
    ("aws:sns/topic:Topic", ["notifications"], []),
])
def test_home_keeps_todays_names_and_members_are_prefixed(org, token, home, member):
    assert _of(org, token, "default_7_51_1") == home
    assert _of(org, token, "account-dev") == member


def test_member_role_trusts_ssm_for_its_own_account_and_tasks_use_it(org):
    role = next(r for r in by_type(org, ROLE) if r.name == "dev-service-role")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": MEMBER}}
    for task in by_type(org, TASK):
        account = MEMBER if task.name.startswith("dev-") else HOME
        assert task.inputs["serviceRoleArn"].startswith(f"arn:aws:iam::{account}:role/")


def test_member_tasks_write_under_their_account_prefix(org):
    prefixes = {t.name: t.inputs["taskInvocationParameters"]["runCommandParameters"]["outputS3KeyPrefix"]
                for t in by_type(org, TASK)}
    assert prefixes == {"Nightly-Patch": "Nightly/Patch/", "dev-Nightly-Patch": "dev/Nightly/Patch/",
                        "dev-Nightly-eu-west-1-Patch": "dev/Nightly/Patch/"}


def test_bucket_policy_admits_each_member_under_its_prefix_only(org):
    statements = json.loads(one(org, BUCKET_POLICY).inputs["policy"])["Statement"]
    bucket = statements[0]["Resource"][0]
    assert statements[1:] == [{"Sid": f"RunCommandOutputFrom{MEMBER}", "Effect": "Allow",
                               "Principal": {"AWS": f"arn:aws:iam::{MEMBER}:root"}, "Action": "s3:PutObject",
                               "Resource": f"{bucket}/dev/*"}]


def test_topic_policy_admits_exactly_the_member_service_roles(org):
    role = next(r for r in by_type(org, ROLE) if r.name == "dev-service-role")
    (statement,) = json.loads(one(org, TOPIC_POLICY).inputs["policy"])["Statement"]
    assert statement["Principal"] == {"AWS": [role.outputs["arn"]]}
    assert statement["Action"] == "sns:Publish"
    assert statement["Resource"] == one(org, "aws:sns/topic:Topic").outputs["arn"]


def test_every_notifying_role_may_use_the_topics_key_through_sns(org):
    """A customer managed topic key: each account's service role gets exactly that key, through SNS only."""
    policies = {r.name: json.loads(r.inputs["policy"]) for r in by_type(org, "aws:iam/rolePolicy:RolePolicy")}
    assert sorted(policies) == ["dev-service-role-task-access", "service-role-task-access"]
    for document in policies.values():
        (grant,) = [s for s in document["Statement"] if s["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]]
        assert grant["Resource"] == CMK
        assert grant["Condition"] == {"StringEquals": {"kms:ViaService": "sns.us-east-1.amazonaws.com"}}


def test_outputs_keep_the_home_keys_and_add_accounts(org):
    assert set(org.outputs) >= {"serviceRoleArn", "passRolePolicyArn", "windows", "outputBucket",
                                "notificationTopicArn", "accounts"}
    assert set(org.outputs["windows"]) == {"Nightly"}
    dev = org.outputs["accounts"]["dev"]
    assert dev["id"] == MEMBER and dev["serviceRoleArn"].startswith(f"arn:aws:iam::{MEMBER}:role/")
    assert set(dev["windows"]) == {"Nightly-us-east-1", "Nightly-eu-west-1"}


@pytest.mark.parametrize(("accounts", "pass_role", "expected"), [
    ([{"id": HOME}, {"id": MEMBER, "name": "dev", "roleArn": ROLE_ARN}], {}, ["dev-pass-role", "pass-role"]),
    ([{"id": HOME}, {"id": MEMBER, "name": "dev", "roleArn": ROLE_ARN}], {"accounts": ["dev"]}, ["dev-pass-role"]),
    ([{"id": HOME}, {"id": MEMBER, "name": "dev", "roleArn": ROLE_ARN}], {"accounts": [HOME]}, ["pass-role"]),
    # Without the deploying account in `accounts`: only the central resources there.
    ([{"id": MEMBER, "name": "dev", "roleArn": ROLE_ARN}], {}, ["dev-pass-role"]),
])
def test_pass_role_is_where_pass_role_accounts_says(accounts, pass_role, expected):
    run = _run(accounts=accounts, passRole=pass_role)
    assert sorted(r.name for r in by_type(run, POLICY)) == expected


def test_a_stack_without_its_home_account_deploys_only_the_central_resources_there():
    run = _run(accounts=[{"id": MEMBER, "name": "dev", "roleArn": ROLE_ARN}])
    home = [r.name for r in run.resources if r.custom and r.provider_urn.rsplit("::", 1)[-1] == "default_7_51_1"]
    assert home and all(name.startswith(("output-bucket", "notifications")) for name in home)


def test_windows_pick_the_accounts_windows():
    fleet = {**NIGHTLY, "name": "Fleet"}
    run = _run(accounts=[{"id": HOME, "windows": ["Fleet"]},
                               {"id": MEMBER, "name": "dev", "roleArn": ROLE_ARN, "windows": ["Nightly"]}],
               windows=[NIGHTLY, fleet])
    assert sorted(r.name for r in by_type(run, WINDOW)) == ["Fleet", "dev-Nightly"]


def test_a_source_account_given_for_the_stack_is_each_members_own_in_its_role():
    run = _run(accounts=[{"id": HOME}, {"id": MEMBER, "name": "dev", "roleArn": ROLE_ARN}],
               serviceRole={"sourceAccount": HOME})
    trusted = {r.name: json.loads(r.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
               for r in by_type(run, ROLE)}
    assert trusted == {"service-role": {"aws:SourceAccount": HOME}, "dev-service-role": {"aws:SourceAccount": MEMBER}}
