"""Rules for the IAM resources: the maintenance window service role, its policies, the PassRole policy.

A maintenance window service role is recognised by its trust policy: it trusts ``ssm.amazonaws.com``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
)

from mw_core import arns, limits
from mw_core.tokens import (
    GROUP_POLICY,
    POLICY,
    ROLE,
    ROLE_POLICY,
    USER_POLICY,
)

from . import _iam
from ._account import Pin, provider_pin
from ._props import config, limit_problem, message, props, subject
from ._typed import ResourceTypePolicy

# The types whose properties hold policy documents (see documents()).
DOCUMENT_TYPES = (ROLE, ROLE_POLICY, POLICY, USER_POLICY, GROUP_POLICY)

SSM_PRINCIPAL = "ssm.amazonaws.com"
PASS_ROLE = "iam:PassRole"
_TYPE_LABELS = {
    ROLE: "Role",
    ROLE_POLICY: "RolePolicy",
    POLICY: "Policy",
    USER_POLICY: "UserPolicy",
    GROUP_POLICY: "GroupPolicy",
}


def documents(resource_type: str, p: dict[str, Any]) -> Iterator[tuple[str, Any, bool]]:
    """(field, document, is_trust_policy) for every policy document a resource's properties hold."""
    if resource_type == ROLE:
        yield "assumeRolePolicy", p.get("assumeRolePolicy"), True
        inline = p.get("inlinePolicies")
        if isinstance(inline, list):
            for index, item in enumerate(inline):
                if isinstance(item, dict) and item.get("policy") is not None:
                    yield f"inlinePolicies[{index}].policy", item.get("policy"), False
    elif resource_type in DOCUMENT_TYPES:
        yield "policy", p.get("policy"), False


def is_service_role(p: dict[str, Any]) -> bool:
    """Whether a role's (known) trust policy trusts Systems Manager: a maintenance window service role."""
    trust = _iam.read(p.get("assumeRolePolicy"))
    return any(
        statement.allows and SSM_PRINCIPAL in _iam.service_principals(statement.principal)
        for statement in trust.statements
    )


def _who(args: ResourceValidationArgs) -> str:
    return subject(_TYPE_LABELS.get(args.resource_type, args.resource_type), args.name)


