"""How far the stack reaches: what its grants cover, and every reference it makes to another AWS account.

* ``iam-resource-scope``: an allowing statement of any policy document the stack creates (a role's inline
  policies, RolePolicy, Policy, UserPolicy, GroupPolicy, bucket and topic policies; a role's trust policy is
  ``iam-trusted-principals``' business) that grants one of the actions a maintenance window's reach depends on
  (``lambda:InvokeFunction``, any ``states:`` action, ``sns:Publish``, any ``s3:Put*`` action, ``iam:PassRole``,
  also through ``lambda:*``, ``s3:*``, ``*`` or ``NotAction``) on a resource for which ``mw_core.arns.grant_problem``
  reports a problem: ``*``, a wildcard in the partition, region or account, or in the resource's own name.
* ``iam-cross-account``: no AWS principal (trust and resource policies), no granted resource and no ARN a
  resource names (a task's function, state machine, document, topic and roles, a policy attachment, a
  permissions boundary, a KMS key, a subscription's endpoint) lies in an account other than the stack's own (what
  its AWS providers stand for: ``allowedAccountIds``, or an assumed role's account, see ``_account.py``; a stack
  with member accounts has several) or one listed in ``allowedAccounts``. A stack rule since issue 16: a
  resource rule sees its own provider only, and a bucket policy of the deploying account names the members.

IAM matches a resource ARN's fields with ``*`` and ``?`` ("IAM JSON policy elements: Resource", IAM User
Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html), so a
wildcard in the region or account field spans every region or account. ARNs carry their account in the fifth
field ("Amazon Resource Names", AWS General Reference,
https://docs.aws.amazon.com/general/latest/gr/aws-arns-and-namespaces.html): AWS managed policies use the account
``aws``, AWS-owned SSM documents an empty one (``arn:aws:ssm:us-east-2::document/AWS-...``, "Setting up Run
Command"), and S3 ARNs none at all: none of those is another account.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from mw_core import arns
from mw_core.tokens import (
    BUCKET,
    BUCKET_ENCRYPTION,
    BUCKET_POLICY,
    GROUP_POLICY_ATTACHMENT,
    LOG_GROUP,
    MAINTENANCE_WINDOW_TASK,
    ROLE,
    ROLE_POLICY_ATTACHMENT,
    TOPIC,
    TOPIC_POLICY,
    TOPIC_SUBSCRIPTION,
    USER_POLICY_ATTACHMENT,
)

from . import _iam
from ._props import UNKNOWN, config, get, message, props, show, subject, type_name
from ._stack import Stack
from ._typed import ResourceTypePolicy, StackPolicy, TypeSet
from .iam import DOCUMENT_TYPES, PASS_ROLE, documents

# Resources whose properties hold a resource-based policy (who may act on this resource).
RESOURCE_POLICY_TYPES = (BUCKET, BUCKET_POLICY, TOPIC, TOPIC_POLICY)
ATTACHMENT_TYPES = (ROLE_POLICY_ATTACHMENT, GROUP_POLICY_ATTACHMENT, USER_POLICY_ATTACHMENT)
TRUST, IDENTITY, RESOURCE = "trust", "identity", "resource"



def _who(args: ResourceValidationArgs) -> str:
    return subject(type_name(args.resource_type), args.name)


def policy_documents(resource_type: str, p: dict[str, Any]) -> Iterator[tuple[str, Any, str]]:
    """(field, document, kind) for every IAM policy document in a resource's properties; kind is ``trust``
    (a role's trust policy), ``identity`` (what a role, user or group may do) or ``resource`` (who may act on
    a bucket or topic)."""
    for field, document, trust in documents(resource_type, p):
        yield field, document, TRUST if trust else IDENTITY
    if resource_type in RESOURCE_POLICY_TYPES and p.get("policy") not in (None, ""):
        yield "policy", p.get("policy"), RESOURCE


# ------------------------------------------------------------------------------------------------ iam-resource-scope

# The actions a maintenance window's reach depends on: what a task invokes or starts, where it publishes or
# writes, and which role may be handed on. (pattern of the family, what the message calls it, actions that stand
# for the family when a statement grants through NotAction)
SENSITIVE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("lambda:InvokeFunction", "lambda:InvokeFunction", ("lambda:InvokeFunction",)),
    ("states:*", "Step Functions actions (states:*)",
     ("states:StartExecution", "states:StartSyncExecution", "states:StopExecution", "states:SendTaskSuccess",
      "states:DescribeExecution")),
    ("sns:Publish", "sns:Publish", ("sns:Publish",)),
    ("s3:Put*", "S3 writes (s3:Put*)",
     ("s3:PutObject", "s3:PutObjectAcl", "s3:PutBucketPolicy", "s3:PutBucketAcl", "s3:PutLifecycleConfiguration")),
    (PASS_ROLE, PASS_ROLE, (PASS_ROLE,)),
)


def sensitive_grants(statement: _iam.Statement) -> list[tuple[str, str, str | None]]:
    """(family pattern, family label, how) for each family an allowing statement grants; ``how`` is the Action
    pattern that grants it (``lambda:*``), or None when it is granted through ``NotAction``."""
    if not statement.allows:
        return []
    out: list[tuple[str, str, str | None]] = []
    for family, label, examples in SENSITIVE:
        if statement.actions is not None:
            via = next((a for a in statement.actions if _iam.action_may_be(a, family)), None)
            if via is not None:
                out.append((family, label, via))
        elif statement.not_actions is not None and any(statement.grants(action) for action in examples):
            out.append((family, label, None))
    return out


def _may_reach(resource: str, family: str) -> bool:
    """Whether a Resource entry can name a resource of the family's service (``*``, or text that is not an
    ARN, can; ``arn:aws:s3:::b`` cannot name a Lambda function)."""
    arn = arns.parse(resource)
    return arn is None or _iam.patterns_overlap(arn.service, family.split(":", 1)[0], ignore_case=False)


def _granted(grants: list[tuple[str, str, str | None]]) -> str:
    """``lambda:InvokeFunction (through 'lambda:*'), states:StartExecution``: what the message says is granted."""
    parts = []
    for family, label, how in grants:
        if how is None:
            parts.append(f"{label} (through NotAction)")
        elif how.lower() == family.lower() and not _iam.has_wildcard(family):
            parts.append(label)
        elif not _iam.has_wildcard(how):
            parts.append(how)  # one named action of a family (states:StartExecution)
        else:
            parts.append(f"{label} (through {how!r})")
    return ", ".join(parts)


_SCOPE_ALLOWED = ("allowed: one named resource of one account and region, e.g. arn:aws:lambda:us-east-1:"
                  "123456789012:function:NAME, with * only after the name: function:NAME:*, bucket/prefix/*")


def _iam_resource_scope(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for field, raw, kind in policy_documents(args.resource_type, props(args)):
        if kind == TRUST:
            continue  # who may assume the role: iam-trusted-principals and iam-cross-account
        for statement in _iam.read(raw).statements:
            grants = sensitive_grants(statement)
            if not grants:
                continue
            where = f"{field} ({statement.label})"
            if statement.not_resources is not None:
                # iam-passrole-resource reports PassRole with NotResource.
                others = [g for g in grants if g[0] != PASS_ROLE]
                if others:
                    report_violation(message(
                        _who(args),
                        f"{where} grants {_granted(others)} with NotResource, i.e. on every resource but "
                        f"{', '.join(repr(r) for r in statement.not_resources)} ({_SCOPE_ALLOWED})",
                        "grant on Resource, naming the exact function, state machine, topic or bucket the "
                        "maintenance window uses",
                    ))
                continue
            for resource in statement.resources or ():
                problem = arns.grant_problem(resource)
                if problem is None:
                    continue
                # A wildcard in an iam:PassRole resource is iam-passrole-resource's (it also reports it).
                reached = [g for g in grants if _may_reach(resource, g[0])
                           and not (g[0] == PASS_ROLE and _iam.has_wildcard(resource))]
                if reached:
                    report_violation(message(
                        _who(args),
                        f"{where} grants {_granted(reached)} on {show(resource)}: {problem} ({_SCOPE_ALLOWED})",
                        "name the exact resource the maintenance window uses, in this account and region "
                        "(for a Lambda function: its ARN and ARN:*, for its versions and aliases)",
                    ))


iam_resource_scope = ResourceTypePolicy(
    name="iam-resource-scope",
    description="Prohibits granting lambda:InvokeFunction, states:*, sns:Publish, s3:Put* or iam:PassRole on "
    "resources beyond one named resource of one account and region.",
    resource_types=[*DOCUMENT_TYPES, *RESOURCE_POLICY_TYPES],
    validate=_iam_resource_scope,
)


# ------------------------------------------------------------------------------------------------ iam-cross-account

_RUN = "taskInvocationParameters.runCommandParameters"


def _references(resource_type: str, p: dict[str, Any]) -> Iterator[tuple[str, Any, str]]:
    """(field, value, what it means) for every property that names a resource, possibly of another account."""
    if resource_type == MAINTENANCE_WINDOW_TASK:
        yield "taskArn", p.get("taskArn"), "the window runs code that account controls"
        yield "serviceRoleArn", p.get("serviceRoleArn"), "the task runs as a role that account controls"
        run = get(p, "taskInvocationParameters", "runCommandParameters")
        yield f"{_RUN}.serviceRoleArn", get(run, "serviceRoleArn"), "notifications are sent as a role that " \
                                                                     "account controls"
        yield (f"{_RUN}.notificationConfig.notificationArn", get(run, "notificationConfig", "notificationArn"),
               "that account receives the command notifications")
    elif resource_type == ROLE:
        yield "permissionsBoundary", p.get("permissionsBoundary"), "that account decides the role's boundary"
        managed = p.get("managedPolicyArns")
        for index, arn in enumerate(managed if isinstance(managed, list) else []):
            yield f"managedPolicyArns[{index}]", arn, "that account decides what the role may do"
    elif resource_type in ATTACHMENT_TYPES:
        yield "policyArn", p.get("policyArn"), "that account decides what the attached policy allows"
    elif resource_type == TOPIC_SUBSCRIPTION:
        yield "topic", p.get("topic"), "the subscription is to a topic that account controls"
        yield "endpoint", p.get("endpoint"), "that account receives the notifications"
        yield "subscriptionRoleArn", p.get("subscriptionRoleArn"), "SNS delivers as a role that account controls"
    elif resource_type == TOPIC:
        yield "kmsMasterKeyId", p.get("kmsMasterKeyId"), "that account's key encrypts the notifications"
    elif resource_type == LOG_GROUP:
        yield "kmsKeyId", p.get("kmsKeyId"), "that account's key encrypts the task output"
    elif resource_type == BUCKET_ENCRYPTION:
        rules = p.get("rules")
        for index, rule in enumerate(rules if isinstance(rules, list) else []):
            yield (f"rules[{index}].applyServerSideEncryptionByDefault.kmsMasterKeyId",
                   get(rule, "applyServerSideEncryptionByDefault", "kmsMasterKeyId"),
                   "that account's key encrypts the task output")


def account_named(value: Any, *, principal: bool = False) -> str | None:
    """The 12-digit account an ARN names (or, for a principal, a bare account ID); None for anything else: an
    unknown, ``*``, a wildcard account, ``aws`` (AWS managed policies), an empty account (AWS-owned documents,
    S3)."""
    if not isinstance(value, str):
        return None
    if principal and arns.ACCOUNT_ID.fullmatch(value):
        return value
    account = arns.account_of(value)
    return account if account is not None and arns.ACCOUNT_ID.fullmatch(account) else None


def _aws_principals(principal: Any) -> tuple[str, ...]:
    """The ``AWS`` principals of a statement (accounts, ``arn:...:root``, role and user ARNs)."""
    if not isinstance(principal, dict):
        return ()
    values = principal.get("AWS")
    if isinstance(values, str):
        return (values,)
    return tuple(v for v in values if isinstance(v, str)) if isinstance(values, list) else ()


# The types whose properties iam-cross-account reads.
CROSS_ACCOUNT_TYPES = TypeSet([*DOCUMENT_TYPES, *RESOURCE_POLICY_TYPES, *ATTACHMENT_TYPES, MAINTENANCE_WINDOW_TASK,
                               TOPIC_SUBSCRIPTION, LOG_GROUP, BUCKET_ENCRYPTION])


def _iam_cross_account(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """A stack rule: which accounts are the stack's own is known only from all its providers (issue 16: one
    explicit provider per member account), and pulumi-policy hands a resource rule its own provider only."""
    stack = Stack(args.resources)
    accounts = stack.accounts()
    allowed = config(args, "allowedAccounts", [])
    accepted = ", ".join([*sorted(accounts.accounts), *allowed])
    several = len(accounts.accounts) > 1
    ours = "one of the stack's accounts" if several else "the deploying account"
    fix = (f"name the resource in {'one of the stack accounts' if several else 'the deploying account'} "
           f"{accounts.shown()}, or, if the access across accounts is intended, list the account in allowedAccounts "
           "in the policy config")
    for resource in stack.resources:
        if resource.resource_type not in CROSS_ACCOUNT_TYPES or accounts.of(resource) is None:
            continue  # the resource's account is not known: stack-account-pinned reports an unpinned provider
        _cross_account(resource, stack.props(resource), accounts.accounts, allowed, accepted, ours, fix,
                       report_violation)


def _cross_account(resource: PolicyResource, p: dict[str, Any], ours: frozenset[str], allowed: list[str],
                   accepted: str, called: str, fix: str, report_violation: ReportViolation) -> None:
    who = subject(type_name(resource.resource_type), resource.name)

    def judge(where: str, value: Any, account: str | None, meaning: str) -> None:
        if account is None or account in ours or account in allowed:
            return
        report_violation(message(
            who,
            f"{where} {show(value)} is in account {account}, not {called} (allowed: {accepted}), so {meaning}",
            fix,
        ), resource.urn)

    for field, value, meaning in _references(resource.resource_type, p):
        if value is not UNKNOWN:
            judge(field, value, account_named(value), meaning)
    for field, raw, kind in policy_documents(resource.resource_type, p):
        for statement in _iam.read(raw).statements:
            if not statement.allows:
                continue  # denying another account something reaches nothing
            where = f"{field} ({statement.label})"
            if kind in (TRUST, RESOURCE):
                for value in _aws_principals(statement.principal):
                    judge(f"{where} Principal", value, account_named(value, principal=True),
                          "that account's identities may " + ("assume this role" if kind == TRUST
                                                              else "act on this resource"))
            if kind in (IDENTITY, RESOURCE):
                for value in statement.resources or ():
                    judge(f"{where} Resource", value, account_named(value),
                          "the stack grants access to a resource that account controls")


iam_cross_account = StackPolicy(
    name="iam-cross-account",
    description="Prohibits principals, granted resources and referenced ARNs in accounts other than the stack's "
    "accounts (its AWS providers' allowedAccountIds, or the account of the role a provider assumes) or "
    "allowedAccounts.",
    config_schema=PolicyConfigSchema(
        properties={"allowedAccounts": {"type": "array", "items": {"type": "string"}, "default": []}}
    ),
    validate=_iam_cross_account,
)

POLICIES = [iam_resource_scope, iam_cross_account]
