"""Rules for ``aws:ssm/maintenanceWindowTask:MaintenanceWindowTask`` (RegisterTaskWithMaintenanceWindow).

Two roles appear on a task and are easy to confuse: the task's ``serviceRoleArn`` is the role Systems
Manager assumes to run the task; ``taskInvocationParameters.runCommandParameters.serviceRoleArn`` is the
*notification* role Run Command uses to publish to SNS. Messages always say which one they mean.
"""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
)

from mw_core import limits
from mw_core.tokens import MAINTENANCE_WINDOW_TASK

from ._props import UNKNOWN, config, get, limit_problem, message, props, report_limits, show, subject
from ._typed import ResourceTypePolicy

# Which block of taskInvocationParameters belongs to which task type.
PARAMETER_BLOCKS = {
    "RUN_COMMAND": "runCommandParameters",
    "AUTOMATION": "automationParameters",
    "LAMBDA": "lambdaParameters",
    "STEP_FUNCTIONS": "stepFunctionsParameters",
}
TASK_TARGET_KEYS = ("WindowTargetIds", "InstanceIds")
# The task types whose taskArn is an SSM document (name or ARN).
DOCUMENT_TASK_TYPES = ("RUN_COMMAND", "AUTOMATION")
# IAM role ARN: arn:<partition>:iam::<account>:role/<optional path/><name>, names of [\w+=,.@-]{1,64}.
ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/(?:[\x21-\x7e]*/)?[A-Za-z0-9_+=,.@-]{1,64}")
SERVICE_LINKED_ROLE = "/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"


def _who(args: ResourceValidationArgs) -> str:
    return subject("MaintenanceWindowTask", args.name)


def _has_targets(targets: Any) -> bool | None:
    """True/False when known whether the task has targets; None during preview when it cannot be told."""
    if targets is UNKNOWN:
        return None
    if targets is None:
        return False
    if isinstance(targets, list):
        return len(targets) > 0
    return True


# --- task type and ARN ----------------------------------------------------------------------------

