"""Rules over the whole stack (AnalyzeStack): how windows, targets, tasks and roles fit together."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
)

from mw_core import limits
from mw_core.tokens import (
    AWS_PROVIDER,
    BUCKET,
    LAMBDA_FUNCTION,
    MAINTENANCE_WINDOW,
    MAINTENANCE_WINDOW_TARGET,
    MAINTENANCE_WINDOW_TASK,
    ROLE,
    STATE_MACHINE,
)

from . import _iam
from ._account import ASSUMED, UNPINNED, read_pin
from ._props import UNKNOWN, config, get, message, plain_props, show, subject, type_name
from ._stack import MANAGED_POLICY_ARN, Stack
from ._typed import StackPolicy


def _who(resource: PolicyResource) -> str:
    return subject(type_name(resource.resource_type), resource.name)


def _task_targets(stack: Stack, task: PolicyResource) -> Any:
    return get(stack.props(task), "targets")


def _pairs(targets: Any, key: str) -> list[Any]:
    """The values of every ``key`` pair of a task's targets (UNKNOWN stands for an unknown list)."""
    values: list[Any] = []
    if isinstance(targets, list):
        for item in targets:
            if isinstance(item, dict) and item.get("key") == key:
                found = item.get("values")
                values.extend(found if isinstance(found, list) else [found])
    return values