def _iam_policy_document(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    p = props(args)
    for field, raw, trust in documents(args.resource_type, p):
        if raw is None:
            if field == "assumeRolePolicy":
                report_violation(message(_who(args), "assumeRolePolicy is not set (AWS requires a trust policy)",
                                         "set assumeRolePolicy to a JSON trust policy"))
            continue
        for problem in _iam.problems(_iam.read(raw), trust=trust):
            report_violation(message(_who(args), f"{field}: {problem}",
                                     "write the document as IAM JSON: {\"Version\": \"2012-10-17\", \"Statement\": "
                                     "[{\"Effect\": ..., \"Action\": ..., \"Resource\"/\"Principal\": ...}]}"))


iam_policy_document = ResourceTypePolicy(
    name="iam-policy-document",
    description="Requires every IAM policy document in the stack to be valid IAM JSON.",
    resource_types=DOCUMENT_TYPES,
    validate=_iam_policy_document,
)


def _service_role_trust(args: ResourceValidationArgs) -> _iam.Document | None:
    """The parsed trust policy of a role (the rules using it check roles only) if it is a maintenance window
    service role, else None."""
    p = props(args)
    trust = _iam.read(p.get("assumeRolePolicy"))
    if trust.unknown or trust.error or not is_service_role(p):
        return None
    return trust


def _iam_trusted_principals(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    trust = _service_role_trust(args)
    if trust is None:
        return
    allowed = config(args, "allowedServicePrincipals", [SSM_PRINCIPAL])
    for statement in trust.statements:
        if not statement.allows:
            continue
        extra = [s for s in _iam.service_principals(statement.principal) if s not in allowed]
        extra += list(_iam.other_principals(statement.principal))
        if extra:
            report_violation(message(
                _who(args),
                f"the trust policy ({statement.label}) also trusts {', '.join(extra)} (allowed: "
                f"{', '.join(allowed)}); anything trusted can act with the maintenance window's permissions",
                "trust only ssm.amazonaws.com, or add the principal to allowedServicePrincipals in the policy "
                "config if it is really needed",
            ))


iam_trusted_principals = ResourceTypePolicy(
    name="iam-trusted-principals",
    description="Requires the maintenance window service role to trust only the allowed service principals.",
    resource_types=[ROLE],
    config_schema=PolicyConfigSchema(
        properties={
            "allowedServicePrincipals": {
                "type": "array",
                "items": {"type": "string"},
                "default": [SSM_PRINCIPAL],
            }
        }
    ),
    validate=_iam_trusted_principals,
)


def _iam_confused_deputy(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    trust = _service_role_trust(args)
    if trust is None:
        return
    pin = provider_pin(getattr(args, "provider", None))
    for statement in trust.statements:
        if not statement.allows or SSM_PRINCIPAL not in _iam.service_principals(statement.principal):
            continue
        guards = {key: statement.guard(key) for key in ("aws:SourceAccount", "aws:SourceArn")}
        effective = {k: v for k, v in guards.items() if v and not all(value == "*" for value in v)}
        if not effective:
            report_violation(message(
                _who(args),
                f"the trust policy ({statement.label}) lets ssm.amazonaws.com assume the role without an "
                "aws:SourceAccount or aws:SourceArn condition, so Systems Manager acting for another account "
                "could assume it (confused deputy)",
                'add "Condition": {"StringEquals": {"aws:SourceAccount": "<this account id>"}}',
            ))
            continue
        for problem in _source_problems(statement, pin):
            report_violation(message(
                _who(args),
                f"the trust policy ({statement.label}) {problem}",
                'set "aws:SourceAccount" to the deploying account '
                f'({pin.shown() if pin.pinned else "its 12-digit ID"})',
            ))


def _source_problems(statement: _iam.Statement, pin: Pin) -> list[str]:
    """Why the aws:SourceAccount / aws:SourceArn values of a statement do not name the deploying account.

    aws:SourceAccount is "the account ID of the resource making a service-to-service request" (IAM User Guide,
    "AWS global condition context keys": aws:SourceAccount), a 12-digit account ID; a value that is not one
    matches no request, and one naming another account lets Systems Manager act for that account only.
    """
    out: list[str] = []
    for operator, values in statement.conditions.get("aws:sourceaccount", []):
        for value in values:
            if value == "*":
                continue  # a wildcard next to a real guard (aws:SourceArn) adds nothing, and takes nothing
            problem = arns.account_problem(value)
            if problem is not None:
                out.append(f"has an aws:SourceAccount ({operator}) value that is no account, so the condition "
                           f"matches no request: {problem}")
            elif pin.pinned and value not in pin.accounts:
                out.append(f"has aws:SourceAccount ({operator}) {value!r}, another account than the deploying "
                           f"account (allowed: {pin.shown()}), so Systems Manager acting for that account may "
                           "assume the role")
    for operator, values in statement.conditions.get("aws:sourcearn", []):
        for value in values:
            account = arns.account_of(value)
            if (pin.pinned and account is not None and arns.ACCOUNT_ID.fullmatch(account)
                    and account not in pin.accounts):
                out.append(f"has aws:SourceArn ({operator}) {value!r} in account {account}, not the deploying "
                           f"account (allowed: {pin.shown()})")
    return out


iam_confused_deputy = ResourceTypePolicy(
    name="iam-confused-deputy",
    description="Requires an aws:SourceAccount or aws:SourceArn condition naming the deploying account where the "
    "service role trusts Systems Manager.",
    resource_types=[ROLE],
    validate=_iam_confused_deputy,
)


def _iam_permissions_boundary(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    boundary = props(args).get("permissionsBoundary")
    if boundary is None or boundary == "":
        return  # no boundary (an empty string is how the provider spells none)
    problem = limit_problem(limits.IAM_POLICY_ARN, "permissionsBoundary", boundary)
    if problem:
        report_violation(message(
            _who(args), problem,
            "set permissionsBoundary to the ARN of a managed policy, e.g. arn:aws:iam::123456789012:policy/"
            "MaintenanceBoundary (an inline policy cannot be a boundary)",
        ))


iam_permissions_boundary = ResourceTypePolicy(
    name="iam-permissions-boundary",
    description="Requires a role's permissionsBoundary to be the ARN of a managed policy.",
    resource_types=[ROLE],
    validate=_iam_permissions_boundary,
)


def _permission_statements(args: ResourceValidationArgs) -> Iterator[tuple[str, _iam.Statement]]:
    """(field, statement) of every known, parseable permission policy of the resource."""
    for field, raw, trust in documents(args.resource_type, props(args)):
        if trust:
            continue
        for statement in _iam.read(raw).statements:
            yield field, statement


def _iam_passrole_resource(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for field, statement in _permission_statements(args):
        if not statement.grants(PASS_ROLE):
            continue
        if statement.not_resources is not None:
            report_violation(message(
                _who(args),
                f"{field} ({statement.label}) grants iam:PassRole with NotResource, i.e. on every role but "
                f"{', '.join(statement.not_resources)}",
                "grant iam:PassRole with Resource set to the maintenance window service role's ARN only",
            ))
            continue
        wild = [r for r in statement.resources or () if _iam.has_wildcard(r)]
        if wild:
            report_violation(message(
                _who(args),
                f"{field} ({statement.label}) grants iam:PassRole on {', '.join(repr(r) for r in wild)} (allowed: "
                "exact role ARNs, no * or ?); whoever holds it can hand any matching role to any service",
                "set Resource to the maintenance window service role's ARN",
            ))


iam_passrole_resource = ResourceTypePolicy(
    name="iam-passrole-resource",
    description="Prohibits granting iam:PassRole on * or on a wildcard ARN.",
    resource_types=DOCUMENT_TYPES,
    validate=_iam_passrole_resource,
)


def _iam_passrole_condition(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    allowed = config(args, "allowedPassedToServices", [SSM_PRINCIPAL])
    for field, statement in _permission_statements(args):
        if not statement.grants(PASS_ROLE):
            continue
        services = statement.guard("iam:PassedToService")
        if not services:
            report_violation(message(
                _who(args),
                f"{field} ({statement.label}) grants iam:PassRole without an iam:PassedToService condition, so "
                "the role can be passed to any service",
                'add "Condition": {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}',
            ))
            continue
        extra = [s for s in services if s not in allowed]
        if extra:
            report_violation(message(
                _who(args),
                f"{field} ({statement.label}) lets the role be passed to {', '.join(extra)} (allowed: "
                f"{', '.join(allowed)})",
                "limit iam:PassedToService to ssm.amazonaws.com, or extend allowedPassedToServices in the "
                "policy config",
            ))


iam_passrole_condition = ResourceTypePolicy(
    name="iam-passrole-condition",
    description="Requires every iam:PassRole grant to carry an iam:PassedToService condition naming an "
    "allowed service.",
    resource_types=DOCUMENT_TYPES,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedPassedToServices": {
                "type": "array",
                "items": {"type": "string"},
                "default": [SSM_PRINCIPAL],
            }
        }
    ),
    validate=_iam_passrole_condition,
)


def _iam_no_wildcard_actions(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for field, raw, _trust in documents(args.resource_type, props(args)):
        for statement in _iam.read(raw).statements:
            if not statement.allows:
                continue
            if statement.not_actions is not None:
                report_violation(message(
                    _who(args),
                    f"{field} ({statement.label}) allows NotAction {', '.join(statement.not_actions)}, i.e. every "
                    "other action of every service",
                    "list the actions the maintenance window needs under Action",
                ))
                continue
            wide = [a for a in statement.actions or () if _iam.service_wide(a)]
            if wide:
                report_violation(message(
                    _who(args),
                    f"{field} ({statement.label}) allows {', '.join(repr(a) for a in wide)} (allowed: named "
                    "actions such as ssm:SendCommand, or narrow prefixes such as ssm:Describe*)",
                    "list the actions the maintenance window needs",
                ))


iam_no_wildcard_actions = ResourceTypePolicy(
    name="iam-no-wildcard-actions",
    description="Prohibits the * action, service-wide svc:* actions and NotAction in allowing IAM statements.",
    resource_types=DOCUMENT_TYPES,
    validate=_iam_no_wildcard_actions,
)

POLICIES = [
    iam_policy_document,
    iam_trusted_principals,
    iam_confused_deputy,
    iam_permissions_boundary,
    iam_passrole_resource,
    iam_passrole_condition,
    iam_no_wildcard_actions,
]
