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
from mw_components import iam_policy
from mw_components.iam_policy import (
    IAM_ROLE,
    LAMBDA_FUNCTION,
    LAMBDA_FUNCTION_NAME,
    SNS_TOPIC,
    STATE_MACHINE,
    arn_problem,
)
from mw_components.service_role import MANAGED_PREFIX

from mw_core import limits
from mw_core.errors import Problem
from mw_core.problems import checker

RUN_COMMAND = "RUN_COMMAND"
AUTOMATION = "AUTOMATION"
LAMBDA = "LAMBDA"
STEP_FUNCTIONS = "STEP_FUNCTIONS"
TASK_TYPES = (RUN_COMMAND, AUTOMATION, LAMBDA, STEP_FUNCTIONS)
CUTOFF_BEHAVIORS = ("CONTINUE_TASK", "CANCEL_TASK")
NOTIFICATION_EVENTS = ("All", "InProgress", "Success", "TimedOut", "Cancelled", "Failed")
NOTIFICATION_TYPES = ("Command", "Invocation")
# Failures only: a notification per successful instance is noise; a failed patch run must be heard.
DEFAULT_EVENTS = ("Failed", "TimedOut", "Cancelled")
# An Automation document's conventional parameter for the role Automation assumes (AWS-owned runbooks all take
# it): a role passed on, like a task's serviceRoleArn.
AUTOMATION_ASSUME_ROLE = "AutomationAssumeRole"

# The config keys each task type accepts beyond the shared ones; everything else is a mistake.
TYPE_KEYS: Mapping[str, tuple[str, ...]] = {
    RUN_COMMAND: ("document", "documentVersion", "parameters", "timeoutSeconds", "comment",
                  "outputS3", "cloudWatch", "notifications"),
    AUTOMATION: ("document", "documentVersion", "parameters"),
    LAMBDA: ("functionArn", "payload", "qualifier", "clientContext"),
    STEP_FUNCTIONS: ("stateMachineArn", "input", "executionName"),
}


