"""The program as released before issue 16 (commit b815d58, mw_program/program.py unchanged since 6740d73), kept to
record the URNs that stacks deployed with it have: tests/program/test_no_replacement.py compares against them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pulumi
from mw_components.log_group import OutputLogGroup
from mw_components.notification_topic import NotificationTopic
from mw_components.output_bucket import OutputBucket
from mw_components.pass_role import PassRolePolicy
from mw_components.patch_baseline import PatchBaseline
from mw_components.service_role import ServiceRole, ServiceRoleArgs
from mw_components.task import LAMBDA, STEP_FUNCTIONS
from mw_components.window import MaintenanceWindow, MaintenanceWindowArgs
from pulumi.runtime import config as runtime_config

import mw_config as stack_config
from mw_config import NAMESPACE, StackConfig
from mw_config.stackfile import namespace_problems
from mw_core.errors import ConfigError

SERVICE_ROLE_NAME = "service-role"
PASS_ROLE_NAME = "pass-role"
OUTPUT_BUCKET_NAME = "output-bucket"
NOTIFICATIONS_NAME = "notifications"
LOG_GROUP_NAME = "output-logs"


def main() -> None:
    """Read and validate the whole stack config, then register every resource."""
    stack = pulumi.get_stack()
    deploy(stack_config.parse(read_config(), source=f"config of stack {stack!r}", stack=stack))


def read_config() -> dict[str, Any]:
    """The ``maintenance-windows:*`` values, however they were set (CLI, env, ``set_all_config``).

    The CLI passes structured values as JSON text, decoded by :func:`mw_config.namespaced`; tests may set
    Python values directly. A key whose
    namespace looks like a misspelling of this project's (``maintenance-window:windows``) is a
    ConfigError, as when ``mw`` reads the stack file: the program would otherwise ignore it.
    """
    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    ConfigError.check(namespace_problems(keys, NAMESPACE), f"config of stack {pulumi.get_stack()!r}")
    keys |= {f"{NAMESPACE}:{key}" for key in stack_config.TOP_KEYS}
    values = {key: value for key in sorted(keys) if (value := runtime_config.get_config(key)) is not None}
    return stack_config.namespaced(values)


def deploy(config: StackConfig) -> dict[str, Any]:
    """Register the components for a validated config; returns what it exports."""
    outputs: dict[str, Any] = {}
    shared = _Shared()
    if config.output_bucket is not None:
        bucket = OutputBucket(OUTPUT_BUCKET_NAME, config.output_bucket)
        shared.bucket = outputs["outputBucket"] = bucket.bucket
    if config.notifications is not None:
        topic = NotificationTopic(NOTIFICATIONS_NAME, config.notifications)
        shared.topic_arn = outputs["notificationTopicArn"] = topic.arn
    regions: tuple[str | None, ...] = config.regions or (None,)
    if config.cloudwatch is not None:
        for region in regions:
            group = OutputLogGroup(_regional(LOG_GROUP_NAME, region), replace(config.cloudwatch, region=region))
            shared.log_groups[region] = group.name
        outputs["outputLogGroup"] = config.cloudwatch.log_group_name
    baselines = {}
    for args in config.patch_baselines:
        for region in regions:
            name = _regional(args.name or "", region)
            baselines[name] = PatchBaseline(name, replace(args, region=region)).baseline_id
    windows = [(args, region, _with_stack_resources(args, region, shared)) for args in config.windows
               for region in regions]
    role_arn: pulumi.Input[str]
    if config.service_role is not None:
        role = ServiceRole(SERVICE_ROLE_NAME, _with_task_grants(config.service_role, [w for _, _, w in windows]))
        role_arn = role.arn
    else:
        role_arn = config.service_role_arn or ""
    pass_role = PassRolePolicy(PASS_ROLE_NAME, replace(config.pass_role, role_arn=role_arn))
    created = {}
    for args, region, resolved in windows:
        name = _regional(args.name or "", region)
        created[name] = MaintenanceWindow(name, replace(resolved, service_role_arn=role_arn, region=region))
    outputs = {
        "serviceRoleArn": role_arn,
        "passRolePolicyArn": pass_role.arn,
        "windows": {
            name: {"id": window.window_id, "targetIds": window.target_ids, "taskIds": window.task_ids}
            for name, window in created.items()
        },
        **outputs,
    }
    if baselines:
        outputs["patchBaselineIds"] = baselines
    for key, value in outputs.items():
        pulumi.export(key, value)
    return outputs


@dataclass
class _Shared:
    """The stack's own bucket, topic and log groups (by region), once created."""

    bucket: pulumi.Output[str] | None = None
    topic_arn: pulumi.Output[str] | None = None
    log_groups: dict[str | None, pulumi.Output[str]] = field(default_factory=dict)


def _regional(name: str, region: str | None) -> str:
    """With ``regions`` set, every regional component's name carries its region to stay unique."""
    return f"{name}-{region}" if region else name


def _with_stack_resources(window: MaintenanceWindowArgs, region: str | None, shared: _Shared) -> MaintenanceWindowArgs:
    """Point tasks that reference the stack's bucket, topic or log group at the created resources."""
    tasks = []
    for task in window.tasks:
        changes: dict[str, Any] = {}
        if task.output_s3 is not None and task.output_s3.bucket is None and shared.bucket is not None:
            changes["output_s3"] = replace(task.output_s3, bucket=shared.bucket)
        if task.notifications is not None and task.notifications.topic_arn is None and shared.topic_arn is not None:
            changes["notifications"] = replace(task.notifications, topic_arn=shared.topic_arn)
        if task.cloudwatch is not None and task.cloudwatch.log_group is None and region in shared.log_groups:
            changes["cloudwatch"] = replace(task.cloudwatch, log_group=shared.log_groups[region])
        tasks.append(replace(task, **changes) if changes else task)
    return replace(window, tasks=tuple(tasks))


def _with_task_grants(role: ServiceRoleArgs, windows: list[MaintenanceWindowArgs]) -> ServiceRoleArgs:
    """The service role's args plus the exact topics, functions and state machines its tasks use."""
    topics: list[pulumi.Input[str]] = []
    functions: list[pulumi.Input[str]] = []
    machines: list[pulumi.Input[str]] = []
    for window in windows:
        for task in window.tasks:
            if task.notifications is not None and task.notifications.role_arn is None:
                topics.append(task.notifications.topic_arn)
            if task.service_role_arn is not None:
                continue  # the task runs with its own role; ours needs nothing for it
            if task.type == LAMBDA and task.function_arn is not None:
                functions.append(task.function_arn)
            if task.type == STEP_FUNCTIONS and task.state_machine_arn is not None:
                machines.append(task.state_machine_arn)
    return replace(role, notification_topic_arns=_distinct(topics), lambda_function_arns=_distinct(functions),
                   state_machine_arns=_distinct(machines))


def _distinct(values: list[pulumi.Input[str]]) -> tuple[pulumi.Input[str], ...]:
    """Each value once, in first-seen order; an Output is kept by identity."""
    seen: dict[Any, pulumi.Input[str]] = {}
    for value in values:
        seen.setdefault(value if isinstance(value, str) else id(value), value)
    return tuple(seen.values())

