"""Window tasks: what runs when a maintenance window opens.

The four task types of ``RegisterTaskWithMaintenanceWindow``: Run Command, Automation, Lambda and
Step Functions. One :class:`TaskArgs` covers them all; keys that do not apply to the task's type
are problems, not silently ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from mw_components.checks import Context, checks, distinct, each, field_problems, limited, rule, under
from mw_components.iam_policy import (
    IAM_ROLE,
    LAMBDA_FUNCTION,
    LAMBDA_FUNCTION_NAME,
    SNS_TOPIC,
    STATE_MACHINE,
    arn_of,
)
from mw_components.service_role import MANAGED_PREFIX
from mw_components.target import instance_id_problems

from mw_core import limits
from mw_core.errors import Problem

RUN_COMMAND = "RUN_COMMAND"
AUTOMATION = "AUTOMATION"
LAMBDA = "LAMBDA"
STEP_FUNCTIONS = "STEP_FUNCTIONS"
TASK_TYPES = (RUN_COMMAND, AUTOMATION, LAMBDA, STEP_FUNCTIONS)
CUTOFF_BEHAVIORS = limits.TASK_CUTOFF_BEHAVIOR.values
NOTIFICATION_EVENTS = limits.NOTIFICATION_EVENT.values
NOTIFICATION_TYPES = limits.NOTIFICATION_TYPE.values
# Failures only: a notification per successful instance is noise; a failed patch run must be heard.
DEFAULT_EVENTS = ("Failed", "TimedOut", "Cancelled")
# An Automation document's conventional parameter for the role Automation assumes (AWS-owned runbooks all take
# it): a role passed on, like a task's serviceRoleArn.
AUTOMATION_ASSUME_ROLE = "AutomationAssumeRole"

# The fields each task type takes beyond the shared ones; the others must be left unset.
TYPE_FIELDS: Mapping[str, tuple[str, ...]] = {
    RUN_COMMAND: ("document", "document_version", "parameters", "timeout_seconds", "comment",
                  "output_s3", "cloudwatch", "notifications"),
    AUTOMATION: ("document", "document_version", "parameters"),
    LAMBDA: ("function_arn", "payload", "qualifier", "client_context"),
    STEP_FUNCTIONS: ("state_machine_arn", "input", "execution_name"),
}
# What AWS calls TaskArn, per type: required.
TASK_ARN_FIELDS: Mapping[str, str] = {RUN_COMMAND: "document", AUTOMATION: "document", LAMBDA: "function_arn",
                                      STEP_FUNCTIONS: "state_machine_arn"}


def function_arn_problems(function: Any, context: Context) -> list[Problem]:
    """A Lambda function's ARN; its name alone only when it starts with ``SSM`` or the task has its own role."""
    if isinstance(function, str) and LAMBDA_FUNCTION_NAME.fullmatch(function):
        if function.startswith(MANAGED_PREFIX) or context.fields.get("service_role_arn") is not None:
            return []
        return [Problem("", f"{function!r} names a function without its ARN, and the service role is granted "
                            "lambda:InvokeFunction on exactly that function, which takes its ARN (allowed: "
                            f"{LAMBDA_FUNCTION.form}; a name alone when it starts with {MANAGED_PREFIX}, as the "
                            "managed policy covers those, or when the task has its own `service_role_arn`)")]
    return arn_of(LAMBDA_FUNCTION, f"or a function name starting with {MANAGED_PREFIX}")(function, context)


def parameter_problems(parameters: Mapping[str, tuple[str, ...]], context: Context) -> list[Problem]:
    """An Automation task's ``AutomationAssumeRole`` is a role passed on: exactly one role, never a pattern."""
    if context.fields.get("type") != AUTOMATION:
        return []  # the parameter means nothing to a Run Command document
    role_check = arn_of(IAM_ROLE)
    return [under(f"{AUTOMATION_ASSUME_ROLE}[{index}]", problem)
            for index, role in enumerate(parameters.get(AUTOMATION_ASSUME_ROLE, ()))
            # {{ ... }}: a parameter reference Automation resolves when it runs; there is nothing to judge here.
            if not (isinstance(role, str) and role.startswith("{{") and role.endswith("}}"))
            for problem in role_check(role, context)]


