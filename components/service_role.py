"""The IAM service role that Systems Manager assumes to run maintenance window tasks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components import iam_policy
from mw._fields import checker
from mw.errors import ConfigError, Problem

SERVICE_ROLE_TYPE = "maintenance-windows:iam:ServiceRole"
SSM_SERVICE = "ssm.amazonaws.com"
MANAGED_POLICY_NAME = "AmazonSSMMaintenanceWindowRole"
# The managed policy already lets the role invoke functions and state machines named SSM*.
MANAGED_PREFIX = "SSM"
_SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$")


@dataclass(frozen=True)
class ServiceRoleArgs:
    """The maintenance window service role.

    :param name: the role's name. Default: a name Pulumi generates from the component name.
    :param description: Default: ``Lets Systems Manager run maintenance window tasks``.
    :param trusted_services: service principals that may assume the role; must include
        ``ssm.amazonaws.com``. Default: ``ssm.amazonaws.com`` only.
    :param path: Default: ``/``.
    :param permissions_boundary: a managed policy ARN bounding the role. Default: none.
    :param source_account: the account allowed as ``aws:SourceAccount`` in the trust policy
        (against confused-deputy use). Default: the deploying account.
    :param notification_topic_arns: topics tasks notify; the role gets ``sns:Publish`` on them only.
    :param lambda_function_arns: functions tasks invoke; those not named ``SSM*`` (which the managed
        policy covers) get ``lambda:InvokeFunction`` on exactly that function.
    :param state_machine_arns: state machines tasks start; likewise ``states:StartExecution``.
    :param tags: Default: none.
    """

    name: str | None = None
    description: str = "Lets Systems Manager run maintenance window tasks"
    trusted_services: tuple[str, ...] = (SSM_SERVICE,)
    path: str | None = None
    permissions_boundary: pulumi.Input[str] | None = None
    source_account: pulumi.Input[str] | None = None
    notification_topic_arns: tuple[pulumi.Input[str], ...] = ()
    lambda_function_arns: tuple[pulumi.Input[str], ...] = ()
    state_machine_arns: tuple[pulumi.Input[str], ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        check = checker(out)
        check("name", iam_policy.ROLE_NAME, self.name)
        check("description", iam_policy.ROLE_DESCRIPTION, self.description)
        check("path", iam_policy.ROLE_PATH, self.path)
        if not self.trusted_services:
            out.append(Problem("trustedServices", f"expected at least one service principal (allowed: {SSM_SERVICE} "
                                                  "and others)"))
        elif SSM_SERVICE not in self.trusted_services:
            out.append(Problem("trustedServices", f"{list(self.trusted_services)} must include {SSM_SERVICE}: "
                                                  "Systems Manager assumes this role to run tasks"))
        for index, service in enumerate(self.trusted_services):
            if not _SERVICE_PRINCIPAL.match(service):
                out.append(Problem(f"trustedServices[{index}]", f"{service!r} is not a service principal "
                                                                "(allowed: <service>.amazonaws.com)"))
        return out


class ServiceRole(pulumi.ComponentResource):
    """The IAM role Systems Manager assumes to run maintenance window tasks.

    Creates an ``aws.iam.Role`` trusted by the configured services with an ``aws:SourceAccount``
    condition, an ``aws.iam.RolePolicyAttachment`` of the AWS managed policy
    ``AmazonSSMMaintenanceWindowRole`` (in the deploying partition) and, only when tasks need more
    than that policy grants, an ``aws.iam.RolePolicy`` with least-privilege statements.

    Example::

        role = ServiceRole("service-role", ServiceRoleArgs(name="SSMMaintenanceWindowRole"))
        role.arn  # pass to tasks

    Outputs: ``arn`` and ``name`` of the role.
    """

    arn: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(self, name: str, args: ServiceRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = args.problems()
        ConfigError.check(problems, f"service role {name!r}")
        super().__init__(SERVICE_ROLE_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        account = pulumi.Output.from_input(args.source_account) if args.source_account else identity.account_id
        self.role = aws.iam.Role(
            name,
            name=args.name,
            description=args.description,
            path=args.path,
            permissions_boundary=args.permissions_boundary,
            assume_role_policy=account.apply(lambda acct: iam_policy.dumps(_trust_policy(args.trusted_services, acct))),
            tags=dict(args.tags) or None,
            opts=child,
        )
        self.arn = self.role.arn
        self.name = self.role.name
        partition = self.role.arn.apply(iam_policy.partition_of)
        aws.iam.RolePolicyAttachment(
            f"{name}-managed-policy",
            role=self.role.name,
            policy_arn=partition.apply(lambda p: f"arn:{p}:iam::aws:policy/service-role/{MANAGED_POLICY_NAME}"),
            opts=child,
        )
        # Plain ARNs named SSM* are covered by the managed policy; an Output may be anything, so it is granted.
        functions = tuple(f for f in args.lambda_function_arns if not _named_ssm(f, ":function:"))
        machines = tuple(m for m in args.state_machine_arns if not _named_ssm(m, ":stateMachine:"))
        if args.notification_topic_arns or functions or machines:
            document = pulumi.Output.all(list(args.notification_topic_arns), list(functions), list(machines)).apply(
                lambda lists: iam_policy.dumps(_task_access_policy(*lists)))
            aws.iam.RolePolicy(
                f"{name}-task-access",
                role=self.role.name,
                name="MaintenanceWindowTaskAccess",
                policy=document,
                opts=child,
            )
        self.register_outputs({"arn": self.arn, "name": self.name})


def _trust_policy(services: tuple[str, ...], account: str | None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": sorted(services)},
        "Action": "sts:AssumeRole",
    }
    if account:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": account}}
    else:
        # Only mocks answer the caller-identity lookup with nothing; real deployments always have an account.
        pulumi.log.warn("no account ID known: the service role's trust policy has no aws:SourceAccount condition")
    return {"Version": "2012-10-17", "Statement": [statement]}


def _task_access_policy(topics: list[str], functions: list[str], machines: list[str]) -> dict[str, Any]:
    """Statements for what the managed policy does not cover, each on exactly the resources named."""
    statements: list[dict[str, Any]] = []
    if topics:
        statements.append({"Sid": "PublishTaskNotifications", "Effect": "Allow", "Action": "sns:Publish",
                           "Resource": sorted(set(topics))})
    if functions:
        # A qualified invocation (version or alias) is authorised against "<function>:<qualifier>".
        resources = sorted({r for f in functions for r in (f, f"{f}:*")})
        statements.append({"Sid": "InvokeTaskFunctions", "Effect": "Allow", "Action": "lambda:InvokeFunction",
                           "Resource": resources})
    if machines:
        machines = sorted(set(machines))
        statements.append({"Sid": "StartTaskStateMachines", "Effect": "Allow", "Action": "states:StartExecution",
                           "Resource": machines})
        statements.append({"Sid": "DescribeTaskExecutions", "Effect": "Allow", "Action": "states:DescribeExecution",
                           "Resource": [m.replace(":stateMachine:", ":execution:") + ":*" for m in machines]})
    return {"Version": "2012-10-17", "Statement": statements}


def _named_ssm(arn: pulumi.Input[str], marker: str) -> bool:
    """Whether the managed policy's ``SSM*`` resources already cover this (plain) ARN."""
    if not isinstance(arn, str):
        return False
    _, found, rest = arn.partition(marker)
    return bool(found) and rest.startswith(MANAGED_PREFIX)
