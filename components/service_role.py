"""The IAM service role that Systems Manager assumes to run maintenance window tasks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from mw_components import iam_policy
from mw_components.checks import Context, checks, each, field_problems, limited, rule
from mw_components.iam_policy import LAMBDA_FUNCTION, LAMBDA_FUNCTION_NAME, SNS_TOPIC, STATE_MACHINE, arn_of

from mw_core import arns, limits
from mw_core.errors import ConfigError, Problem
from mw_core.problems import showable_key, tag_problems

SERVICE_ROLE_TYPE = "maintenance-windows:iam:ServiceRole"
SSM_SERVICE = "ssm.amazonaws.com"
MANAGED_POLICY_NAME = "AmazonSSMMaintenanceWindowRole"
# The managed policy already lets the role invoke functions and start state machines named SSM*, in any account
# and region ("arn:aws:lambda:*:*:function:SSM*", "arn:aws:states:*:*:stateMachine:SSM*"; AWS Managed Policy
# Reference, AmazonSSMMaintenanceWindowRole).
MANAGED_PREFIX = "SSM"
_SERVICE_PRINCIPAL = re.compile(r"[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?")


def trusted_service_problems(services: tuple[str, ...], context: Context) -> list[Problem]:
    """Service principals (``<service>.amazonaws.com``), Systems Manager's among them."""
    out: list[Problem] = []
    if not services:
        out.append(Problem("", f"expected at least one service principal (allowed: {SSM_SERVICE} and others)"))
    elif SSM_SERVICE not in services:
        out.append(Problem("", f"{list(services)} must include {SSM_SERVICE}: Systems Manager assumes this role to "
                               "run tasks"))
    for index, service in enumerate(services):
        if not (isinstance(service, str) and _SERVICE_PRINCIPAL.fullmatch(service)):
            out.append(Problem(f"[{index}]", f"{limits.describe_value(service)} is not a service principal "
                                             "(allowed: <service>.amazonaws.com)"))
    return out


def account_problem(account: Any) -> str | None:
    """Why ``account`` is not an AWS account ID."""
    if not isinstance(account, str):
        return f"expected a string, got {limits.describe_value(account)}"
    return arns.account_problem(account)


def role_tag_problems(tags: Mapping[str, str], context: Context) -> list[Problem]:
    """Tags AWS would refuse (:func:`mw_core.problems.tag_problems`), and keys that differ only in case: IAM
    role tag keys are not case sensitive ("you cannot have separate Department and department tag keys", IAM
    User Guide, "Rules for tagging")."""
    out = tag_problems(tags)
    first: dict[str, str] = {}
    for key in tags:
        if not isinstance(key, str):
            continue
        if key.lower() in first:
            out.append(Problem(key if showable_key(key) else "", f"{key!r} and {first[key.lower()]!r} differ only in "
                                                                 "case, and IAM role tag keys are not case sensitive "
                                                                 "(allowed: each key once, in any case)"))
        else:
            first[key.lower()] = key
    return out


def _granted_function(function: Any, context: Context) -> list[Problem]:
    if isinstance(function, str) and _ssm_function_name(function):
        return []  # the managed policy's
    return arn_of(LAMBDA_FUNCTION)(function, context)


def _kms_key_arn_problem(key: str) -> str | None:
    if isinstance(key, str) and arns.KMS_KEY_ARN.fullmatch(key):
        return None
    return (f"{limits.describe_value(key)} is not a KMS key ARN (allowed: "
            "arn:<partition>:kms:<region>:<account>:key/<id>; IAM grants name keys, not aliases)")


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
        Default: none.
    :param notification_kms_key_arns: customer managed KMS keys (key ARNs) those topics are encrypted with; the
        role gets ``kms:GenerateDataKey`` and ``kms:Decrypt`` on exactly those keys, only through SNS in the key's
        region (``kms:ViaService``), which a publisher to an encrypted topic needs. Default: none (the AWS
        managed key ``alias/aws/sns`` needs no grant in its own account).
    :param lambda_function_arns: functions tasks invoke; those named ``SSM*`` (which the managed policy
        covers, and which may then be given by name) get nothing more, the others get
        ``lambda:InvokeFunction`` on exactly that function. Default: none.
    :param state_machine_arns: state machines tasks start; likewise ``states:StartExecution``. Default: none.
    :param tags: Default: none.
    :param allow_wildcards: let the granted ARNs hold wildcards, leaving how far they reach to the policy
        pack's ``iam-resource-scope`` rule. Default: false (a wildcard is a problem).
    """

    name: str | None = field(default=None, metadata=checks(limited(iam_policy.ROLE_NAME)))
    description: str = field(default="Lets Systems Manager run maintenance window tasks",
                             metadata=checks(limited(iam_policy.ROLE_DESCRIPTION)))
    trusted_services: tuple[str, ...] = field(default=(SSM_SERVICE,), metadata=checks(trusted_service_problems))
    path: str | None = field(default=None, metadata=checks(limited(iam_policy.ROLE_PATH)))
    permissions_boundary: pulumi.Input[str] | None = field(default=None,
                                                           metadata=checks(limited(limits.IAM_POLICY_ARN)))
    source_account: pulumi.Input[str] | None = field(default=None, metadata=checks(rule(account_problem)))
    notification_topic_arns: tuple[pulumi.Input[str], ...] = field(default=(),
                                                              metadata=checks(each(arn_of(SNS_TOPIC))))
    notification_kms_key_arns: tuple[str, ...] = field(default=(), metadata=checks(each(rule(_kms_key_arn_problem))))
    lambda_function_arns: tuple[pulumi.Input[str], ...] = field(default=(), metadata=checks(each(_granted_function)))
    state_machine_arns: tuple[pulumi.Input[str], ...] = field(default=(), metadata=checks(each(arn_of(STATE_MACHINE))))
    tags: Mapping[str, str] = field(default_factory=dict, metadata=checks(role_tag_problems))
    allow_wildcards: bool = False

    def problems(self) -> list[Problem]:
        """What IAM would reject, and grants that would reach further than the resources named."""
        return field_problems(self, allow_wildcards=self.allow_wildcards)


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
            keys = list(args.notification_kms_key_arns) if args.notification_topic_arns else []
            document = pulumi.Output.all(list(args.notification_topic_arns), list(functions), list(machines)).apply(
                lambda lists: iam_policy.dumps(_task_access_policy(*lists, keys=keys)))
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


def _task_access_policy(topics: list[str], functions: list[str], machines: list[str],
                        keys: list[str] | None = None) -> dict[str, Any]:
    """Statements for what the managed policy does not cover, each on exactly the resources named."""
    statements: list[dict[str, Any]] = []
    if topics:
        statements.append({"Sid": "PublishTaskNotifications", "Effect": "Allow", "Action": "sns:Publish",
                           "Resource": sorted(set(topics))})
    for key in sorted(set(keys or ())):
        # Publishers to a topic encrypted with a customer managed key need kms:GenerateDataKey and kms:Decrypt
        # on the key (Amazon SNS Developer Guide, "Key management", sns-key-management.html). SNS calls KMS
        # for the publisher, hence kms:ViaService. The key policy must allow the role too (always, for a role
        # of another account).
        region = key.split(":")[3]
        statements.append({"Sid": f"EncryptTaskNotifications{len(statements)}", "Effect": "Allow",
                           "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": key,
                           "Condition": {"StringEquals": {"kms:ViaService": f"sns.{region}.amazonaws.com"}}})
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
