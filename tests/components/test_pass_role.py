"""PassRolePolicy under Pulumi mocks: PassRole on one role only, to SSM only; attachments."""

from __future__ import annotations

import json

import pytest
from conftest import deploy
from mw_components.pass_role import PassRoleArgs, PassRolePolicy, pass_role_policy

from mw_core.errors import ConfigError

ROLE_ARN = "arn:aws:iam::123456789012:role/MwRole"


def test_policy_document_never_grants_pass_role_on_a_wildcard():
    document = pass_role_policy(ROLE_ARN)
    assert document["Statement"] == [
        {"Sid": "PassMaintenanceWindowRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLE_ARN,
         "Condition": {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}},
        {"Sid": "ListRolesForConsole", "Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"},
    ]


# The Service Authorization Reference (IAM): the resource types each granted action can be scoped to.
# ListRoles has none, so a statement naming a role path would never match; PassRole takes a role ARN.
RESOURCE_LEVEL = {"iam:PassRole": "role", "iam:ListRoles": None}


@pytest.mark.parametrize("role_arn", [ROLE_ARN, "arn:aws-cn:iam::123456789012:role/MwRole",
                                      "arn:aws-us-gov:iam::123456789012:role/ops/MwRole"])
def test_each_statement_is_scoped_as_far_as_its_action_allows(role_arn):
    for statement in pass_role_policy(role_arn)["Statement"]:
        if RESOURCE_LEVEL[statement["Action"]] is None:
            assert statement["Resource"] == "*"
        else:
            assert statement["Resource"] == role_arn


def test_attachments_for_groups_users_and_roles(mocks):
    deploy(lambda: PassRolePolicy("pass", PassRoleArgs(role_arn=ROLE_ARN, policy_name="MwPassRole",
                                                       groups=("Administrators",), users=("alice",), roles=("Ops",))).arn)
    (registered,) = mocks.of_type("aws:iam/policy:Policy")
    assert registered.inputs["name"] == "MwPassRole"
    assert json.loads(registered.inputs["policy"]) == pass_role_policy(ROLE_ARN)
    arn = "arn:aws:iam::123456789012:policy/MwPassRole"
    holders = {(r.typ, r.name): r.inputs for r in mocks.resources if "Attachment" in r.typ}
    assert holders == {
        ("aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "pass-group-Administrators"):
            {"group": "Administrators", "policyArn": arn},
        ("aws:iam/userPolicyAttachment:UserPolicyAttachment", "pass-user-alice"): {"user": "alice", "policyArn": arn},
        ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "pass-role-Ops"): {"role": "Ops", "policyArn": arn},
    }


@pytest.mark.parametrize(("args", "message"), [
    (PassRoleArgs(role_arn="arn:aws:iam::123456789012:role/*"),
     "role_arn: 'arn:aws:iam::123456789012:role/\\*' has a wildcard in the resource's name"),
    (PassRoleArgs(role_arn="arn:aws:iam::*:role/MwRole"), "role_arn: .* has a wildcard in its account"),
    (PassRoleArgs(role_arn="*"), "role_arn: '\\*' is not an IAM role ARN"),
    (PassRoleArgs(role_arn="arn:aws:iam::123456789012:user/MwRole"), "role_arn: .* is not an IAM role ARN"),
    (PassRoleArgs(), "role_arn: required"),
    (PassRoleArgs(role_arn=ROLE_ARN, groups=("a b",)), "groups\\[0\\]: 'a b' is not allowed"),
])
def test_invalid_args_raise_before_anything_is_registered(mocks, args, message):
    with pytest.raises(ConfigError, match=message):
        PassRolePolicy("pass", args)
    assert mocks.resources == []
