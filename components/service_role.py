"""The IAM service role that Systems Manager assumes to run maintenance window tasks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from mw_components import iam_policy
from mw_components.iam_policy import LAMBDA_FUNCTION, LAMBDA_FUNCTION_NAME, SNS_TOPIC, STATE_MACHINE, arn_problem

from mw_core import arns, limits
from mw_core.errors import ConfigError, Problem
from mw_core.problems import checker, nest, showable_key, tag_problems

SERVICE_ROLE_TYPE = "maintenance-windows:iam:ServiceRole"
SSM_SERVICE = "ssm.amazonaws.com"
MANAGED_POLICY_NAME = "AmazonSSMMaintenanceWindowRole"
# The managed policy already lets the role invoke functions and start state machines named SSM*, in any account
# and region ("arn:aws:lambda:*:*:function:SSM*", "arn:aws:states:*:*:stateMachine:SSM*"; AWS Managed Policy
# Reference, AmazonSSMMaintenanceWindowRole).
MANAGED_PREFIX = "SSM"
_SERVICE_PRINCIPAL = re.compile(r"[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?")


@dataclass(frozen=True)
class ServiceRoleArgs:
    """The maintenance window service role.

    :param name: the role's name. Default: a name Pulumi generates from the component name.
    :param description: Default: ``Lets Systems Manager run maintenance window tasks``.
    :param trusted_services: service principals that may assume the role; must include
        ``ssm.amazonaws.com``. Default: ``ssm.amazonaws.com`` only.
    :param path: Default: ``/``.
    :param permissions_boundary: the ARN of a managed policy (AWS's or the account's) bounding the role.
        Default: none.
    :param source_account: the 12-digit account allowed as ``aws:SourceAccount`` in the trust policy
        (against confused-deputy use). Default: the deploying account.
    :param notification_topic_arns: topics tasks notify; the role gets ``sns:Publish`` on them only.
    :param lambda_function_arns: functions tasks invoke; those named ``SSM*`` (which the managed policy
        covers, and which may then be given by name) get nothing more, the others get
        ``lambda:InvokeFunction`` on exactly that function.
    :param state_machine_arns: state machines tasks start; likewise ``states:StartExecution``.
    :param tags: Default: none.
    :param allow_wildcards: let the granted ARNs hold wildcards, leaving how far they reach to the policy
        pack's ``iam-resource-scope`` rule. Default: false (a wildcard is a problem).
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
    allow_wildcards: bool = False

    def problems(self) -> list[Problem]:
        """What IAM would reject, and grants that would reach further than the resources named."""
        out: list[Problem] = []
        check = checker(out)
        check("name", iam_policy.ROLE_NAME, self.name)
        check("description", iam_policy.ROLE_DESCRIPTION, self.description)
        check("path", iam_policy.ROLE_PATH, self.path)
        check("permissionsBoundary", limits.IAM_POLICY_ARN, _plain(self.permissions_boundary))
        account = _plain(self.source_account)
        if account is not None:
            problem = arns.account_problem(account) if isinstance(account, str) else (
                f"expected a string, got {limits.describe_value(account)}")
            if problem is not None:
                out.append(Problem("sourceAccount", problem))
        out += nest("tags", tag_problems(self.tags))
        out += _case_duplicates(self.tags)
        out += self._grant_problems()
        if not self.trusted_services:
            out.append(Problem("trustedServices", f"expected at least one service principal (allowed: {SSM_SERVICE} "
                                                  "and others)"))
        elif SSM_SERVICE not in self.trusted_services:
            out.append(Problem("trustedServices", f"{list(self.trusted_services)} must include {SSM_SERVICE}: "
                                                  "Systems Manager assumes this role to run tasks"))
        for index, service in enumerate(self.trusted_services):
            if not _SERVICE_PRINCIPAL.fullmatch(service):
                out.append(Problem(f"trustedServices[{index}]", f"{service!r} is not a service principal "
                                                                "(allowed: <service>.amazonaws.com)"))
        return out

    def _grant_problems(self) -> list[Problem]:
        """The plain ARNs the role is granted on: one resource each, unless wildcards are allowed."""
        out: list[Problem] = []
        grants = (("notificationTopicArns", self.notification_topic_arns, SNS_TOPIC),
                  ("lambdaFunctionArns", self.lambda_function_arns, LAMBDA_FUNCTION),
                  ("stateMachineArns", self.state_machine_arns, STATE_MACHINE))
        for key, values, kind in grants:
            for index, value in enumerate(values):
                if not isinstance(value, str) or (kind is LAMBDA_FUNCTION and _ssm_function_name(value)):
                    continue  # an Output is known at deploy time only; an SSM* name is the managed policy's
                problem = arn_problem(value, kind, allow_wildcards=self.allow_wildcards)
                if problem is not None:
                    out.append(Problem(f"{key}[{index}]", problem))
        return out


def _case_duplicates(tags: Mapping[str, str]) -> list[Problem]:
    """IAM role tag keys are not case sensitive ("you cannot have separate Department and department tag keys",
    IAM User Guide, "Rules for tagging"): two keys that differ only in case would be one tag."""
    out: list[Problem] = []
    first: dict[str, str] = {}
    for key in tags:
        if not isinstance(key, str):
            continue
        if key.lower() in first:
            path = f"tags.{key}" if showable_key(key) else "tags"
            out.append(Problem(path, f"{key!r} and {first[key.lower()]!r} differ only in case, and IAM role tag keys "
                                     "are not case sensitive (allowed: each key once, in any case)"))
        else:
            first[key.lower()] = key
    return out


def _plain(value: Any) -> Any:
    """Validation looks at plain values only; an Output is checked by AWS at deploy time."""
    return None if isinstance(value, pulumi.Output) else value


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
    """Whether the managed policy's ``SSM*`` resources already cover this plain ARN, or function name."""
    if not isinstance(arn, str):
        return False
    if marker == ":function:" and _ssm_function_name(arn):
        return True
    _, found, rest = arn.partition(marker)
    return bool(found) and rest.startswith(MANAGED_PREFIX)


def _ssm_function_name(value: str) -> bool:
    """A Lambda function's name alone, starting with ``SSM``: the window's own account and region, covered by
    the managed policy's ``arn:aws:lambda:*:*:function:SSM*``."""
    return bool(LAMBDA_FUNCTION_NAME.fullmatch(value)) and value.startswith(MANAGED_PREFIX)