def only_with_targets(value: str, context: Context) -> list[Problem]:
    """Rate control is for tasks with targets: AWS rejects it on a task without."""
    fields = context.fields
    if "targets" in fields and "instance_ids" in fields and not (fields["targets"] or fields["instance_ids"]):
        return [Problem("", f"{value!r} is not allowed on a task without targets (AWS rejects it; remove the key)")]
    return []


def not_with_targets(instance_ids: tuple[str, ...], context: Context) -> list[Problem]:
    """A task names registered targets or instances, not both."""
    if instance_ids and context.fields.get("targets"):
        return [Problem("", "give `targets` or `instance_ids`, not both (AWS takes one kind per task)")]
    return []


def targets_needed(task_type: object, has_targets: bool) -> Problem | None:
    """A Run Command task runs on instances: it needs targets (or instance IDs)."""
    if task_type == RUN_COMMAND and not has_targets:
        return Problem("targets", "a RUN_COMMAND task needs `targets` (names of this window's targets)")
    return None


def task_target_problems(targets: tuple[str, ...], context: Context) -> list[Problem]:
    """Names of window targets: each once, at most 10 (a quota of maintenance windows)."""
    out = distinct("lists a target more than once")(targets, context)
    if len(targets) > limits.TASK_WINDOW_TARGET_IDS.max:
        out.append(Problem("", f"{len(targets)} targets is too many "
                               f"(allowed: at most {limits.TASK_WINDOW_TARGET_IDS.max} per task)"))
    return out


@dataclass(frozen=True)
class OutputS3:
    """Run Command output written to S3, in full (the console shows only the last 2,500 characters).

    :param bucket: the bucket name. From stack config, default: the stack's ``outputBucket``.
    :param key_prefix: Default: ``<window>/<task>/``, one prefix per task so logs never mix.
    """

    bucket: pulumi.Input[str] | None = field(metadata=checks(limited(limits.S3_BUCKET_NAME)))
    key_prefix: pulumi.Input[str] | None = field(default=None, metadata=checks(limited(limits.S3_KEY_PREFIX)))


@dataclass(frozen=True)
class CloudWatchOutput:
    """Run Command output sent to CloudWatch Logs.

    :param log_group: Default: AWS's ``/aws/ssm/<document name>``.
    """

    log_group: pulumi.Input[str] | None = field(default=None,
                                                metadata=checks(limited(limits.CLOUDWATCH_LOG_GROUP_NAME)))


@dataclass(frozen=True)
class Notifications:
    """SNS notifications about a Run Command task's status.

    :param topic_arn: the SNS topic. From stack config, default: the stack's ``notifications`` topic.
    :param events: Default: ``Failed``, ``TimedOut``, ``Cancelled``.
    :param type: ``Command`` (one per command) or ``Invocation`` (one per instance). Default: ``Command``.
    :param role_arn: the role Run Command assumes to publish to the topic; this is not the task's
        service role. Default: the window's service role, which is granted ``sns:Publish`` on the topic.
    """

    topic_arn: pulumi.Input[str] | None = field(metadata=checks(arn_of(SNS_TOPIC)))
    events: tuple[str, ...] = field(default=DEFAULT_EVENTS, metadata=checks(each(limited(limits.NOTIFICATION_EVENT))))
    type: str = field(default="Command", metadata=checks(limited(limits.NOTIFICATION_TYPE)))
    role_arn: pulumi.Input[str] | None = field(default=None, metadata=checks(arn_of(IAM_ROLE)))


