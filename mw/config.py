"""The stack config schema: ``maintenance-windows:*`` keys read into typed, validated component args.

:func:`parse` reads the whole config before any resource is registered and raises one
:class:`~mw.errors.ConfigError` listing every problem, each with its key path
(``windows[0].tasks[0].targets[0]``), the value received and what is allowed. Unknown keys are
problems too, since they are usually typos.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.pass_role import PassRoleArgs
from components.service_role import SSM_SERVICE, ServiceRoleArgs
from components.target import ResourceGroup, TargetArgs
from components.task import (
    TASK_TYPES,
    TYPE_KEYS,
    CloudWatchOutput,
    Notifications,
    OutputS3,
    TaskArgs,
    to_json,
)
from components.window import MaintenanceWindowArgs
from mw._fields import Fields, describe, join, string_or_strings
from mw.errors import ConfigError, Problem

NAMESPACE = "maintenance-windows"
TOP_KEYS = ("serviceRole", "passRole", "windows")
SERVICE_ROLE_KEYS = ("arn", "name", "description", "trustedServices", "path", "permissionsBoundary",
                     "sourceAccount", "tags")
PASS_ROLE_KEYS = ("policyName", "description", "path", "groups", "users", "roles")
WINDOW_KEYS = ("name", "description", "schedule", "scheduleTimezone", "scheduleOffset", "startDate", "endDate",
               "duration", "cutoff", "allowUnregisteredTargets", "enabled", "tags", "targets", "tasks")
TARGET_KEYS = ("name", "description", "ownerInformation", "tags", "tagKeys", "instanceIds", "resourceGroup")
TASK_KEYS = ("name", "type", "description", "priority", "targets", "instanceIds", "maxConcurrency", "maxErrors",
             "cutoffBehavior", "serviceRoleArn")
_ALL_TYPE_KEYS = tuple(dict.fromkeys(k for keys in TYPE_KEYS.values() for k in keys))


@dataclass(frozen=True)
class StackConfig:
    """A stack's whole config, validated.

    ``service_role`` is None when an existing role is brought by ``service_role_arn``.
    ``pass_role.role_arn`` and each window's ``service_role_arn`` are filled in by the program once
    the role exists.
    """

    service_role: ServiceRoleArgs | None
    service_role_arn: str | None
    pass_role: PassRoleArgs
    windows: tuple[MaintenanceWindowArgs, ...]


def parse(raw: Mapping[str, Any], source: str = "stack config") -> StackConfig:
    """Validate the ``maintenance-windows:`` keys (namespace already stripped) into a :class:`StackConfig`."""
    problems: list[Problem] = []
    top = Fields(raw, "", problems, TOP_KEYS)
    role_args, role_arn = _service_role(Fields(top.raw.get("serviceRole"), "serviceRole", problems, SERVICE_ROLE_KEYS))
    pass_role = _pass_role(Fields(top.raw.get("passRole"), "passRole", problems, PASS_ROLE_KEYS))
    windows: list[MaintenanceWindowArgs] = []
    seen: dict[str, str] = {}
    for path, item in top.items("windows"):
        window = _window(Fields(item, path, problems, WINDOW_KEYS))
        if window is None:
            continue
        if window.name in seen:
            problems.append(Problem(join(path, "name"), f"{window.name!r} is already the name of {seen[window.name]}"))
        seen.setdefault(window.name or "", path)
        problems.extend(Problem(join(path, p.path) if p.path else path, p.message) for p in window.problems())
        windows.append(window)
    if role_args is not None:
        problems.extend(Problem(join("serviceRole", p.path), p.message) for p in role_args.problems())
    problems.extend(Problem(join("passRole", p.path), p.message) for p in pass_role.problems())
    if problems:
        raise ConfigError(problems, source)
    return StackConfig(role_args, role_arn, pass_role, tuple(windows))


def namespaced(config: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``maintenance-windows:<key>`` config keys, by ``<key>``; other namespaces are dropped."""
    prefix = f"{NAMESPACE}:"
    return {key[len(prefix):]: value for key, value in config.items() if key.startswith(prefix)}


