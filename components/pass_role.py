"""The IAM policy that lets administrators pass the service role to Systems Manager, and only that role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from mw_components import iam_policy
from mw_components.service_role import SSM_SERVICE

from mw_core.errors import ConfigError, Problem
from mw_core.problems import checker

PASS_ROLE_TYPE = "maintenance-windows:iam:PassRolePolicy"


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

    role_arn: pulumi.Input[str] | None = None
    policy_name: str | None = None
    description: str = "Lets its holders pass the maintenance window service role to Systems Manager"
    path: str | None = None
    groups: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        check = checker(out)
        check("policyName", iam_policy.POLICY_NAME, self.policy_name)
        check("description", iam_policy.POLICY_DESCRIPTION, self.description)
        check("path", iam_policy.POLICY_PATH, self.path)
        if isinstance(self.role_arn, str):
            # The one resource iam:PassRole is granted on: exactly one role, never a pattern.
            problem = iam_policy.arn_problem(self.role_arn, iam_policy.IAM_ROLE)
            if problem is not None:
                out.append(Problem("roleArn", problem))
        holders = (("groups", self.groups, iam_policy.GROUP_NAME), ("users", self.users, iam_policy.USER_NAME),
                   ("roles", self.roles, iam_policy.ROLE_NAME))
        for key, names, limit in holders:
            for index, value in enumerate(names):
                check(f"{key}[{index}]", limit, value)
            if len(set(names)) != len(names):
                out.append(Problem(key, "lists a name more than once"))
        return out


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
            problems.append(Problem("roleArn", "required: the ARN of the role to let holders pass"))
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