def _stack_window_membership(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = Stack(args.resources)
    for resource in stack.tasks_and_targets():
        link = stack.window_of(resource)
        if link.status == "missing":
            report_violation(message(_who(resource), f"windowId is {show(link.value)} (AWS requires it)",
                                     "set windowId to the id output of a maintenance window of this stack"),
                             resource.urn)
        elif link.status == "outside":
            problem = limits.check(limits.WINDOW_ID, link.value)
            detail = f" ({problem})" if problem else ""
            report_violation(message(
                _who(resource),
                f"windowId {show(link.value)}{detail} is not a maintenance window of this stack",
                "pass the id output of the window this stack creates (window.id)",
            ), resource.urn)
    for task in stack.of_type(MAINTENANCE_WINDOW_TASK):
        _check_task_targets(stack, task, report_violation)


def _check_task_targets(stack: Stack, task: PolicyResource, report_violation: ReportViolation) -> None:
    window = stack.window_of(task).resource
    targets = _task_targets(stack, task)
    registered = stack.depends(task, "targets", MAINTENANCE_WINDOW_TARGET)
    # A target the task depends on but whose id is not known here may be the one a known value names.
    unresolved = any(not isinstance(get(stack.props(t), "id"), str) for t in registered)
    for value in _pairs(targets, "WindowTargetIds"):
        if isinstance(value, str):
            link = stack.target_by_id(value)
            target = link.resource
            if link.status == "outside" and not unresolved:
                report_violation(message(
                    _who(task), f"targets: WindowTargetIds value {show(value)} is not a window target of this stack",
                    "reference the id output of a MaintenanceWindowTarget of the same window"), task.urn)
            elif target is not None and all(t.urn != target.urn for t in registered):
                registered.append(target)
    for target in registered:
        target_window = stack.window_of(target).resource
        if window is not None and target_window is not None and target_window.urn != window.urn:
            report_violation(message(
                _who(task),
                f"targets: window target '{target.name}' is registered with window '{target_window.name}', "
                f"not with this task's window '{window.name}'",
                "reference only targets registered with the task's own window",
            ), task.urn)
    if window is not None and _pairs(targets, "InstanceIds"):
        allow = get(stack.props(window), "allowUnassociatedTargets")
        if allow is not True and allow is not UNKNOWN:
            report_violation(message(
                _who(task),
                f"targets: the task names InstanceIds but its window '{window.name}' has "
                f"allowUnassociatedTargets {show(allow)}, and AWS then accepts only registered targets",
                "register the instances as a window target and use WindowTargetIds",
            ), task.urn)


stack_window_membership = StackPolicy(
    name="stack-window-membership",
    description="Requires every task and target to belong to a window of the stack, and tasks to use only "
    "their own window's targets.",
    validate=_stack_window_membership,
)


def _needs_target(stack: Stack, task: PolicyResource, window: PolicyResource) -> bool | None:
    """Whether a task needs a registered window target (None: cannot tell during preview)."""
    targets = _task_targets(stack, task)
    if targets is None or targets == []:
        return False  # a targetless task
    if not isinstance(targets, list):
        return None  # unknown, or malformed (task-targets reports that)
    unassociated = get(stack.props(window), "allowUnassociatedTargets") is True
    only_instances = all(isinstance(t, dict) and t.get("key") == "InstanceIds" for t in targets)
    return not (unassociated and only_instances)


def _stack_window_complete(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = Stack(args.resources)
    members: dict[str, dict[str, list[PolicyResource]]] = {
        w.urn: {"tasks": [], "targets": []} for w in stack.of_type(MAINTENANCE_WINDOW)}
    unplaced = False
    for resource in stack.tasks_and_targets():
        link = stack.window_of(resource)
        if link.resource is None:
            unplaced = unplaced or link.status == "unknown"
            continue
        kind = "tasks" if resource.resource_type == MAINTENANCE_WINDOW_TASK else "targets"
        members.setdefault(link.resource.urn, {"tasks": [], "targets": []})[kind].append(resource)
    if unplaced:
        return  # some task or target cannot be placed yet: a window may only look empty
    for window in stack.of_type(MAINTENANCE_WINDOW):
        tasks, targets = members[window.urn]["tasks"], members[window.urn]["targets"]
        if not tasks:
            report_violation(message(_who(window), "the window has no task, so it opens and does nothing",
                                     "register a MaintenanceWindowTask with it, or remove the window"), window.urn)
        needs = [_needs_target(stack, task, window) for task in tasks]
        if not targets and (not tasks or any(needs)):
            report_violation(message(
                _who(window), "the window has no registered target",
                "register a MaintenanceWindowTarget (e.g. by tag) and reference it with WindowTargetIds"),
                window.urn)


stack_window_complete = StackPolicy(
    name="stack-window-complete",
    description="Requires every maintenance window to have at least one task and, where its tasks need one, "
    "a registered target.",
    validate=_stack_window_complete,
)


def _stack_managed_policy(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = Stack(args.resources)
    for role in stack.of_type(ROLE):
        if not stack.is_service_role(role):
            continue
        managed = get(stack.props(role), "managedPolicyArns")
        if isinstance(managed, list) and any(isinstance(a, str) and MANAGED_POLICY_ARN.fullmatch(a) for a in managed):
            continue
        attachments, unsure = stack.attachments(role)
        arns = [get(stack.props(a), "policyArn") for a in attachments]
        if any(isinstance(a, str) and MANAGED_POLICY_ARN.fullmatch(a) for a in arns):
            continue
        if unsure or any(a is UNKNOWN for a in arns):
            continue
        attached = ", ".join(a for a in arns if isinstance(a, str)) or "none"
        report_violation(message(
            _who(role),
            f"the maintenance window service role has no AmazonSSMMaintenanceWindowRole attached (attached: "
            f"{attached})",
            "add a RolePolicyAttachment of arn:aws:iam::aws:policy/service-role/AmazonSSMMaintenanceWindowRole "
            "(arn:<partition>:... outside the aws partition) to this role",
        ), role.urn)


stack_managed_policy = StackPolicy(
    name="stack-managed-policy",
    description="Requires AmazonSSMMaintenanceWindowRole to be attached to every maintenance window service role.",
    validate=_stack_managed_policy,
)


_NOTIFICATION_ROLE = ("taskInvocationParameters", "runCommandParameters", "serviceRoleArn")


def _stack_task_service_role(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = Stack(args.resources)
    allowed = config(args, "allowedServiceRoleArns", [])
    for task in stack.of_type(MAINTENANCE_WINDOW_TASK):
        _check_role(stack, task, "serviceRoleArn", "the role the task runs as", stack.role_of(task, allowed),
                    report_violation)
        notification = get(stack.props(task), *_NOTIFICATION_ROLE)
        if notification is None or notification == "":
            continue  # no notification role (task-notification-role says whether one is needed)
        # Systems Manager assumes this role to publish to SNS ("Monitoring Systems Manager status changes using
        # Amazon SNS notifications", SSM User Guide: a service role for Systems Manager with sns:Publish).
        _check_role(stack, task, ".".join(_NOTIFICATION_ROLE), "the role Run Command publishes notifications as",
                    stack.role_link(task, _NOTIFICATION_ROLE[0], notification, allowed), report_violation)


def _check_role(stack: Stack, task: PolicyResource, field: str, what: str, link: Any,
                report_violation: ReportViolation) -> None:
    if link.status == "outside":
        report_violation(message(
            _who(task),
            f"{field} {show(link.value)} is not a role of this stack ({what}; allowed: the ARN of this stack's "
            "maintenance window service role, account, path and name, or an ARN listed in allowedServiceRoleArns; "
            "a role of the same name in another account or under another path is another role)",
            "pass the service role's arn output, or list the ARN in allowedServiceRoleArns in the policy config",
        ), task.urn)
    elif link.resource is not None and stack.is_service_role(link.resource) is False:
        report_violation(message(
            _who(task),
            f"{field} ({what}) points to role '{link.resource.name}', whose trust policy does not trust "
            "ssm.amazonaws.com, so Systems Manager cannot assume it",
            "use the maintenance window service role, or let that role trust ssm.amazonaws.com",
        ), task.urn)


stack_task_service_role = StackPolicy(
    name="stack-task-service-role",
    description="Requires every task's role and Run Command notification role to be a service role of this stack "
    "(by full ARN), or one the config allows.",
    config_schema=PolicyConfigSchema(
        properties={"allowedServiceRoleArns": {"type": "array", "items": {"type": "string"}, "default": []}}
    ),
    validate=_stack_task_service_role,
)


# Run Command writes a command's output to S3 with the managed node's own credentials: "The S3 permissions that
# grant the ability to write the data to an S3 bucket are those of the instance profile (for EC2 instances) or
# IAM service role (hybrid-activated machines) assigned to the instance, not those of the IAM user performing this
# task" (SSM User Guide, "Running commands from the console",
# https://docs.aws.amazon.com/systems-manager/latest/userguide/running-commands-console.html). So no grant of the
# stack limits where output goes: only the task's outputS3Bucket does. Bucket names are global and a bucket ARN has
# no account ("Amazon Resource Names": arn:aws:s3:::NAME), so a bucket the stack does not create cannot be shown
# to belong to this account.
_OUTPUT_BUCKET = ("taskInvocationParameters", "runCommandParameters", "outputS3Bucket")


def _stack_task_output_bucket(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = Stack(args.resources)
    allowed = config(args, "allowedOutputBuckets", [])
    for task in stack.of_type(MAINTENANCE_WINDOW_TASK):
        name = get(stack.props(task), *_OUTPUT_BUCKET)
        if name is None or name == "" or (name is not UNKNOWN and not isinstance(name, str)):
            continue  # no S3 output (task-run-command-parameters checks the name's form)
        link = stack.link_value(task, _OUTPUT_BUCKET[0], name, BUCKET, keys=("bucket", "id"))
        if link.status != "outside" or name in allowed:
            continue
        report_violation(message(
            _who(task),
            f"{'.'.join(_OUTPUT_BUCKET)} {show(name)} is not a bucket this stack creates (allowed: this stack's "
            "output bucket, or a bucket listed in allowedOutputBuckets). Bucket names are global and carry no "
            "account, so nothing shows that bucket is yours, and the instances write their command output to it "
            "with their own instance profile, whoever owns it",
            "pass the stack's output bucket (its bucket output), or, if that bucket is yours, list it in "
            "allowedOutputBuckets in the policy config",
        ), task.urn)


stack_task_output_bucket = StackPolicy(
    name="stack-task-output-bucket",
    description="Requires every Run Command task's output bucket to be a bucket of this stack, or one the config "
    "allows.",
    config_schema=PolicyConfigSchema(
        properties={"allowedOutputBuckets": {"type": "array", "items": {"type": "string"}, "default": []}}
    ),
    validate=_stack_task_output_bucket,
)


def _stack_account_pinned(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    providers: dict[str, Any] = {}
    for resource in args.resources:
        if resource.resource_type == AWS_PROVIDER:
            providers.setdefault(resource.urn, resource)
        provider = resource.provider
        if provider is not None and provider.resource_type == AWS_PROVIDER:
            providers.setdefault(provider.urn, provider)
    for urn, provider in providers.items():
        pin = read_pin(plain_props(provider.props))
        who = subject("AWS provider", provider.name)
        fix = ('pin the account in the stack config: aws:allowedAccountIds: ["<12-digit account ID>"] (or '
               "allowedAccountIds on an explicit provider)")
        if pin.via == ASSUMED:
            report_violation(message(
                who,
                f"allowedAccountIds is not set: the provider assumes a role in account {pin.shown()}, and nothing "
                "stops it deploying into another account if the role ARN or the credentials change",
                f'pin the account on the provider: allowedAccountIds: ["{pin.shown()}"]',
            ), urn)
        elif pin.status == UNPINNED and not pin.invalid:
            report_violation(message(
                who,
                f"allowedAccountIds {_unpinned(pin.raw)}, so the stack "
                "deploys into whichever account the credentials belong to, and the pack cannot tell which "
                "references are to other accounts (iam-cross-account, iam-confused-deputy and "
                "stack-task-service-role judge less)",
                fix,
            ), urn)
        elif pin.invalid:
            report_violation(message(
                who,
                f"allowedAccountIds holds {', '.join(repr(v) for v in pin.invalid)}, which "
                f"{'is not an account ID' if len(pin.invalid) == 1 else 'are not account IDs'} (allowed: 12 "
                "digits, such as 123456789012), and matches no account",
                fix,
            ), urn)


def _unpinned(raw: Any) -> str:
    if raw is None or raw == "":
        return "is not set"
    return "lists no account" if isinstance(raw, list) else f"is {show(raw)}, which lists no account"


stack_account_pinned = StackPolicy(
    name="stack-account-pinned",
    description="Requires the AWS provider to pin the deploying account with allowedAccountIds, so that references "
    "to other accounts can be judged.",
    validate=_stack_account_pinned,
)


# What invoking each kind of task needs, and the ARN segment that names the resource.
_INVOKE = {
    "LAMBDA": ("lambda:InvokeFunction", "function", LAMBDA_FUNCTION, "Lambda function"),
    "STEP_FUNCTIONS": ("states:StartExecution", "stateMachine", STATE_MACHINE, "state machine"),
}


def _target_name(stack: Stack, task: PolicyResource, segment: str, resource_type: str) -> tuple[Any, Any]:
    """(ARN or UNKNOWN, resource name or UNKNOWN) of the function or state machine a task invokes."""
    arn = get(stack.props(task), "taskArn")
    if isinstance(arn, str):
        parts = arn.split(":")
        if arn.startswith("arn:") and len(parts) >= 7 and parts[5] == segment:
            return arn, parts[6]
        return arn, arn if not arn.startswith("arn:") else UNKNOWN
    for dependency in stack.depends(task, "taskArn", resource_type):
        name = get(stack.props(dependency), "name")
        if isinstance(name, str):
            return UNKNOWN, name
    return UNKNOWN, UNKNOWN


def _grants_on(statement: _iam.Statement, arn: Any, name: str, segment: str) -> bool:
    """Whether one of the statement's resources covers the invoked ARN (or, unknown, the resource's name)."""
    if isinstance(arn, str):
        return statement.resource_matches(arn)  # indexed: one statement may name every function of the stack
    return any(_covers(r, arn, name, segment) for r in statement.resources or ())


def _covers(pattern: str, arn: Any, name: str, segment: str) -> bool:
    if isinstance(arn, str):
        return _iam.arn_matches(pattern, arn)
    # The ARN is unknown during preview: compare the name part of the pattern with the known name. A
    # wildcard pattern without a name part ("*", "arn:aws:lambda:*") may cover it: give it the benefit.
    marker = f":{segment}:"
    if marker not in pattern:
        return _iam.has_wildcard(pattern)
    return _iam.arn_matches(pattern.split(marker, 1)[1], name)


def _stack_invoke_access(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = Stack(args.resources)
    for task in stack.of_type(MAINTENANCE_WINDOW_TASK):
        kind = get(stack.props(task), "taskType")
        if not isinstance(kind, str) or kind not in _INVOKE:
            continue
        action, segment, resource_type, noun = _INVOKE[kind]
        arn, name = _target_name(stack, task, segment, resource_type)
        if name is UNKNOWN or not isinstance(name, str) or name.startswith("SSM"):
            continue  # the managed AmazonSSMMaintenanceWindowRole covers SSM* names
        qualifier = get(stack.props(task), "taskInvocationParameters", "lambdaParameters", "qualifier")
        # A grant on the function ARN or on its version/alias ARN is accepted: being lenient here only risks
        # missing a denial, never blocking a deployment that works.
        invoked = [arn, f"{arn}:{qualifier}"] if isinstance(arn, str) and isinstance(qualifier, str) else [arn]
        role = stack.role_of(task).resource
        if role is None:
            continue  # no role of this stack to read grants from (stack-task-service-role reports it)
        grants, unsure = stack.role_documents(role)
        granted = any(
            statement.grants(action) and any(_grants_on(statement, target, name, segment) for target in invoked)
            for _, document in grants
            for statement in document.statements
        )
        if granted or unsure:
            continue
        report_violation(message(
            _who(task),
            f"the task invokes {noun} {show(name)}, whose name does not start with SSM, and role '{role.name}' has "
            f"no {action} on it (AmazonSSMMaintenanceWindowRole only allows {noun}s named SSM*)",
            f"rename the {noun} to start with SSM, or add a RolePolicy on '{role.name}' allowing {action} on "
            f"{show(arn) if isinstance(arn, str) else 'its ARN'}",
        ), task.urn)


stack_invoke_access = StackPolicy(
    name="stack-invoke-access",
    description="Requires Lambda and Step Functions tasks to name an SSM* resource, or their role to grant "
    "the invocation.",
    validate=_stack_invoke_access,
)

POLICIES = [
    stack_window_membership,
    stack_window_complete,
    stack_managed_policy,
    stack_task_service_role,
    stack_invoke_access,
    stack_task_output_bucket,
    stack_account_pinned,
]
