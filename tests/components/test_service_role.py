"""ServiceRole under Pulumi mocks: trust, managed policy, least-privilege grants, validation."""

from __future__ import annotations

import json

import pytest
from conftest import deploy
from mw_components.service_role import ServiceRole, ServiceRoleArgs

from mw_core.errors import ConfigError

ROLE = "aws:iam/role:Role"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
INLINE = "aws:iam/rolePolicy:RolePolicy"


def test_trust_policy_and_managed_policy(mocks):
    deploy(lambda: ServiceRole("svc", ServiceRoleArgs(name="MwRole")).arn)
    (registered,) = mocks.of_type(ROLE)
    assert registered.inputs["name"] == "MwRole"
    trust = json.loads(registered.inputs["assumeRolePolicy"])
    assert trust == {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": ["ssm.amazonaws.com"]}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]}
    (attachment,) = mocks.of_type(ATTACH)
    assert attachment.inputs == {
        "role": "MwRole", "policyArn": "arn:aws:iam::aws:policy/service-role/AmazonSSMMaintenanceWindowRole"}
    assert mocks.of_type(INLINE) == []  # nothing beyond the managed policy is needed


def test_source_account_can_be_given(mocks):
    deploy(lambda: ServiceRole("svc", ServiceRoleArgs(source_account="999988887777")).arn)
    trust = json.loads(mocks.of_type(ROLE)[0].inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"] == "999988887777"


def test_grants_only_what_tasks_need(mocks):
    deploy(lambda: ServiceRole("svc", ServiceRoleArgs(
        notification_topic_arns=("arn:aws:sns:us-east-1:123456789012:alerts",),
        lambda_function_arns=("arn:aws:lambda:us-east-1:123456789012:function:SSMCovered",
                              "arn:aws:lambda:us-east-1:123456789012:function:Tidy"),
        state_machine_arns=("arn:aws:states:us-east-1:123456789012:stateMachine:Flow",),
    )).arn)
    (inline,) = mocks.of_type(INLINE)
    statements = json.loads(inline.inputs["policy"])["Statement"]
    assert statements == [
        {"Sid": "PublishTaskNotifications", "Effect": "Allow", "Action": "sns:Publish",
         "Resource": ["arn:aws:sns:us-east-1:123456789012:alerts"]},
        {"Sid": "InvokeTaskFunctions", "Effect": "Allow", "Action": "lambda:InvokeFunction",
         "Resource": ["arn:aws:lambda:us-east-1:123456789012:function:Tidy",
                      "arn:aws:lambda:us-east-1:123456789012:function:Tidy:*"]},
        {"Sid": "StartTaskStateMachines", "Effect": "Allow", "Action": "states:StartExecution",
         "Resource": ["arn:aws:states:us-east-1:123456789012:stateMachine:Flow"]},
        {"Sid": "DescribeTaskExecutions", "Effect": "Allow", "Action": "states:DescribeExecution",
         "Resource": ["arn:aws:states:us-east-1:123456789012:execution:Flow:*"]},
    ]


KEY = "arn:aws:kms:eu-west-1:123456789012:key/0e1f2a3b-4c5d-6e7f-8a9b-0c1d2e3f4a5b"


def test_a_customer_managed_topic_key_is_granted_through_sns_only(mocks):
    deploy(lambda: ServiceRole("svc", ServiceRoleArgs(
        notification_topic_arns=("arn:aws:sns:eu-west-1:123456789012:alerts",), notification_kms_key_arns=(KEY,),
    )).arn)
    (inline,) = mocks.of_type(INLINE)
    assert json.loads(inline.inputs["policy"])["Statement"][1] == {
        "Sid": "EncryptTaskNotifications1", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": KEY, "Condition": {"StringEquals": {"kms:ViaService": "sns.eu-west-1.amazonaws.com"}}}


def test_a_topic_key_without_topics_grants_nothing(mocks):
    deploy(lambda: ServiceRole("svc", ServiceRoleArgs(notification_kms_key_arns=(KEY,))).arn)
    assert mocks.of_type(INLINE) == []


def test_ssm_named_functions_need_no_inline_policy(mocks):
    deploy(lambda: ServiceRole("svc", ServiceRoleArgs(
        lambda_function_arns=("arn:aws:lambda:us-east-1:123456789012:function:SSMTidy",))).arn)
    assert len(mocks.of_type(ROLE)) == 1
    assert mocks.of_type(INLINE) == []


def test_children_are_parented_and_named_from_the_component(mocks):
    deploy(lambda: ServiceRole("svc", ServiceRoleArgs(
        notification_topic_arns=("arn:aws:sns:us-east-1:123456789012:alerts",))).arn)
    names = sorted(r.name for r in mocks.resources if r.typ.startswith("aws:"))
    assert names == ["svc", "svc-managed-policy", "svc-task-access"]


@pytest.mark.parametrize(("args", "message"), [
    (ServiceRoleArgs(trusted_services=()), "trusted_services: expected at least one service principal"),
    (ServiceRoleArgs(trusted_services=("ec2.amazonaws.com",)), "must include ssm.amazonaws.com"),
    (ServiceRoleArgs(name="bad name"), "name: 'bad name' is not allowed"),
    (ServiceRoleArgs(path="no-slashes"), "path: 'no-slashes' is not allowed"),
    (ServiceRoleArgs(trusted_services=("ssm.amazonaws.com\n",)), "trusted_services\\[0\\]: .* is not a service principal"),
    (ServiceRoleArgs(permissions_boundary="arn:aws:iam::123456789012:role/Boundary"),
     "permissions_boundary: 'arn:aws:iam::123456789012:role/Boundary' is not allowed \\(allowed: 20 to 2048 characters, "
     "arn:<partition>:iam::<account or aws>:policy/<path/><name>\\)"),
    (ServiceRoleArgs(source_account="12345"), "source_account: '12345' is not an AWS account ID \\(allowed: 12 digits"),
    (ServiceRoleArgs(tags={"aws:owner": "me"}), "tags.aws:owner: 'aws:owner' starts with 'aws:'"),
    (ServiceRoleArgs(tags={"Env": "a\x00"}), "tags.Env: value 'a\\\\x00' is not allowed"),
    (ServiceRoleArgs(tags={"Env": "a", "ENV": "b"}), "tags.ENV: 'ENV' and 'Env' differ only in case"),
    (ServiceRoleArgs(lambda_function_arns=("arn:aws:lambda:*:*:function:*",)),
     "lambda_function_arns\\[0\\]: .* has a wildcard in its region .*`allow_wildcards`: true"),
    (ServiceRoleArgs(lambda_function_arns=("Tidy",)), "lambda_function_arns\\[0\\]: 'Tidy' is not a Lambda function ARN"),
    (ServiceRoleArgs(state_machine_arns=("arn:aws:states:us-east-1:123456789012:stateMachine:*",)),
     "state_machine_arns\\[0\\]: .* has a wildcard in the resource's name"),
    (ServiceRoleArgs(notification_topic_arns=("*",)), "notification_topic_arns\\[0\\]: '\\*' is not an SNS topic ARN"),
    (ServiceRoleArgs(notification_kms_key_arns=("alias/my-key",)),
     "notification_kms_key_arns\\[0\\]: 'alias/my-key' is not a KMS key ARN \\(allowed: "
     "arn:<partition>:kms:<region>:<account>:key/<id>; IAM grants name keys, not aliases\\)"),
    (ServiceRoleArgs(notification_topic_arns=("*",), allow_wildcards=True),
     "notification_topic_arns\\[0\\]: '\\*' is not an SNS topic ARN"),
])
def test_invalid_args_raise_before_anything_is_registered(mocks, args, message):
    with pytest.raises(ConfigError, match=message):
        ServiceRole("svc", args)
    assert mocks.resources == []


def test_allow_wildcards_grants_exactly_what_was_written(mocks):
    # The pack's iam-resource-scope rule judges it; the component neither refuses nor narrows it.
    deploy(lambda: ServiceRole("svc", ServiceRoleArgs(allow_wildcards=True, lambda_function_arns=(
        "arn:aws:lambda:*:*:function:*",))).arn)
    (inline,) = mocks.of_type(INLINE)
    (statement,) = json.loads(inline.inputs["policy"])["Statement"]
    assert statement["Resource"] == ["arn:aws:lambda:*:*:function:*", "arn:aws:lambda:*:*:function:*:*"]


def test_a_function_named_ssm_by_name_is_the_managed_policys(mocks):
    deploy(lambda: ServiceRole("svc", ServiceRoleArgs(lambda_function_arns=("SSMPatchHook",))).arn)
    assert mocks.of_type(INLINE) == []


@pytest.mark.parametrize("args", [
    ServiceRoleArgs(permissions_boundary="arn:aws:iam::aws:policy/PowerUserAccess", source_account="999999999999",
                    tags={"名前": "値", "Team": "ops"}),
    ServiceRoleArgs(lambda_function_arns=("SSMPatchHook", "arn:aws:lambda:us-east-1:123456789012:function:Tidy:live")),
])
def test_valid_args_have_no_problems(args):
    assert args.problems() == []
