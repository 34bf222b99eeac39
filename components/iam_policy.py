"""IAM policy documents as the components write them: deterministic JSON, ARN parts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from mw_components.checks import Check, Context

from mw_core import arns
from mw_core.errors import Problem
from mw_core.limits import Limit, describe_value


def dumps(document: dict[str, Any]) -> str:
    """Compact JSON with keys in the order written, so the same config gives the same input."""
    return json.dumps(document, separators=(",", ":"))


def partition_of(arn: str) -> str:
    """``aws`` from ``arn:aws:iam::123456789012:role/x``; ``aws`` when the value is not an ARN."""
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[1] if len(parts) > 5 and parts[0] == "arn" and parts[1] else "aws"


def account_of(arn: str) -> str | None:
    """The account ID of an ARN, or None when the value is not an ARN with one."""
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) > 5 and parts[0] == "arn" and parts[4].isdigit():
        return parts[4]
    return None


# IAM's own limits for what the components name (IAM API model, botocore/data/iam/*/service-2.json;
# tests/test_iam_policy.py compares each with that model).
ROLE_NAME = Limit("role name", "string", "roleNameType", 1, 64, r"[\w+=,.@-]+")
ROLE_DESCRIPTION = Limit("role description", "string", "roleDescriptionType", max=1000,
                         aws_pattern=r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*",
                         rule="printable Latin-1 characters")
ROLE_PATH = Limit("path", "string", "pathType", 1, 512, r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)",
                  rule="/ or /segments/ of printable ASCII")
POLICY_NAME = Limit("policy name", "string", "policyNameType", 1, 128, r"[\w+=,.@-]+")
POLICY_DESCRIPTION = Limit("policy description", "string", "policyDescriptionType", max=1000)
POLICY_PATH = Limit("policy path", "string", "policyPathType", 1, 512, r"((/[A-Za-z0-9\.,\+@=_-]+)*)/",
                    rule="/ or /segments/ of letters, numbers and . , + @ = _ -")
GROUP_NAME = Limit("group name", "string", "groupNameType", 1, 128, r"[\w+=,.@-]+")
USER_NAME = Limit("user name", "string", "userNameType", 1, 64, r"[\w+=,.@-]+")


# --- ARNs the program passes on as grants or roles ------------------------------------------------

# The argument that lets wildcards through to the policy pack (see arn_problem), as messages name it: in backticks,
# so that the stack config can say `maintenance-windows:allowWildcards` instead.
ALLOW_WILDCARDS = "`allow_wildcards`"


@dataclass(frozen=True)
class ArnKind:
    """One kind of ARN a stack names: which service and resource type, and what a wildcard in it would mean.

    :param what: the resource in words (``Lambda function``).
    :param service: the ARN's service field.
    :param resource: how the ARN's resource field starts (``function:``); ``""`` for SNS topics.
    :param form: the ARN written out, for messages.
    :param regional: whether the ARN carries a region (IAM's do not).
    :param wildcards: whether ``allow_wildcards`` may let a wildcard through. A role ARN never takes one:
        Systems Manager assumes exactly one role, and IAM has no role named ``*``.
    :param pattern: the whole ARN, when it holds no wildcard, from the service's API model.
    :param article: ``a`` or ``an``, as ``what`` is spoken.
    """

    what: str
    service: str
    resource: str
    form: str
    regional: bool = True
    wildcards: bool = True
    pattern: re.Pattern[str] | None = None
    article: str = "a"


LAMBDA_FUNCTION = ArnKind(
    "Lambda function", "lambda", "function:", "arn:<partition>:lambda:<region>:<account>:function:<name>",
    # FunctionArn in the Lambda API model (botocore/data/lambda/2015-03-31/service-2.json).
    pattern=re.compile(r"arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:"
                       r"function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?", re.ASCII),
)
STATE_MACHINE = ArnKind("Step Functions state machine", "states", "stateMachine:",
                        "arn:<partition>:states:<region>:<account>:stateMachine:<name>")
SNS_TOPIC = ArnKind("SNS topic", "sns", "", "arn:<partition>:sns:<region>:<account>:<topic>", article="an")
IAM_ROLE = ArnKind(
    "IAM role", "iam", "role/", "arn:<partition>:iam::<account>:role/<path/><name>", regional=False, wildcards=False,
    # A role's path (pathType: / or /segments/ of printable ASCII) and name (roleNameType), IAM API model.
    pattern=re.compile(r"arn:[a-z-]+:iam::[0-9]{12}:role/(?:[\x21-\x7e]+/)?[\w+=,.@-]{1,64}", re.ASCII),
    article="an",
)
# A Lambda function's name alone: 1 to 64 letters, digits, - and _ (Lambda API model, FunctionName: "If you specify
# only the function name, it is limited to 64 characters in length"; its name part is [a-zA-Z0-9-_]+).
LAMBDA_FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}", re.ASCII)


def arn_problem(value: Any, kind: ArnKind, *, allow_wildcards: bool = False, or_else: str = "") -> str | None:
    """Why ``value`` is not the ARN of one ``kind`` resource, or None.

    A wildcard (``*`` or ``?``) anywhere is a problem unless ``allow_wildcards`` and the kind takes one:
    then the value is left to the policy pack, whose ``iam-resource-scope`` rule judges how far the grant
    reaches. The partition, region (``arns.region_problem``) and account (12 digits) are checked where
    they hold no wildcard; which account is the deploying one is the pack's to judge. ``or_else`` names what
    the caller accepts besides an ARN (``or a function name starting with SSM``), for the message.
    """
    shown = describe_value(value)
    if not isinstance(value, str):
        return f"expected a string, got {shown}"
    arn = arns.parse(value)
    if (arn is None or arn.service != kind.service or not arn.resource.startswith(kind.resource)
            or arn.resource == kind.resource):
        hint = f"; a wildcard only inside such an ARN, with {ALLOW_WILDCARDS}: true" if (
            kind.wildcards and arns.has_wildcard(value)) else ""
        other = f", {or_else}" if or_else else ""
        return f"{shown} is not {kind.article} {kind.what} ARN (allowed: {kind.form}{other}{hint})"
    if arns.has_wildcard(value) and not (allow_wildcards and kind.wildcards):
        reach = arns.grant_problem(value) or f"{shown} holds a wildcard, which names no single {kind.what}"
        if not kind.wildcards:
            return f"{reach} (allowed: exactly one role, {kind.form}; {ALLOW_WILDCARDS} does not apply, as " \
                   "Systems Manager assumes exactly the role named)"
        return f"{reach} (allowed: {kind.form} without * or ?; or set {ALLOW_WILDCARDS}: true to leave " \
               "wildcards to the policy pack's iam-resource-scope rule)"

    def fixed(field: str) -> bool:
        return not arns.has_wildcard(field)

    if fixed(arn.partition) and arn.partition not in arns.PARTITIONS:
        return f"{shown}: {arn.partition!r} is not an AWS partition (allowed: {', '.join(sorted(arns.PARTITIONS))})"
    if kind.regional and not arn.region:
        return f"{shown} names no region (allowed: {kind.form})"
    if not kind.regional and arn.region:
        return f"{shown} names a region, which {kind.what} ARNs never do (allowed: {kind.form})"
    if kind.regional and fixed(arn.region):
        problem = arns.region_problem(arn.region)
        if problem is not None:
            return f"{shown} names a region AWS does not have: {problem}"
        partition = arns.partition_of_region(arn.region)
        if fixed(arn.partition) and partition != arn.partition:
            return f"{shown}: region {arn.region} is in partition {partition}, not {arn.partition}"
    if fixed(arn.account):
        problem = arns.account_problem(arn.account)
        if problem is not None:
            return f"{shown}: its account {problem}"
    if kind.pattern is not None and not arns.has_wildcard(value) and not kind.pattern.fullmatch(value):
        return f"{shown} is not {kind.article} {kind.what} ARN (allowed: {kind.form})"
    return None


def arn_of(kind: ArnKind, or_else: str = "") -> Check:
    """The check that a value is the ARN of one ``kind`` resource (:func:`arn_problem`); wildcards as the
    context allows."""

    def check(value: Any, context: Context) -> list[Problem]:
        problem = arn_problem(value, kind, allow_wildcards=context.allow_wildcards, or_else=or_else)
        return [] if problem is None else [Problem("", problem)]

    return check
