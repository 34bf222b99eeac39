"""The Pulumi program: stack config -> service role, PassRole policy, windows -> stack outputs.

``__main__.py`` calls :func:`main`; tests and ``mw plan`` run that same file under the engine
stand-in, so there is one program.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from components.pass_role import PassRolePolicy
from components.service_role import ServiceRole
from components.task import LAMBDA, STEP_FUNCTIONS
from components.window import MaintenanceWindow
from mw import config as stack_config
from mw.config import NAMESPACE, StackConfig

SERVICE_ROLE_NAME = "service-role"
PASS_ROLE_NAME = "pass-role"


def main() -> None:
    """Read and validate the whole stack config, then register every resource."""
    deploy(stack_config.parse(read_config(), source=f"config of stack {pulumi.get_stack()!r}"))


def read_config() -> dict[str, Any]:
    """The ``maintenance-windows:*`` values, however they were set (CLI, env, ``set_all_config``).

    The CLI passes structured values as JSON text; tests may set Python values directly.
    """
    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    keys |= {f"{NAMESPACE}:{key}" for key in stack_config.TOP_KEYS}
    values: dict[str, Any] = {}
    for key in sorted(keys):
        value = runtime_config.get_config(key)
        if value is not None:
            values[key] = _decode(value)
    return stack_config.namespaced(values)


def deploy(config: StackConfig) -> dict[str, Any]:
    """Register the components for a validated config; returns what it exports."""
    role_arn: pulumi.Input[str]
    if config.service_role is not None:
        role = ServiceRole(SERVICE_ROLE_NAME, _with_task_grants(config))
        role_arn = role.arn
    else:
        role_arn = config.service_role_arn or ""
    pass_role = PassRolePolicy(PASS_ROLE_NAME, replace(config.pass_role, role_arn=role_arn))
    windows = {
        args.name or "": MaintenanceWindow(args.name or "", replace(args, service_role_arn=role_arn))
        for args in config.windows
    }
    outputs: dict[str, Any] = {
        "serviceRoleArn": role_arn,
        "passRolePolicyArn": pass_role.arn,
        "windows": {
            name: {"id": window.window_id, "targetIds": window.target_ids, "taskIds": window.task_ids}
            for name, window in windows.items()
        },
    }
    for key, value in outputs.items():
        pulumi.export(key, value)
    return outputs


def _with_task_grants(config: StackConfig):
    """The service role's args plus the exact topics, functions and state machines its tasks use."""
    assert config.service_role is not None
    topics, functions, machines = [], [], []
    for window in config.windows:
        for task in window.tasks:
            if task.notifications is not None and task.notifications.role_arn is None:
                topics.append(task.notifications.topic_arn)
            if task.service_role_arn is not None:
                continue  # the task runs with its own role; ours needs nothing for it
            if task.type == LAMBDA and task.function_arn is not None:
                functions.append(task.function_arn)
            if task.type == STEP_FUNCTIONS and task.state_machine_arn is not None:
                machines.append(task.state_machine_arn)
    return replace(
        config.service_role,
        notification_topic_arns=tuple(dict.fromkeys(topics)),
        lambda_function_arns=tuple(dict.fromkeys(functions)),
        state_machine_arns=tuple(dict.fromkeys(machines)),
    )


def _decode(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