def _task_type(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    p = props(args)
    task_type, task_arn = p.get("taskType"), p.get("taskArn")
    if task_type is None:
        report_violation(message(_who(args), "taskType is not set (AWS requires it)",
                                 "set taskType to RUN_COMMAND, AUTOMATION, LAMBDA or STEP_FUNCTIONS"))
    else:
        problem = limit_problem(limits.TASK_TYPE, "taskType", task_type)
        if problem:
            report_violation(message(_who(args), problem,
                                     "set taskType to RUN_COMMAND, AUTOMATION, LAMBDA or STEP_FUNCTIONS"))
    if task_arn is None:
        report_violation(message(_who(args), "taskArn is not set (AWS requires it)",
                                 "set taskArn to the SSM document name, Lambda function ARN or state machine ARN"))
    else:
        problem = limit_problem(limits.TASK_ARN, "taskArn", task_arn)
        if problem is None and task_type in DOCUMENT_TASK_TYPES:
            # Registration does not check it ("Maintenance Window does not validate the TaskArn when you register
            # a task", MaintenanceWindowTask.TaskArn); SendCommand / StartAutomationExecution refuse it when the
            # window runs (their DocumentName is a DocumentARN, ^[a-zA-Z0-9_\-.:/]{3,128}$).
            problem = limit_problem(limits.DOCUMENT_ARN, "taskArn", task_arn)
            if problem:
                problem += f": a {task_type} task's taskArn is an SSM document name or ARN"
        if problem:
            report_violation(message(_who(args), problem, "give a document name or ARN of at most 1600 characters "
                                     "(an SSM document: 3 to 128 letters, digits and _ - . : /, e.g. "
                                     "AWS-RunPatchBaseline)"))
    blocks = get(p, "taskInvocationParameters")
    if not isinstance(task_type, str) or task_type not in PARAMETER_BLOCKS or not isinstance(blocks, dict):
        return
    for other_type, block in PARAMETER_BLOCKS.items():
        if other_type != task_type and blocks.get(block) not in (None, UNKNOWN):
            report_violation(message(
                _who(args),
                f"taskInvocationParameters.{block} is set on a {task_type} task (allowed: only "
                f"{PARAMETER_BLOCKS[task_type]})",
                f"move the settings to {PARAMETER_BLOCKS[task_type]}, or change taskType to {other_type}",
            ))


task_type = ResourceTypePolicy(
    name="task-type",
    description="Requires a valid task type and task ARN (a document name for Run Command and Automation), with "
    "invocation parameters for that type only.",
    resource_types=[MAINTENANCE_WINDOW_TASK],
    validate=_task_type,
)


# --- maxConcurrency / maxErrors format --------------------------------------------------------------

def _task_rate_control_format(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    p = props(args)
    has_targets = _has_targets(p.get("targets"))
    for limit, field in ((limits.MAX_CONCURRENCY, "maxConcurrency"), (limits.MAX_ERRORS, "maxErrors")):
        value = p.get(field)
        if value is UNKNOWN:
            continue
        if value is None:
            if has_targets:
                report_violation(message(
                    _who(args), f"{field} is not set, and AWS requires it on a task with targets",
                    f"set {field} (allowed: {limit.allowed})"))
            continue
        if has_targets is False:
            report_violation(message(
                _who(args), f"{field} is {show(value)} on a task without targets, and AWS rejects it there "
                "(it uses 1)", f"remove {field}, or give the task targets"))
            continue
        problem = limit_problem(limit, field, value)
        if problem:
            report_violation(message(_who(args), problem, f"set {field} to e.g. '1' or '10%'"))


task_rate_control_format = ResourceTypePolicy(
    name="task-rate-control-format",
    description="Requires maxConcurrency and maxErrors in AWS's format on tasks with targets, and neither "
    "on tasks without.",
    resource_types=[MAINTENANCE_WINDOW_TASK],
    validate=_task_rate_control_format,
)


# --- targets ------------------------------------------------------------------------------------------

def _task_targets(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    p = props(args)
    targets, task_kind = p.get("targets"), p.get("taskType")
    if targets is UNKNOWN:
        return
    if not _has_targets(targets):
        if task_kind == "RUN_COMMAND":
            report_violation(message(_who(args), f"targets is {show(targets)} on a RUN_COMMAND task, and AWS "
                                     "requires targets for Run Command",
                                     "add targets: [{key: 'WindowTargetIds', values: [<window target id>]}]"))
        return
    problem = limit_problem(limits.TASK_TARGETS, "targets", targets)
    if problem:
        report_violation(message(_who(args), problem, "use at most 5 key/value pairs"))
    if not isinstance(targets, list):
        return
    window_target_ids = 0
    for index, item in enumerate(targets):
        where = f"targets[{index}]"
        if not isinstance(item, dict):
            if item is not UNKNOWN:
                report_violation(message(_who(args), f"{where}: expected a key/value pair, got {show(item)}",
                                         "use {key: 'WindowTargetIds', values: [...]}"))
            continue
        key, values = item.get("key"), item.get("values")
        if key is not UNKNOWN and key not in TASK_TARGET_KEYS:
            report_violation(message(_who(args), f"{where}.key is {show(key)} (allowed: {', '.join(TASK_TARGET_KEYS)})",
                                     "target registered window targets with WindowTargetIds"))
        if values is UNKNOWN:
            continue
        if not isinstance(values, list) or not values:
            report_violation(message(_who(args), f"{where}.values is {show(values)}", "give at least one value"))
            continue
        problem = limit_problem(limits.TARGET_VALUES, f"{where}.values", values)
        if problem:
            report_violation(message(_who(args), problem, "register fewer values per key"))
        if key == "WindowTargetIds":
            window_target_ids += len(values)
        pattern = {"WindowTargetIds": limits.WINDOW_TARGET_ID, "InstanceIds": limits.INSTANCE_ID}.get(
            key if isinstance(key, str) else "")
        for position, value in enumerate(values):
            if value is UNKNOWN:
                continue  # a window target's ID is known only once it exists
            problem = limit_problem(pattern, f"{where}.values[{position}]", value) if pattern else None
            if problem:
                report_violation(message(_who(args), problem,
                                         "reference the window target's id output (or an instance ID)"))
    limit = limits.TASK_WINDOW_TARGET_IDS
    if limit.max is not None and window_target_ids > limit.max:
        report_violation(message(
            _who(args),
            f"the task names {window_target_ids} window targets (allowed: at most {limit.max} per task)",
            "merge window targets, or split the task into several tasks with the same priority",
        ))


task_targets = ResourceTypePolicy(
    name="task-targets",
    description="Requires Run Command tasks to have targets, and at most 5 target pairs and 10 window targets.",
    resource_types=[MAINTENANCE_WINDOW_TASK],
    validate=_task_targets,
)


# --- priority, cutoff behavior, name and description -------------------------------------------------

def _task_priority(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    priority = props(args).get("priority")
    problem = None if priority is None else limit_problem(limits.TASK_PRIORITY, "priority", priority)
    if problem:
        report_violation(message(_who(args), problem, "set priority to a whole number from 0 (runs first) to "
                                 "2147483647"))


task_priority = ResourceTypePolicy(
    name="task-priority",
    description="Requires a task priority that is a whole number from 0 to 2147483647 (32 bits).",
    resource_types=[MAINTENANCE_WINDOW_TASK],
    validate=_task_priority,
)


def _task_cutoff_behavior(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    behavior = props(args).get("cutoffBehavior")
    problem = None if behavior is None else limit_problem(limits.TASK_CUTOFF_BEHAVIOR, "cutoffBehavior", behavior)
    if problem:
        report_violation(message(_who(args), problem, "set cutoffBehavior to CONTINUE_TASK or CANCEL_TASK"))


task_cutoff_behavior = ResourceTypePolicy(
    name="task-cutoff-behavior",
    description="Requires a task cutoff behavior of CONTINUE_TASK or CANCEL_TASK.",
    resource_types=[MAINTENANCE_WINDOW_TASK],
    validate=_task_cutoff_behavior,
)


def _task_name_description(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report_limits(report_violation, _who(args), props(args), (
        (limits.WINDOW_NAME, "name", "use 3 to 128 letters, digits, '_', '-' or '.'"),
        (limits.WINDOW_DESCRIPTION, "description", "shorten the description to 128 characters, or remove it"),
    ), "task")


task_name_description = ResourceTypePolicy(
    name="task-name-description",
    description="Requires a task name and description within AWS's length and characters.",
    resource_types=[MAINTENANCE_WINDOW_TASK],
    validate=_task_name_description,
)


# --- invocation parameters per task type -------------------------------------------------------------

_RUN_COMMAND = "taskInvocationParameters.runCommandParameters"


def _task_run_command_parameters(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    block = get(props(args), "taskInvocationParameters", "runCommandParameters")
    if not isinstance(block, dict):
        return
    report_limits(report_violation, _who(args), block, (
        (limits.TIMEOUT_SECONDS, "timeoutSeconds", "set timeoutSeconds from 30 to 2592000 (30 days)"),
        (limits.COMMENT, "comment", "shorten the comment to 100 characters"),
        (limits.DOCUMENT_HASH, "documentHash", "give the document's SHA-256 hash (64 hex characters)"),
        (limits.DOCUMENT_HASH_TYPE, "documentHashType", "set documentHashType to Sha256"),
        (limits.DOCUMENT_VERSION, "documentVersion", "use $LATEST, $DEFAULT or a version number such as 3"),
        (limits.S3_BUCKET_NAME, "outputS3Bucket", "give the name (not the ARN) of an existing S3 bucket"),
        (limits.S3_KEY_PREFIX, "outputS3KeyPrefix", "shorten the key prefix to 500 characters"),
    ), _RUN_COMMAND)
    report_limits(report_violation, _who(args), get(block, "cloudwatchConfig"), (
        (limits.CLOUDWATCH_LOG_GROUP_NAME, "cloudwatchLogGroupName", "give a log group name of 1 to 512 characters"),
    ), f"{_RUN_COMMAND}.cloudwatchConfig")
    notification = get(block, "notificationConfig")
    where = f"{_RUN_COMMAND}.notificationConfig"
    report_limits(report_violation, _who(args), notification, (
        (limits.NOTIFICATION_TYPE, "notificationType", "set notificationType to Command or Invocation"),
    ), where)
    events = get(notification, "notificationEvents")
    if isinstance(events, list):
        for index, event in enumerate(events):
            problem = limit_problem(limits.NOTIFICATION_EVENT, f"{where}.notificationEvents[{index}]", event)
            if problem:
                report_violation(message(_who(args), problem,
                                         "use All, InProgress, Success, TimedOut, Cancelled or Failed"))
    parameters = get(block, "parameters")
    if isinstance(parameters, list):
        for index, parameter in enumerate(parameters):
            name = get(parameter, "name")
            if name is not UNKNOWN and (not isinstance(name, str) or not name):
                report_violation(message(_who(args), f"{_RUN_COMMAND}.parameters[{index}].name is {show(name)}",
                                         "name the document parameter, e.g. Operation"))


task_run_command_parameters = ResourceTypePolicy(
    name="task-run-command-parameters",
    description="Requires Run Command parameters within AWS's limits: timeout, document version, "
    "notifications, S3 output and CloudWatch output.",
    resource_types=[MAINTENANCE_WINDOW_TASK],
    validate=_task_run_command_parameters,
)


def _task_automation_parameters(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    block = get(props(args), "taskInvocationParameters", "automationParameters")
    if not isinstance(block, dict):
        return
    where = "taskInvocationParameters.automationParameters"
    report_limits(report_violation, _who(args), block, (
        (limits.DOCUMENT_VERSION, "documentVersion", "use $LATEST, $DEFAULT or a version number such as 3"),
    ), where)
    parameters = block.get("parameters")
    if not isinstance(parameters, list):
        return
    if limits.AUTOMATION_PARAMETER_MAP.max is not None and len(parameters) > limits.AUTOMATION_PARAMETER_MAP.max:
        report_violation(message(
            _who(args), f"{where}.parameters has {len(parameters)} entries (allowed: "
            f"{limits.AUTOMATION_PARAMETER_MAP.allowed})", "pass fewer runbook parameters"))
    for index, parameter in enumerate(parameters):
        if not isinstance(parameter, dict):
            continue
        name, values = parameter.get("name"), parameter.get("values")
        problem = limit_problem(limits.AUTOMATION_PARAMETER_KEY, f"{where}.parameters[{index}].name", name)
        if problem:
            report_violation(message(_who(args), problem, "name the runbook parameter in 1 to 50 characters"))
        problem = None if values is None else limit_problem(
            limits.AUTOMATION_PARAMETER_VALUE_LIST, f"{where}.parameters[{index}].values", values)
        if problem:
            report_violation(message(_who(args), problem, "pass at most 50 values"))
        for position, value in enumerate(values if isinstance(values, list) else []):
            problem = limit_problem(limits.AUTOMATION_PARAMETER_VALUE,
                                    f"{where}.parameters[{index}].values[{position}]", value)
            if problem:
                report_violation(message(_who(args), problem, "pass values of 1 to 512 characters"))


task_automation_parameters = ResourceTypePolicy(
    name="task-automation-parameters",
    description="Requires Automation parameters within AWS's limits: document version and runbook parameters.",
    resource_types=[MAINTENANCE_WINDOW_TASK],
    validate=_task_automation_parameters,
)


def _task_lambda_parameters(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report_limits(report_violation, _who(args), get(props(args), "taskInvocationParameters", "lambdaParameters"), (
        (limits.LAMBDA_PAYLOAD, "payload", "keep the payload at most 4096 bytes; pass a pointer (an S3 key, "
         "a parameter name) for larger input"),
        (limits.LAMBDA_CLIENT_CONTEXT, "clientContext", "keep clientContext from 1 to 8000 characters"),
        (limits.LAMBDA_QUALIFIER, "qualifier", "give a version number or alias name of 1 to 128 characters"),
    ), "taskInvocationParameters.lambdaParameters")


task_lambda_parameters = ResourceTypePolicy(
    name="task-lambda-parameters",
    description="Requires Lambda parameters within AWS's limits: a payload of at most 4096 bytes.",
    resource_types=[MAINTENANCE_WINDOW_TASK],
    validate=_task_lambda_parameters,
)


def _task_step_functions_parameters(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report_limits(report_violation, _who(args), get(props(args), "taskInvocationParameters",
                                                    "stepFunctionsParameters"), (
        (limits.STEP_FUNCTIONS_INPUT, "input", "keep the input at most 4096 characters"),
        (limits.STEP_FUNCTIONS_NAME, "name", "use 1 to 80 characters without spaces or special characters, "
         "e.g. nightly-cleanup"),
    ), "taskInvocationParameters.stepFunctionsParameters")


task_step_functions_parameters = ResourceTypePolicy(
    name="task-step-functions-parameters",
    description="Requires Step Functions parameters within AWS's limits: input size and execution name.",
    resource_types=[MAINTENANCE_WINDOW_TASK],
    validate=_task_step_functions_parameters,
)


# --- security and operations -------------------------------------------------------------------------

def _task_service_role(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    role = props(args).get("serviceRoleArn")
    if role is UNKNOWN:
        return
    fix = "set serviceRoleArn to the ARN of the maintenance window service role this stack creates"
    if role is None or role == "":
        report_violation(message(
            _who(args), "serviceRoleArn (the role the task runs as) is not set, so Systems Manager uses its "
            "service-linked role AWSServiceRoleForAmazonSSM with far broader permissions", fix))
    elif not isinstance(role, str) or ROLE_ARN.fullmatch(role) is None:
        report_violation(message(
            _who(args), f"serviceRoleArn {show(role)} is not an IAM role ARN (allowed: "
            "arn:<partition>:iam::<account>:role/<name>)", fix))
    elif role.endswith(SERVICE_LINKED_ROLE):
        report_violation(message(
            _who(args), f"serviceRoleArn {show(role)} is the Systems Manager service-linked role, which has far "
            "broader permissions than a maintenance window needs", fix))


task_service_role = ResourceTypePolicy(
    name="task-service-role",
    description="Requires every task to name its own maintenance window service role.",
    resource_types=[MAINTENANCE_WINDOW_TASK],
    validate=_task_service_role,
)


def _task_notification_role(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    block = get(props(args), "taskInvocationParameters", "runCommandParameters")
    if not isinstance(block, dict):
        return
    topic = get(block, "notificationConfig", "notificationArn")
    role = block.get("serviceRoleArn")
    if topic is UNKNOWN or role is UNKNOWN:
        return
    if topic and not role:
        report_violation(message(
            _who(args),
            f"Run Command notifications go to {show(topic)} but runCommandParameters.serviceRoleArn (the "
            "notification role, not the task's serviceRoleArn) is not set, so nothing can publish them",
            "set runCommandParameters.serviceRoleArn to a role that trusts ssm.amazonaws.com and may "
            "sns:Publish to that topic",
        ))
    elif role and not topic:
        report_violation(message(
            _who(args),
            f"runCommandParameters.serviceRoleArn is {show(role)} but no notificationArn is set; this field is "
            "the SNS notification role, not the role the task runs as",
            "move the role to the task's serviceRoleArn, or add notificationConfig.notificationArn",
        ))


task_notification_role = ResourceTypePolicy(
    name="task-notification-role",
    description="Requires a Run Command notification role exactly when SNS notifications are configured.",
    resource_types=[MAINTENANCE_WINDOW_TASK],
    validate=_task_notification_role,
)

_RATE = re.compile(r"(\d+)(%?)")
# The prod-safe ceilings: the schema's defaults (which the CLI sends) and the code's (for callers sending none).
RATE_CONTROL_DEFAULTS = {"maxConcurrencyPercent": 25, "maxConcurrencyCount": 10, "maxErrorsPercent": 10,
                         "maxErrorsCount": 5}


def _task_rate_control(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    p = props(args)
    settings = {key: config(args, key, default) for key, default in RATE_CONTROL_DEFAULTS.items()}
    ceilings = {
        "maxConcurrency": (settings["maxConcurrencyPercent"], settings["maxConcurrencyCount"]),
        "maxErrors": (settings["maxErrorsPercent"], settings["maxErrorsCount"]),
    }
    for field, (percent_ceiling, count_ceiling) in ceilings.items():
        value = p.get(field)
        match = _RATE.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            continue  # absent, unknown, or malformed (task-rate-control-format reports that)
        number, is_percent = int(match.group(1)), bool(match.group(2))
        ceiling = percent_ceiling if is_percent else count_ceiling
        if number > ceiling:
            unit = "%" if is_percent else ""
            share = f"{number}% of the targets" if is_percent else f"{number} targets"
            what = f"runs on {share} at once" if field == "maxConcurrency" else (
                f"lets {share} fail before the task stops")
            report_violation(message(
                _who(args),
                f"{field} {show(value)} {what} (allowed here: at most {ceiling}{unit})",
                f"set {field} to {ceiling}{unit} or less, or raise the ceiling in this stack's policy config",
            ))


task_rate_control = ResourceTypePolicy(
    name="task-rate-control",
    description="Requires task rate control within the stack's ceilings (by default 25% concurrency, 10% errors).",
    resource_types=[MAINTENANCE_WINDOW_TASK],
    config_schema=PolicyConfigSchema(
        properties={
            "maxConcurrencyPercent": {"type": "integer", "minimum": 1, "maximum": 100,
                                      "default": RATE_CONTROL_DEFAULTS["maxConcurrencyPercent"]},
            "maxConcurrencyCount": {"type": "integer", "minimum": 1,
                                    "default": RATE_CONTROL_DEFAULTS["maxConcurrencyCount"]},
            "maxErrorsPercent": {"type": "integer", "minimum": 0, "maximum": 100,
                                 "default": RATE_CONTROL_DEFAULTS["maxErrorsPercent"]},
            "maxErrorsCount": {"type": "integer", "minimum": 0, "default": RATE_CONTROL_DEFAULTS["maxErrorsCount"]},
        }
    ),
    validate=_task_rate_control,
)

POLICIES = [
    task_type,
    task_rate_control_format,
    task_targets,
    task_priority,
    task_cutoff_behavior,
    task_name_description,
    task_run_command_parameters,
    task_automation_parameters,
    task_lambda_parameters,
    task_step_functions_parameters,
    task_service_role,
    task_notification_role,
    task_rate_control,
]