@dataclass(frozen=True)
class OutputS3:
    """Run Command output written to S3, in full (the console shows only the last 2,500 characters).

    :param bucket: the bucket name. From stack config, default: the stack's ``outputBucket``.
    :param key_prefix: Default: ``<window>/<task>/``, one prefix per task so logs never mix.
    """

    bucket: pulumi.Input[str] | None
    key_prefix: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class CloudWatchOutput:
    """Run Command output sent to CloudWatch Logs.

    :param log_group: Default: AWS's ``/aws/ssm/<document name>``.
    """

    log_group: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class Notifications:
    """SNS notifications about a Run Command task's status.

    :param topic_arn: the SNS topic. From stack config, default: the stack's ``notifications`` topic.
    :param events: Default: ``Failed``, ``TimedOut``, ``Cancelled``.
    :param type: ``Command`` (one per command) or ``Invocation`` (one per instance). Default: ``Command``.
    :param role_arn: the role Run Command assumes to publish to the topic; this is not the task's
        service role. Default: the window's service role, which is granted ``sns:Publish`` on the topic.
    """

    topic_arn: pulumi.Input[str] | None
    events: tuple[str, ...] = DEFAULT_EVENTS
    type: str = "Command"
    role_arn: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class TaskArgs:
    """One task of a window (``RegisterTaskWithMaintenanceWindow``).

    Shared:

    :param name: unique in its window.
    :param type: ``RUN_COMMAND``, ``AUTOMATION``, ``LAMBDA`` or ``STEP_FUNCTIONS``.
    :param priority: lower runs first; tasks of equal priority run in parallel. Default: 1.
    :param targets: names of this window's targets. Default: none (not allowed for Run Command).
    :param instance_ids: instances not registered as targets; needs ``allowUnregisteredTargets``.
    :param max_concurrency: ``"1"`` or ``"10%"``. Default: ``"1"`` when the task has targets; AWS
        takes none when it has none.
    :param max_errors: ``"0"``, ``"1"`` or ``"10%"``. Default: ``"1"`` when the task has targets.
    :param cutoff_behavior: ``CONTINUE_TASK`` or ``CANCEL_TASK`` at the cutoff. Default: AWS's
        ``CONTINUE_TASK``.
    :param service_role_arn: the role Systems Manager assumes to run the task. Default: the window's
        service role.

    Per type: ``document``, ``document_version``, ``parameters`` (Run Command and Automation);
    ``timeout_seconds``, ``comment``, ``output_s3``, ``cloudwatch``, ``notifications`` (Run Command);
    ``function_arn``, ``payload``, ``qualifier``, ``client_context`` (Lambda); ``state_machine_arn``,
    ``input``, ``execution_name`` (Step Functions). ``payload`` and ``input`` are JSON text.

    ``function_arn`` is the function's ARN; its name alone only when it starts with ``SSM`` (the managed
    policy already covers it) or the task runs with its own ``service_role_arn`` (nothing is granted for it):
    otherwise the window's role is granted ``lambda:InvokeFunction`` on exactly that function, which takes its
    ARN. ``state_machine_arn`` is always an ARN (AWS takes nothing else). Wildcards in either, or in
    ``notifications.topic_arn``, are problems unless the window allows them; role ARNs never take one.
    """

    name: str
    type: str
    description: str | None = None
    priority: int = 1
    targets: tuple[str, ...] = ()
    instance_ids: tuple[str, ...] = ()
    max_concurrency: str | None = None
    max_errors: str | None = None
    cutoff_behavior: str | None = None
    service_role_arn: pulumi.Input[str] | None = None
    document: str | None = None
    document_version: str | None = None
    parameters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    timeout_seconds: int | None = None
    comment: str | None = None
    output_s3: OutputS3 | None = None
    cloudwatch: CloudWatchOutput | None = None
    notifications: Notifications | None = None
    function_arn: pulumi.Input[str] | None = None
    payload: str | None = None
    qualifier: str | None = None
    client_context: str | None = None
    state_machine_arn: pulumi.Input[str] | None = None
    input: str | None = None
    execution_name: str | None = None

    @property
    def has_targets(self) -> bool:
        return bool(self.targets or self.instance_ids)

    @property
    def task_arn(self) -> pulumi.Input[str] | None:
        """What AWS calls ``TaskArn``: a document name, a function ARN or a state machine ARN."""
        if self.type in (RUN_COMMAND, AUTOMATION):
            return self.document
        if self.type == LAMBDA:
            return self.function_arn
        return self.state_machine_arn

    def rate_control(self) -> tuple[str | None, str | None]:
        """``(maxConcurrency, maxErrors)`` as sent: defaults with targets, nothing without."""
        if not self.has_targets:
            return self.max_concurrency, self.max_errors
        return self.max_concurrency or "1", self.max_errors or "1"

    def problems(self, window_targets: tuple[str, ...], allow_unregistered: bool, *,
                 allow_wildcards: bool = False) -> list[Problem]:
        """What AWS would reject, and ARNs that would grant or pass more than one resource, with paths
        relative to this task. ``allow_wildcards`` leaves wildcards in granted ARNs to the policy pack."""
        out: list[Problem] = []
        check = checker(out)
        check("name", limits.WINDOW_NAME, self.name)
        check("description", limits.WINDOW_DESCRIPTION, self.description)
        if self.type not in TASK_TYPES:
            out.append(Problem("type", f"{self.type!r} is not a task type (allowed: {', '.join(TASK_TYPES)})"))
            return out
        check("priority", limits.TASK_PRIORITY, self.priority)
        out += self._target_problems(window_targets, allow_unregistered)
        out += self._rate_problems()
        if self.cutoff_behavior is not None and self.cutoff_behavior not in CUTOFF_BEHAVIORS:
            out.append(Problem("cutoffBehavior", f"{self.cutoff_behavior!r} is not allowed "
                                                 f"(allowed: {', '.join(CUTOFF_BEHAVIORS)})"))
        required = {RUN_COMMAND: "document", AUTOMATION: "document", LAMBDA: "functionArn",
                    STEP_FUNCTIONS: "stateMachineArn"}[self.type]
        if self.task_arn is None:
            out.append(Problem(required, f"required key is missing for a {self.type} task"))
        out += self._arn_problems(allow_wildcards)
        check("documentVersion", limits.DOCUMENT_VERSION, self.document_version)
        check("timeoutSeconds", limits.TIMEOUT_SECONDS, self.timeout_seconds)
        check("comment", limits.COMMENT, self.comment)
        check("payload", limits.LAMBDA_PAYLOAD, self.payload)
        check("qualifier", limits.LAMBDA_QUALIFIER, self.qualifier)
        check("clientContext", limits.LAMBDA_CLIENT_CONTEXT, self.client_context)
        check("input", limits.STEP_FUNCTIONS_INPUT, self.input)
        check("executionName", limits.STEP_FUNCTIONS_NAME, self.execution_name)
        if self.output_s3 is not None:
            check("outputS3.bucket", limits.S3_BUCKET_NAME, _plain(self.output_s3.bucket))
            check("outputS3.keyPrefix", limits.S3_KEY_PREFIX, _plain(self.output_s3.key_prefix))
        if self.notifications is not None:
            for index, event in enumerate(self.notifications.events):
                if event not in NOTIFICATION_EVENTS:
                    out.append(Problem(f"notifications.events[{index}]",
                                       f"{event!r} is not allowed (allowed: {', '.join(NOTIFICATION_EVENTS)})"))
            if self.notifications.type not in NOTIFICATION_TYPES:
                out.append(Problem("notifications.type", f"{self.notifications.type!r} is not allowed "
                                                         f"(allowed: {', '.join(NOTIFICATION_TYPES)})"))
        return out

    def _arn_problems(self, allow_wildcards: bool) -> list[Problem]:
        """The document, and every ARN this task passes on as a grant or a role (plain values only)."""
        out: list[Problem] = []
        checker(out)("document", limits.DOCUMENT_ARN, _plain(self.document))

        def arn(key: str, value: Any, kind: iam_policy.ArnKind, or_else: str = "") -> None:
            if _plain(value) is not None:
                problem = arn_problem(value, kind, allow_wildcards=allow_wildcards, or_else=or_else)
                if problem is not None:
                    out.append(Problem(key, problem))

        if self.type == LAMBDA:
            function = _plain(self.function_arn)
            if isinstance(function, str) and LAMBDA_FUNCTION_NAME.fullmatch(function):
                if not (function.startswith(MANAGED_PREFIX) or self.service_role_arn is not None):
                    out.append(Problem("functionArn", f"{function!r} names a function without its ARN, and the "
                                                      "service role is granted lambda:InvokeFunction on exactly that "
                                                      "function, which takes its ARN (allowed: "
                                                      f"{LAMBDA_FUNCTION.form}; a name alone when it starts with "
                                                      f"{MANAGED_PREFIX}, as the managed policy covers those, or when "
                                                      "the task has its own serviceRoleArn)"))
            else:
                arn("functionArn", function, LAMBDA_FUNCTION, f"or a function name starting with {MANAGED_PREFIX}")
        if self.type == STEP_FUNCTIONS:
            arn("stateMachineArn", self.state_machine_arn, STATE_MACHINE)
        arn("serviceRoleArn", self.service_role_arn, IAM_ROLE)
        if self.notifications is not None:
            arn("notifications.topicArn", self.notifications.topic_arn, SNS_TOPIC)
            arn("notifications.roleArn", self.notifications.role_arn, IAM_ROLE)
        if self.type == AUTOMATION:
            for index, role in enumerate(self.parameters.get(AUTOMATION_ASSUME_ROLE, ())):
                # {{ ... }}: a parameter reference Automation resolves when it runs; there is nothing to judge here.
                if not (role.startswith("{{") and role.endswith("}}")):
                    arn(f"parameters.{AUTOMATION_ASSUME_ROLE}[{index}]", role, IAM_ROLE)
        return out

    def _target_problems(self, window_targets: tuple[str, ...], allow_unregistered: bool) -> list[Problem]:
        out: list[Problem] = []
        if self.targets and self.instance_ids:
            out.append(Problem("instanceIds", "give targets or instanceIds, not both (AWS takes one kind per task)"))
        if self.type == RUN_COMMAND and not self.has_targets:
            out.append(Problem("targets", "a RUN_COMMAND task needs targets (names of this window's targets)"))
        known = ", ".join(window_targets) if window_targets else "none"
        for index, target in enumerate(self.targets):
            if target not in window_targets:
                out.append(Problem(f"targets[{index}]", f"{target!r} is not a target of this window "
                                                        f"(its targets: {known})"))
        if len(set(self.targets)) != len(self.targets):
            out.append(Problem("targets", "lists a target more than once"))
        if len(self.targets) > limits.TASK_WINDOW_TARGET_IDS.max:
            out.append(Problem("targets", f"{len(self.targets)} targets is too many "
                                          f"(allowed: at most {limits.TASK_WINDOW_TARGET_IDS.max} per task)"))
        if self.instance_ids and not allow_unregistered:
            out.append(Problem("instanceIds", "a task can name unregistered instances only in a window with "
                                              "allowUnregisteredTargets: true (or register them as a target)"))
        if len(self.instance_ids) > limits.TARGET_VALUES.max:
            out.append(Problem("instanceIds", f"{len(self.instance_ids)} instance IDs is too many "
                                              f"(allowed: at most {limits.TARGET_VALUES.max})"))
        check = checker(out)
        for index, instance_id in enumerate(self.instance_ids):
            check(f"instanceIds[{index}]", limits.INSTANCE_ID, instance_id)
        return out

    def _rate_problems(self) -> list[Problem]:
        out: list[Problem] = []
        if not self.has_targets:
            for key, value in (("maxConcurrency", self.max_concurrency), ("maxErrors", self.max_errors)):
                if value is not None:
                    out.append(Problem(key, f"{value!r} is not allowed on a task without targets "
                                            "(AWS rejects it; remove the key)"))
            return out
        check = checker(out)
        check("maxConcurrency", limits.MAX_CONCURRENCY, self.max_concurrency)
        check("maxErrors", limits.MAX_ERRORS, self.max_errors)
        return out

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


def _plain(value: Any) -> Any:
    """Validation looks at plain values only; an Output is checked by AWS at deploy time."""
    return None if isinstance(value, pulumi.Output) else value


def _parameter_list(parameters: Mapping[str, tuple[str, ...]]) -> list[dict[str, Any]]:
    return [{"name": name, "values": list(values)} for name, values in parameters.items()]


def _without_none(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