def load_stack_file(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping of a ``Pulumi.<stack>.yaml`` file, as written (all namespaces)."""
    import yaml  # the program itself never reads files; only `mw` and tests do

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError([Problem("", f"no such stack file: {path}")], str(path)) from None
    except yaml.YAMLError as err:
        raise ConfigError([Problem("", f"not valid YAML: {err}")], str(path)) from None
    if not isinstance(document, Mapping):
        raise ConfigError([Problem("", f"expected a mapping with a 'config' key, got {describe(document)}")], str(path))
    config = document.get("config") or {}
    if not isinstance(config, Mapping):
        raise ConfigError([Problem("config", f"expected a mapping, got {describe(config)}")], str(path))
    return dict(config)


def _service_role(f: Fields) -> tuple[ServiceRoleArgs | None, str | None]:
    arn = f.string("arn")
    if arn is not None:
        for key in f.given(*SERVICE_ROLE_KEYS[1:]):
            f.problem(key, "not allowed with arn: an existing role is used as it is")
        if not arn.startswith("arn:") or ":role/" not in arn or "*" in arn:
            f.problem("arn", f"{describe(arn)} is not an IAM role ARN (allowed: arn:aws:iam::<account>:role/<name>)")
        return None, arn
    args = ServiceRoleArgs(
        name=f.string("name"),
        description=f.string("description", default=ServiceRoleArgs.description) or ServiceRoleArgs.description,
        trusted_services=f.strings("trustedServices") if f.has("trustedServices") else (SSM_SERVICE,),
        path=f.string("path"),
        permissions_boundary=f.string("permissionsBoundary"),
        source_account=f.string("sourceAccount"),
        tags=_tags(f, "tags"),
    )
    return args, None


def _pass_role(f: Fields) -> PassRoleArgs:
    return PassRoleArgs(
        policy_name=f.string("policyName"),
        description=f.string("description") or PassRoleArgs.description,
        path=f.string("path"),
        groups=f.strings("groups"),
        users=f.strings("users"),
        roles=f.strings("roles"),
    )


def _window(f: Fields) -> MaintenanceWindowArgs | None:
    name = f.string("name", required=True)
    schedule = f.string("schedule", required=True)
    duration = f.integer("duration", required=True, unit="hours")
    cutoff = f.integer("cutoff", default=0, unit="hours")
    targets = tuple(t for path, raw in f.items("targets")
                    if (t := _target(Fields(raw, path, f.problems, TARGET_KEYS))) is not None)
    tasks = tuple(t for path, raw in f.items("tasks")
                  if (t := _task(Fields(raw, path, f.problems, TASK_KEYS + _ALL_TYPE_KEYS))) is not None)
    window = MaintenanceWindowArgs(
        name=name,
        schedule=schedule or "",
        duration=duration or 0,
        cutoff=cutoff or 0,
        description=f.string("description"),
        schedule_timezone=f.string("scheduleTimezone"),
        schedule_offset=f.integer("scheduleOffset"),
        start_date=f.string("startDate"),
        end_date=f.string("endDate"),
        allow_unregistered_targets=f.boolean("allowUnregisteredTargets", default=False),
        enabled=f.boolean("enabled", default=True),
        tags=_tags(f, "tags"),
        targets=targets,
        tasks=tasks,
    )
    # Without these three there is nothing meaningful to check further; their problems are recorded.
    if name is None or schedule is None or duration is None or cutoff is None:
        return None
    return window


def _target(f: Fields) -> TargetArgs | None:
    name = f.string("name", required=True)
    tags: dict[str, tuple[str, ...]] = {}
    raw_tags = f.mapping("tags")
    for key, value in (raw_tags or {}).items():
        tags[str(key)] = string_or_strings(value, f.at(f"tags.{key}"), f.problems)
    group = None
    raw_group = f.mapping("resourceGroup")
    if raw_group is not None:
        g = Fields(raw_group, f.at("resourceGroup"), f.problems, ("name", "resourceTypes"))
        group = ResourceGroup(name=g.string("name", required=True) or "", resource_types=g.strings("resourceTypes"))
    if name is None:
        return None
    return TargetArgs(
        name=name,
        tags=tags,
        tag_keys=f.strings("tagKeys"),
        instance_ids=f.strings("instanceIds"),
        resource_group=group,
        description=f.string("description"),
        owner_information=f.string("ownerInformation"),
    )


def _task(f: Fields) -> TaskArgs | None:
    name = f.string("name", required=True)
    task_type = f.string("type", required=True, choices=TASK_TYPES)
    if task_type is not None:
        allowed = TYPE_KEYS[task_type]
        for key in f.given(*_ALL_TYPE_KEYS):
            if key not in allowed:
                owners = [t for t in TASK_TYPES if key in TYPE_KEYS[t]]
                f.problem(key, f"not allowed on a {task_type} task (it belongs to {' and '.join(owners)} tasks; "
                               f"{task_type} takes: {', '.join(allowed)})")
    parameters = {}
    raw_parameters = f.mapping("parameters")
    for key, value in (raw_parameters or {}).items():
        parameters[str(key)] = string_or_strings(value, f.at(f"parameters.{key}"), f.problems)
    if name is None or task_type is None:
        return None
    return TaskArgs(
        name=name,
        type=task_type,
        description=f.string("description"),
        priority=_priority(f),
        targets=f.strings("targets"),
        instance_ids=f.strings("instanceIds"),
        max_concurrency=_rate(f, "maxConcurrency"),
        max_errors=_rate(f, "maxErrors"),
        cutoff_behavior=f.string("cutoffBehavior"),
        service_role_arn=f.string("serviceRoleArn"),
        document=f.string("document"),
        document_version=_document_version(f),
        parameters=parameters,
        timeout_seconds=f.integer("timeoutSeconds", unit="seconds"),
        comment=f.string("comment"),
        output_s3=_output_s3(f),
        cloudwatch=_cloudwatch(f),
        notifications=_notifications(f),
        function_arn=f.string("functionArn"),
        payload=_json_text(f, "payload"),
        qualifier=f.string("qualifier"),
        client_context=_client_context(f),
        state_machine_arn=f.string("stateMachineArn"),
        input=_json_text(f, "input"),
        execution_name=f.string("executionName"),
    )


def _priority(f: Fields) -> int:
    value = f.integer("priority")
    return 1 if value is None else value


def _rate(f: Fields, key: str) -> str | None:
    """maxConcurrency/maxErrors: AWS takes strings ("1", "10%"); a YAML integer is accepted."""
    value = f.raw.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value
    f.problem(key, f"expected a number or a percentage like '10%', got {describe(value)}")
    return None


def _document_version(f: Fields) -> str | None:
    """``$LATEST``, ``$DEFAULT`` or a version number; a YAML integer is accepted."""
    value = f.raw.get("documentVersion")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f.string("documentVersion")


def _tags(f: Fields, key: str) -> dict[str, str]:
    raw = f.mapping(key)
    out: dict[str, str] = {}
    for tag, value in (raw or {}).items():
        if isinstance(value, str):
            out[str(tag)] = value
        else:
            f.problem(f"{key}.{tag}", f"expected a string, got {describe(value)} (quote it in YAML)")
    return out


def _json_text(f: Fields, key: str) -> str | None:
    """Lambda payload / Step Functions input: JSON text, or a mapping sent as JSON."""
    value = f.raw.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError as err:
            f.problem(key, f"{describe(value)} is not JSON ({err.msg}); give a mapping or JSON text")
            return None
        return value
    if isinstance(value, (Mapping, list)):
        return to_json(value)
    f.problem(key, f"expected a mapping or JSON text, got {describe(value)}")
    return None


def _client_context(f: Fields) -> str | None:
    """Lambda ClientContext is base64-encoded JSON; a mapping is encoded here."""
    value = f.raw.get("clientContext")
    if value is None or isinstance(value, str):
        return f.string("clientContext")
    if isinstance(value, Mapping):
        return base64.b64encode(to_json(value).encode()).decode()
    f.problem("clientContext", f"expected a mapping or base64 text, got {describe(value)}")
    return None


def _output_s3(f: Fields) -> OutputS3 | None:
    raw = f.mapping("outputS3")
    if raw is None:
        return None
    s3 = Fields(raw, f.at("outputS3"), f.problems, ("bucket", "keyPrefix"))
    bucket = s3.string("bucket", required=True)
    return OutputS3(bucket=bucket, key_prefix=s3.string("keyPrefix")) if bucket else None


def _cloudwatch(f: Fields) -> CloudWatchOutput | None:
    raw = f.raw.get("cloudWatch")
    if raw is None:
        return None
    cw = Fields(raw, f.at("cloudWatch"), f.problems, ("logGroup",))
    return CloudWatchOutput(log_group=cw.string("logGroup"))


def _notifications(f: Fields) -> Notifications | None:
    raw = f.mapping("notifications")
    if raw is None:
        return None
    n = Fields(raw, f.at("notifications"), f.problems, ("topicArn", "events", "type", "roleArn"))
    topic = n.string("topicArn", required=True)
    events = n.strings("events", single=True) or ("All",)
    if topic is None:
        return None
    return Notifications(topic_arn=topic, events=events, type=n.string("type") or "Command",
                         role_arn=n.string("roleArn"))