@dataclass(frozen=True)
class TaskArgs:
    """One task of a window (``RegisterTaskWithMaintenanceWindow``).

    Shared:

    :param name: unique in its window.
    :param type: ``RUN_COMMAND``, ``AUTOMATION``, ``LAMBDA`` or ``STEP_FUNCTIONS``.
    :param priority: lower runs first; tasks of equal priority run in parallel. Default: 1.
    :param targets: names of this window's targets. Default: none (not allowed for Run Command).
    :param instance_ids: instances not registered as targets; needs the window's
        ``allow_unregistered_targets``. Default: none.
    :param max_concurrency: ``"1"`` or ``"10%"``. Default: ``"1"`` when the task has targets; AWS
        takes none when it has none.
    :param max_errors: ``"0"``, ``"1"`` or ``"10%"``. Default: ``"1"`` when the task has targets.
    :param cutoff_behavior: ``CONTINUE_TASK`` or ``CANCEL_TASK`` at the cutoff. Default: AWS's
        ``CONTINUE_TASK``.
    :param service_role_arn: the role Systems Manager assumes to run the task. Default: the window's
        service role.
    :param description: Default: none.

    Per type (:data:`TYPE_FIELDS`; the others must be left unset): ``document``, ``document_version``,
    ``parameters`` (Run Command and Automation); ``timeout_seconds``, ``comment``, ``output_s3``, ``cloudwatch``,
    ``notifications`` (Run Command); ``function_arn``, ``payload``, ``qualifier``, ``client_context`` (Lambda);
    ``state_machine_arn``, ``input``, ``execution_name`` (Step Functions). ``payload`` and ``input`` are JSON
    text. The task's ``TaskArn`` (``document``, ``function_arn``, ``state_machine_arn``) is required. Without
    them: Default: none (AWS's defaults: the document's default version, its own timeout, no output copy, no
    notifications).

    ``function_arn`` is the function's ARN; its name alone only when it starts with ``SSM`` (the managed
    policy already covers it) or the task runs with its own ``service_role_arn`` (nothing is granted for it):
    otherwise the window's role is granted ``lambda:InvokeFunction`` on exactly that function, which takes its
    ARN. ``state_machine_arn`` is always an ARN (AWS takes nothing else). Wildcards in either, or in
    ``notifications.topic_arn``, are problems unless the window allows them; role ARNs never take one.
    """

    name: str = field(metadata=checks(limited(limits.WINDOW_NAME)))
    type: str = field(metadata=checks(rule(lambda kind: None if kind in TASK_TYPES else
                         f"{kind!r} is not a task type (allowed: {', '.join(TASK_TYPES)})")))
    description: str | None = field(default=None, metadata=checks(limited(limits.WINDOW_DESCRIPTION)))
    priority: int = field(default=1, metadata=checks(limited(limits.TASK_PRIORITY)))
    targets: tuple[str, ...] = field(default=(), metadata=checks(task_target_problems))
    instance_ids: tuple[str, ...] = field(default=(), metadata=checks(not_with_targets, instance_id_problems("")))
    max_concurrency: str | None = field(default=None,
                                        metadata=checks(only_with_targets, limited(limits.MAX_CONCURRENCY)))
    max_errors: str | None = field(default=None, metadata=checks(only_with_targets, limited(limits.MAX_ERRORS)))
    cutoff_behavior: str | None = field(default=None, metadata=checks(limited(limits.TASK_CUTOFF_BEHAVIOR)))
    service_role_arn: pulumi.Input[str] | None = field(default=None, metadata=checks(arn_of(IAM_ROLE)))
    document: str | None = field(default=None, metadata=checks(limited(limits.DOCUMENT_ARN)))
    document_version: str | None = field(default=None, metadata=checks(limited(limits.DOCUMENT_VERSION)))
    parameters: Mapping[str, tuple[str, ...]] = field(default_factory=dict, metadata=checks(parameter_problems))
    timeout_seconds: int | None = field(default=None, metadata=checks(limited(limits.TIMEOUT_SECONDS)))
    comment: str | None = field(default=None, metadata=checks(limited(limits.COMMENT)))
    output_s3: OutputS3 | None = None
    cloudwatch: CloudWatchOutput | None = None
    notifications: Notifications | None = None
    function_arn: pulumi.Input[str] | None = field(default=None, metadata=checks(function_arn_problems))
    payload: str | None = field(default=None, metadata=checks(limited(limits.LAMBDA_PAYLOAD)))
    qualifier: str | None = field(default=None, metadata=checks(limited(limits.LAMBDA_QUALIFIER)))
    client_context: str | None = field(default=None, metadata=checks(limited(limits.LAMBDA_CLIENT_CONTEXT)))
    state_machine_arn: pulumi.Input[str] | None = field(default=None, metadata=checks(arn_of(STATE_MACHINE)))
    input: str | None = field(default=None, metadata=checks(limited(limits.STEP_FUNCTIONS_INPUT)))
    execution_name: str | None = field(default=None, metadata=checks(limited(limits.STEP_FUNCTIONS_NAME)))

    @property
    def has_targets(self) -> bool:
        return bool(self.targets or self.instance_ids)

    @property
    def task_arn(self) -> pulumi.Input[str] | None:
        """What AWS calls ``TaskArn``: a document name, a function ARN or a state machine ARN."""
        field_name = TASK_ARN_FIELDS.get(self.type)
        return None if field_name is None else getattr(self, field_name)

    def rate_control(self) -> tuple[str | None, str | None]:
        """``(maxConcurrency, maxErrors)`` as sent: defaults with targets, nothing without."""
        if not self.has_targets:
            return self.max_concurrency, self.max_errors
        return self.max_concurrency or "1", self.max_errors or "1"

    def problems(self, *, allow_wildcards: bool = False) -> list[Problem]:
        """What AWS would reject, and ARNs that would grant or pass more than one resource, with paths
        relative to this task. ``allow_wildcards`` leaves wildcards in granted ARNs to the policy pack.
        Whether the targets are its window's is the window's to say (:func:`task_reference_problems`)."""
        return field_problems(self, allow_wildcards=allow_wildcards) + self.rules()

    def rules(self) -> list[Problem]:
        """The rules across fields: the fields of the task's type only, its ``TaskArn``, targets for Run
        Command."""
        out: list[Problem] = []
        if self.type not in TASK_TYPES:
            return out
        allowed = TYPE_FIELDS[self.type]
        for name in dict.fromkeys(n for names in TYPE_FIELDS.values() for n in names):
            if name not in allowed and getattr(self, name) not in (None, {}, ()):
                owners = " and ".join(t for t in TASK_TYPES if name in TYPE_FIELDS[t])
                out.append(Problem(name, f"not allowed on a {self.type} task (it belongs to {owners} tasks; "
                                         f"{self.type} takes: {', '.join(f'`{n}`' for n in allowed)})"))
        required = TASK_ARN_FIELDS[self.type]
        if self.task_arn is None:
            out.append(Problem(required, f"required for a {self.type} task"))
        needed = targets_needed(self.type, self.has_targets)
        return out if needed is None else [*out, needed]

    def invocation_parameters(self, window: str, default_role_arn: pulumi.Input[str] | None) -> dict[str, Any] | None:
        """``TaskInvocationParameters`` for this task's type, in wire-shaped snake_case for pulumi-aws."""
        if self.type == RUN_COMMAND:
            return {"run_command_parameters": self._run_command_parameters(window, default_role_arn)}
        if self.type == AUTOMATION:
            params: dict[str, Any] = {"parameters": _parameter_list(self.parameters)}
            if self.document_version is not None:
                params["document_version"] = self.document_version
            return {"automation_parameters": params}
        if self.type == LAMBDA:
            params = _without_none(payload=self.payload, qualifier=self.qualifier, client_context=self.client_context)
            return {"lambda_parameters": params} if params else None
        params = _without_none(input=self.input, name=self.execution_name)
        return {"step_functions_parameters": params} if params else None

    def _run_command_parameters(self, window: str, default_role_arn: pulumi.Input[str] | None) -> dict[str, Any]:
        params: dict[str, Any] = _without_none(document_version=self.document_version,
                                              timeout_seconds=self.timeout_seconds, comment=self.comment)
        if self.parameters:
            params["parameters"] = _parameter_list(self.parameters)
        if self.output_s3 is not None:
            params["output_s3_bucket"] = self.output_s3.bucket
            params["output_s3_key_prefix"] = (self.output_s3.key_prefix if self.output_s3.key_prefix is not None
                                              else f"{window}/{self.name}/")
        if self.cloudwatch is not None:
            params["cloudwatch_config"] = _without_none(cloudwatch_output_enabled=True,
                                                        cloudwatch_log_group_name=self.cloudwatch.log_group)
        if self.notifications is not None:
            params["notification_config"] = {
                "notification_arn": self.notifications.topic_arn,
                "notification_events": list(self.notifications.events),
                "notification_type": self.notifications.type,
            }
            params["service_role_arn"] = self.notifications.role_arn or default_role_arn
        return params


def to_json(value: Any) -> str:
    """A payload or input given as a mapping, as the compact JSON text AWS takes."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), sort_keys=True)


def _parameter_list(parameters: Mapping[str, tuple[str, ...]]) -> list[dict[str, Any]]:
    return [{"name": name, "values": list(values)} for name, values in parameters.items()]


def _without_none(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
