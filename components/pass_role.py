"""The IAM policy that lets administrators pass the service role to Systems Manager, and only that role."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from mw_components import iam_policy
from mw_components.checks import checks, distinct, each, field_problems, limited
from mw_components.iam_policy import arn_of
from mw_components.service_role import SSM_SERVICE

from mw_core.errors import ConfigError, Problem

PASS_ROLE_TYPE = "maintenance-windows:iam:PassRolePolicy"
_TWICE = "lists a name more than once"


@dataclass(frozen=True)
class PassRoleArgs:
    """A customer managed policy granting ``iam:PassRole`` on one role, and who holds it.

    :param role_arn: the service role's ARN; the only resource ``iam:PassRole`` is granted on. Required.
    :param policy_name: Default: a name Pulumi generates from the component name.
    :param description: Default: ``Lets its holders pass the maintenance window service role to
        Systems Manager``.
    :param path: Default: ``/``.
    :param groups: IAM groups to attach the policy to. Default: none.
    :param users: IAM users to attach the policy to. Default: none.
    :param roles: IAM roles to attach the policy to. Default: none.
    """

    role_arn: pulumi.Input[str] | None = field(default=None, metadata=checks(arn_of(iam_policy.IAM_ROLE)))
    policy_name: str | None = field(default=None, metadata=checks(limited(iam_policy.POLICY_NAME)))
    description: str = field(default="Lets its holders pass the maintenance window service role to Systems Manager",
                             metadata=checks(limited(iam_policy.POLICY_DESCRIPTION)))
    path: str | None = field(default=None, metadata=checks(limited(iam_policy.POLICY_PATH)))
    groups: tuple[str, ...] = field(default=(), metadata=checks(each(limited(iam_policy.GROUP_NAME)), distinct(_TWICE)))
    users: tuple[str, ...] = field(default=(), metadata=checks(each(limited(iam_policy.USER_NAME)), distinct(_TWICE)))
    roles: tuple[str, ...] = field(default=(), metadata=checks(each(limited(iam_policy.ROLE_NAME)), distinct(_TWICE)))

    def problems(self) -> list[Problem]:
        """What IAM would reject; ``role_arn`` must name exactly one role, never a pattern."""
        return field_problems(self)


class PassRolePolicy(pulumi.ComponentResource):
    """Lets its holders pass the maintenance window service role to Systems Manager.

    Creates an ``aws.iam.Policy`` with ``iam:PassRole`` on exactly ``role_arn``, conditioned on
    ``iam:PassedToService = ssm.amazonaws.com``, plus ``iam:ListRoles`` (which AWS authorizes on ``*`` only)
    so the console can offer the role; then one ``aws.iam.GroupPolicyAttachment``,
    ``aws.iam.UserPolicyAttachment`` or ``aws.iam.RolePolicyAttachment`` per holder, named
    ``<name>-group-<group>`` and so on.

    Example::

        PassRolePolicy("pass-role", PassRoleArgs(role_arn=role.arn, groups=("Administrators",)))

    Outputs: ``arn`` of the policy.
    """

    arn: pulumi.Output[str]

    def __init__(self, name: str, args: PassRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = args.problems()
        if args.role_arn is None:
            problems.append(Problem("role_arn", "required: the ARN of the role to let holders pass"))
        ConfigError.check(problems, f"PassRole policy {name!r}")
        super().__init__(PASS_ROLE_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.policy = aws.iam.Policy(
            name,
            name=args.policy_name,
            description=args.description,
            path=args.path,
            policy=pulumi.Output.from_input(args.role_arn).apply(lambda arn: iam_policy.dumps(pass_role_policy(arn))),
            opts=child,
        )
        self.arn = self.policy.arn
        attachments: tuple[tuple[str, tuple[str, ...], Any, str], ...] = (
            ("group", args.groups, aws.iam.GroupPolicyAttachment, "group"),
            ("user", args.users, aws.iam.UserPolicyAttachment, "user"),
            ("role", args.roles, aws.iam.RolePolicyAttachment, "role"),
        )
        for kind, names, resource, key in attachments:
            for holder in names:
                resource(f"{name}-{kind}-{holder}", policy_arn=self.policy.arn, opts=child, **{key: holder})
        self.register_outputs({"arn": self.arn})


def pass_role_policy(role_arn: str) -> dict[str, Any]:
    """The policy document: PassRole on one role, to Systems Manager only; never on ``*``."""
    statements: list[dict[str, Any]] = [{
        "Sid": "PassMaintenanceWindowRole",
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": role_arn,
        "Condition": {"StringEquals": {"iam:PassedToService": SSM_SERVICE}},
    }]
    # iam:ListRoles supports no resource-level permissions: the Service Authorization Reference lists no
    # resource type for it ("List" access level), so only "*" matches; a statement naming a role path never
    # applies and the console could not list roles. Listing reveals names and trust policies, not access.
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
    statements.append({"Sid": "ListRolesForConsole", "Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}
