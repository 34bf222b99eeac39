"""Stack rules for a stack that deploys into several accounts (issue 16): one explicit AWS provider per member
account, the central bucket and topic in the deploying account.

A resource's account is its provider's (``_account.py``): ``allowedAccountIds``, else the account of the role the
provider assumes. The stack's accounts are what all its AWS providers stand for. Each rule reads the provider map
once per AnalyzeStack (``Stack.accounts``) and then looks each resource's provider up by URN.

* ``stack-task-role-account``: a task's ``serviceRoleArn`` (and its Run Command notification role) is a role of its
  window's account. Registering the task passes the role (``iam:PassRole``), and a role can be passed only within its
  own account ("You can only use the PassRole permission to pass an IAM role to a service that shares the same AWS
  account", IAM User Guide, "Grant a user permissions to pass a role to an AWS service",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html), so a role of another account
  fails when the task is registered.
* ``stack-account-service-role``: every account with windows has a maintenance window service role (an
  ``aws:iam/role:Role`` trusting ``ssm.amazonaws.com``) under a provider of that account. IAM is per account: the
  deploying account's role cannot serve a member's windows.
* ``stack-policy-principals``: a bucket or topic policy statement that allows any principal (``*``) is limited by
  a condition to the stack's accounts (``aws:PrincipalAccount``, or ``aws:PrincipalArn`` ARNs in them). Named
  principals (account IDs, ``arn:...:root``, role ARNs) in other accounts are ``iam-cross-account``'s, reported
  there once; a bucket policy statement for ``*`` with no condition at all is ``s3-bucket-policy``'s.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from mw_core import arns
from mw_core.tokens import BUCKET, BUCKET_POLICY, MAINTENANCE_WINDOW, MAINTENANCE_WINDOW_TASK, ROLE, TOPIC, TOPIC_POLICY

from . import _iam
from ._props import UNKNOWN, get, message, show, subject, type_name
from ._stack import Stack
from ._typed import StackPolicy


def _who(resource: PolicyResource) -> str:
    return subject(type_name(resource.resource_type), resource.name)


def _shown(accounts: frozenset[str]) -> str:
    return ", ".join(sorted(accounts))


# ------------------------------------------------------------------------------------------ stack-task-role-account

_ROLES = (
    (("serviceRoleArn",), "the role the task runs as"),
    (("taskInvocationParameters", "runCommandParameters", "serviceRoleArn"),
     "the role Run Command publishes notifications as"),
)


def _role_account(stack: Stack, task: PolicyResource, path: tuple[str, ...]) -> tuple[Any, str | None]:
    """(the value, the account of the role it names): from a known ARN, else from the role the field depends on
    (the account of that role's provider). None: no role, or its account cannot be told yet."""
    value = get(stack.props(task), *path)
    if isinstance(value, str) and value:
        account = arns.account_of(value)
        return value, account if account is not None and arns.ACCOUNT_ID.fullmatch(account) else None
    if value is UNKNOWN:
        for role in stack.depends(task, path[0], ROLE):
            found = stack.accounts().of(role)
            if found is not None and len(found) == 1:
                return value, next(iter(found))
    return value, None


def _stack_task_role_account(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = Stack(args.resources)
    accounts = stack.accounts()
    for task in stack.of_type(MAINTENANCE_WINDOW_TASK):
        window = stack.window_of(task).resource
        theirs = accounts.of(window) if window is not None else None
        if theirs is None:
            continue  # no window of this stack, or its account is not known
        for path, what in _ROLES:
            value, account = _role_account(stack, task, path)
            if account is None or account in theirs:
                continue
            field = ".".join(path)
            named = show(value) if value is not UNKNOWN else "(the ARN of a role of this stack)"
            report_violation(message(
                _who(task),
                f"{field} {named} ({what}) is a role of account {account}, but the task's window "
                f"'{window.name}' is in account {_shown(theirs)} (allowed: a role of that account); registering "
                "the task passes the role, and a role can be passed only within its own account",
                f"pass the service role of account {_shown(theirs)} (the one created under the same provider as "
                "the window)",
            ), task.urn)


stack_task_role_account = StackPolicy(
    name="stack-task-role-account",
    description="Requires every task's service role and Run Command notification role to be in its maintenance "
    "window's account.",
    validate=_stack_task_role_account,
)


# -------------------------------------------------------------------------------------- stack-account-service-role

def _stack_account_service_role(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = Stack(args.resources)
    accounts = stack.accounts()
    covered: set[str] = set()
    for role in stack.of_type(ROLE):
        if stack.is_service_role(role) is False:
            continue
        found = accounts.of(role)
        if found is None:
            return  # a service role whose account is not known could be any account's: nothing can be told
        if len(found) == 1:  # a provider allowing several accounts deploys into one of them: which, unknown
            covered.update(found)
    first: dict[str, PolicyResource] = {}
    for window in stack.of_type(MAINTENANCE_WINDOW):
        found = accounts.of(window)
        if found is not None and len(found) == 1:
            first.setdefault(next(iter(found)), window)
    for account, window in sorted(first.items()):
        if account in covered:
            continue
        names = [w.name for w in stack.of_type(MAINTENANCE_WINDOW) if accounts.of(w) == frozenset({account})]
        shown = ", ".join(f"'{n}'" for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        report_violation(message(
            _who(window),
            f"account {account} has maintenance windows ({shown}) but no maintenance window service role (a Role "
            "trusting ssm.amazonaws.com created under a provider of that account); IAM roles are per account, so "
            "a role of another account cannot run these windows' tasks",
            f"create the service role in account {account} (under the same provider as its windows) and pass it "
            "to their tasks",
        ), window.urn)


stack_account_service_role = StackPolicy(
    name="stack-account-service-role",
    description="Requires a maintenance window service role in every account of the stack that has maintenance "
    "windows.",
    validate=_stack_account_service_role,
)


# ----------------------------------------------------------------------------------------- stack-policy-principals

_POLICY_TYPES = (BUCKET, BUCKET_POLICY, TOPIC, TOPIC_POLICY)


def _beyond(statement: _iam.Statement, ours: frozenset[str]) -> str | None:
    """Why an allowing statement for ``*`` reaches beyond the stack's accounts, or None when a condition keeps it
    within them."""
    within: list[bool] = []
    outside: list[str] = []
    account_values = statement.guard("aws:PrincipalAccount")
    if account_values is not None:
        bad = [v for v in account_values if v not in ours]
        within.append(not bad)
        outside += [f"aws:PrincipalAccount {v!r}" for v in bad]
    arn_values = statement.guard("aws:PrincipalArn")
    if arn_values is not None:
        bad = [v for v in arn_values if arns.account_of(v) not in ours]
        within.append(not bad)
        outside += [f"aws:PrincipalArn {v!r}" for v in bad]
    if any(within):
        return None  # every condition of a statement must hold: one that keeps it within is enough
    if outside:
        return f"its condition admits {', '.join(outside)}, outside the stack's accounts"
    if statement.guard("aws:PrincipalOrgID") is not None or statement.guard("aws:PrincipalOrgPaths") is not None:
        return "its condition admits every account of the organization, not only the stack's accounts"
    return "no aws:PrincipalAccount or aws:PrincipalArn condition limits it to the stack's accounts"


def _stack_policy_principals(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = Stack(args.resources)
    ours = stack.accounts().accounts
    if not ours:
        return  # no account is known: stack-account-pinned reports the unpinned provider
    for resource_type in _POLICY_TYPES:
        for resource in stack.of_type(resource_type):
            document = _iam.read(get(stack.props(resource), "policy"))
            for statement in document.statements:
                if not statement.allows or not _iam.anyone(statement.principal):
                    continue
                if resource_type == BUCKET_POLICY and not statement.conditions:
                    continue  # a public bucket: s3-bucket-policy reports it
                why = _beyond(statement, ours)
                if why is None:
                    continue
                actions = ", ".join(statement.actions or statement.not_actions or ())
                report_violation(message(
                    _who(resource),
                    f"policy ({statement.label}) allows {actions} to any principal (*) and {why} (allowed: "
                    f"{_shown(ours)})",
                    "name the principals (arn:aws:iam::<account>:root or the role ARNs of the stack's accounts), or "
                    'add "Condition": {"StringEquals": {"aws:PrincipalAccount": [<the stack\'s accounts>]}}',
                ), resource.urn)


stack_policy_principals = StackPolicy(
    name="stack-policy-principals",
    description="Prohibits bucket and topic policy statements that allow any principal (*) unless a condition "
    "limits it to the stack's accounts.",
    validate=_stack_policy_principals,
)

POLICIES = [stack_task_role_account, stack_account_service_role, stack_policy_principals]
