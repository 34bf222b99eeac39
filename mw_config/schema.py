"""The stack config schema: ``maintenance-windows:*`` keys read into typed, validated component args.

:func:`parse` reads the whole config before any resource is registered and raises one
:class:`~mw_core.errors.ConfigError` listing every problem, each with its key path
(``windows[0].tasks[0].targets[0]``), the value received and what is allowed. Unknown keys are
problems too, since they are usually typos.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from mw_components.iam_policy import IAM_ROLE, arn_problem
from mw_components.log_group import OutputLogGroupArgs
from mw_components.notification_topic import DEFAULT_KMS_KEY, NotificationTopicArgs
from mw_components.output_bucket import OutputBucketArgs
from mw_components.pass_role import PassRoleArgs
from mw_components.patch_baseline import ApprovalRule, PatchBaselineArgs
from mw_components.service_role import SSM_SERVICE, ServiceRoleArgs
from mw_components.target import ResourceGroup, TargetArgs
from mw_components.task import (
    DEFAULT_EVENTS,
    RUN_COMMAND,
    TASK_TYPES,
    TYPE_KEYS,
    CloudWatchOutput,
    Notifications,
    OutputS3,
    TaskArgs,
    to_json,
)
from mw_components.window import MaintenanceWindowArgs

from mw_config._fields import Fields, describe, string_or_strings
from mw_core import arns
from mw_core.errors import ConfigError, Problem
from mw_core.problems import join, nest

T = TypeVar("T")
NAMESPACE = "maintenance-windows"
TOP_KEYS = ("serviceRole", "passRole", "windows", "outputBucket", "notifications", "cloudWatchOutput",
            "patchBaselines", "regions", "allowWildcards")
OUTPUT_BUCKET_KEYS = ("bucketName", "kmsKeyArn", "expirationDays", "noncurrentVersionExpirationDays", "protect", "tags")
NOTIFICATIONS_KEYS = ("topicName", "kmsMasterKeyId", "emailSubscriptions", "events", "type", "tags")
CLOUDWATCH_KEYS = ("logGroupName", "retentionInDays", "kmsKeyId", "tags")
BASELINE_KEYS = ("name", "operatingSystem", "description", "approvalRules", "approvedPatches", "rejectedPatches",
                 "rejectedPatchesAction", "patchGroups", "tags")
RULE_KEYS = ("filters", "approveAfterDays", "complianceLevel", "enableNonSecurity")
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
    ``pass_role.role_arn``, each window's ``service_role_arn`` and the references of tasks to the
    stack's bucket, topic and log group (left ``None`` here) are filled in by the program once
    those resources exist. ``allow_wildcards`` (``maintenance-windows:allowWildcards``) is already
    set on the service role's and each window's args; it is kept here for the record.
    """

    service_role: ServiceRoleArgs | None
    service_role_arn: str | None
    pass_role: PassRoleArgs
    windows: tuple[MaintenanceWindowArgs, ...]
    output_bucket: OutputBucketArgs | None = None
    notifications: NotificationTopicArgs | None = None
    cloudwatch: OutputLogGroupArgs | None = None
    patch_baselines: tuple[PatchBaselineArgs, ...] = ()
    regions: tuple[str, ...] = ()
    allow_wildcards: bool = False


@dataclass(frozen=True)
class _Shared:
    """What the stack itself provides to tasks that do not say otherwise."""

    bucket: bool
    topic: bool
    log_group: bool
    events: tuple[str, ...] = DEFAULT_EVENTS
    notification_type: str = "Command"


def parse(raw: Mapping[str, Any], source: str = "stack config", stack: str = "stack") -> StackConfig:
    """Validate the ``maintenance-windows:`` keys (namespace already stripped) into a :class:`StackConfig`.

    ``allowWildcards`` (default false) is an explicit opt-in: ARNs the program turns into grants (a task's
    ``functionArn``, ``stateMachineArn`` and ``notifications.topicArn``) may then hold wildcards, and how far
    they reach is left to the policy pack, whose ``iam-resource-scope`` rule is mandatory in prod. Role ARNs
    never take a wildcard: Systems Manager assumes, and administrators pass, exactly one role.
    """
    problems: list[Problem] = []
    top = Fields(raw, "", problems, TOP_KEYS)
    allow_wildcards = top.boolean("allowWildcards", default=False)
    role_args, role_arn = _service_role(Fields(top.raw.get("serviceRole"), "serviceRole", problems, SERVICE_ROLE_KEYS),
                                        allow_wildcards)
    pass_role = _pass_role(Fields(top.raw.get("passRole"), "passRole", problems, PASS_ROLE_KEYS))
    bucket = _output_bucket(top)
    topic, shared_notifications = _notification_topic(top)
    log_group = _log_group(top, stack)
    shared = _Shared(bucket is not None, topic is not None, log_group is not None, *shared_notifications)
    windows: list[MaintenanceWindowArgs] = []
    seen: dict[str, str] = {}
    for path, item in top.items("windows"):
        window = _window(Fields(item, path, problems, WINDOW_KEYS), shared, allow_wildcards)
        if window is None:
            continue
        if window.name in seen:
            problems.append(Problem(join(path, "name"), f"{window.name!r} is already the name of {seen[window.name]}"))
        seen.setdefault(window.name or "", path)
        problems.extend(nest(path, window.problems()))
        windows.append(window)
    baselines = []
    for path, item in top.items("patchBaselines"):
        baseline = _baseline(Fields(item, path, problems, BASELINE_KEYS))
        if baseline is not None:
            problems.extend(nest(path, baseline.problems()))
            baselines.append(baseline)
    _unique(problems, "patchBaselines", [b.name for b in baselines])
    regions = top.strings("regions")
    _unique(problems, "regions", list(regions))
    for index, region in enumerate(regions):
        # The regions of every partition botocore knows (mw_core.arns.REGIONS), so eusc-de-east-1 and cn-north-1 too.
        problem = arns.region_problem(region)
        if problem is not None:
            problems.append(Problem(f"regions[{index}]", problem))
    _distinct_children(problems, windows, baselines)
    if role_args is not None:
        problems.extend(nest("serviceRole", role_args.problems()))
    problems.extend(nest("passRole", pass_role.problems()))
    for key, args in (("outputBucket", bucket), ("notifications", topic), ("cloudWatchOutput", log_group)):
        if args is not None:
            problems.extend(nest(key, args.problems()))
    ConfigError.check(problems, source)
    return StackConfig(role_args, role_arn, pass_role, tuple(windows), bucket, topic, log_group, tuple(baselines),
                       regions, allow_wildcards)


def _distinct_children(problems: list[Problem], windows: list[MaintenanceWindowArgs],
                       baselines: list[PatchBaselineArgs]) -> None:
    """Children are named ``<parent>-<child>``, so ``web-db`` + ``fleet`` and ``web`` + ``db-fleet``
    would be one Pulumi resource name twice, which the engine refuses; say so before it does."""
    kinds = {
        "target": [(f"windows[{w}].targets[{i}].name", f"{window.name}-{t.name}")
                   for w, window in enumerate(windows) for i, t in enumerate(window.targets)],
        "task": [(f"windows[{w}].tasks[{i}].name", f"{window.name}-{t.name}")
                 for w, window in enumerate(windows) for i, t in enumerate(window.tasks)],
        "patch group": [(f"patchBaselines[{b}].patchGroups[{i}]", f"{baseline.name}-{group}")
                        for b, baseline in enumerate(baselines) for i, group in enumerate(baseline.patch_groups)],
    }
    for kind, named in kinds.items():
        first: dict[str, str] = {}
        for path, name in named:
            if name in first:
                problems.append(Problem(path, f"the {kind} resource would be named {name!r}, as {first[name]} "
                                              "already is (names are <parent>-<child>); rename one of them"))
            else:
                first[name] = path


def _unique(problems: list[Problem], key: str, names: list[Any]) -> None:
    for index, name in enumerate(names):
        if name in names[:index]:
            problems.append(Problem(f"{key}[{index}]", f"{name!r} is listed more than once"))


def namespaced(config: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``maintenance-windows:<key>`` config keys, by ``<key>``; other namespaces are dropped."""
    prefix = f"{NAMESPACE}:"
    return {key[len(prefix):]: value for key, value in config.items() if key.startswith(prefix)}


def load_stack_file(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping of a ``Pulumi.<stack>.yaml`` file (all namespaces), as the Pulumi CLI reads it.

    Raises ConfigError, with the file as source and line and column per problem, for a file Pulumi
    would refuse or misread (bytes that are not UTF-8, bad YAML, a key twice, an alias bomb), a file
    with no config, an unknown top-level key and a namespace that looks like a misspelling of this
    project's. See :mod:`mw_config.stackfile`.
    """
    from mw_config import stackfile  # PyYAML: the program itself never reads files; only `mw` and tests do

    return stackfile.load(path, NAMESPACE)


def _service_role(f: Fields, allow_wildcards: bool) -> tuple[ServiceRoleArgs | None, str | None]:
    arn = f.string("arn")
    if arn is not None:
        for key in f.given(*SERVICE_ROLE_KEYS[1:]):
            f.problem(key, "not allowed with arn: an existing role is used as it is")
        # Tasks run as this role and the passRole policy grants iam:PassRole on it: one role, never a pattern.
        problem = arn_problem(arn, IAM_ROLE)
        if problem is not None:
            f.problem("arn", problem)
        return None, arn
    args = ServiceRoleArgs(
        name=f.string("name"),
        description=f.string("description", default=ServiceRoleArgs.description) or ServiceRoleArgs.description,
        trusted_services=f.strings("trustedServices") if f.has("trustedServices") else (SSM_SERVICE,),
        path=f.string("path"),
        permissions_boundary=f.string("permissionsBoundary"),
        source_account=f.string("sourceAccount"),
        tags=_tags(f, "tags"),
        allow_wildcards=allow_wildcards,
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


def _window(f: Fields, shared: _Shared, allow_wildcards: bool) -> MaintenanceWindowArgs | None:
    name = f.string("name", required=True)
    schedule = f.string("schedule", required=True)
    duration = f.integer("duration", required=True, unit="hours")
    cutoff = f.integer("cutoff", default=0, unit="hours")
    targets = tuple(t for path, raw in f.items("targets")
                    if (t := _target(Fields(raw, path, f.problems, TARGET_KEYS))) is not None)
    tasks = tuple(t for path, raw in f.items("tasks")
                  if (t := _task(Fields(raw, path, f.problems, TASK_KEYS + _ALL_TYPE_KEYS), shared)) is not None)
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
        allow_wildcards=allow_wildcards,
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


def _task(f: Fields, shared: _Shared) -> TaskArgs | None:
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
        priority=_or(f.integer("priority"), 1),
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
        output_s3=_output_s3(f, shared, task_type),
        cloudwatch=_cloudwatch(f, shared, task_type),
        notifications=_notifications(f, shared, task_type),
        function_arn=f.string("functionArn"),
        payload=_json_text(f, "payload"),
        qualifier=f.string("qualifier"),
        client_context=_client_context(f),
        state_machine_arn=f.string("stateMachineArn"),
        input=_json_text(f, "input"),
        execution_name=f.string("executionName"),
    )


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


def _stack_default(f: Fields, key: str, provided: bool, task_type: str) -> tuple[bool, Mapping[str, Any] | None]:
    """``(off, mapping)`` for a Run Command output/notification key: ``false`` turns it off; absent means
    the stack's own resource when the stack has one (an empty mapping), else nothing."""
    raw = f.raw.get(key)
    if raw is False:
        return True, None
    if raw is None:
        return False, ({} if provided and task_type == RUN_COMMAND else None)
    if raw is True:
        if not provided:
            f.problem(key, f"true needs the stack's own {_PROVIDER[key]} (or give a mapping)")
        return False, {}
    return False, f.mapping(key)


_PROVIDER = {"outputS3": "maintenance-windows:outputBucket", "notifications": "maintenance-windows:notifications",
             "cloudWatch": "maintenance-windows:cloudWatchOutput"}


def _output_s3(f: Fields, shared: _Shared, task_type: str) -> OutputS3 | None:
    _, raw = _stack_default(f, "outputS3", shared.bucket, task_type)
    if raw is None:
        return None
    s3 = Fields(raw, f.at("outputS3"), f.problems, ("bucket", "keyPrefix"))
    bucket = s3.string("bucket", required=not shared.bucket)
    if bucket is None and not shared.bucket:
        return None
    # bucket None: the stack's output bucket, filled in by the program.
    return OutputS3(bucket=bucket, key_prefix=s3.string("keyPrefix"))


def _cloudwatch(f: Fields, shared: _Shared, task_type: str) -> CloudWatchOutput | None:
    _, raw = _stack_default(f, "cloudWatch", shared.log_group, task_type)
    if raw is None:
        return None
    cw = Fields(raw, f.at("cloudWatch"), f.problems, ("logGroup",))
    # logGroup None: the stack's log group when it has one, else AWS's /aws/ssm/<document>.
    return CloudWatchOutput(log_group=cw.string("logGroup"))


def _notifications(f: Fields, shared: _Shared, task_type: str) -> Notifications | None:
    _, raw = _stack_default(f, "notifications", shared.topic, task_type)
    if raw is None:
        return None
    n = Fields(raw, f.at("notifications"), f.problems, ("topicArn", "events", "type", "roleArn"))
    topic = n.string("topicArn", required=not shared.topic)
    if topic is None and not shared.topic:
        return None
    # topicArn None: the stack's topic, filled in by the program.
    return Notifications(topic_arn=topic, events=n.strings("events", single=True) or shared.events,
                         type=n.string("type") or shared.notification_type, role_arn=n.string("roleArn"))


def _output_bucket(top: Fields) -> OutputBucketArgs | None:
    if not top.has("outputBucket"):
        return None
    f = Fields(top.raw.get("outputBucket"), "outputBucket", top.problems, OUTPUT_BUCKET_KEYS)
    return OutputBucketArgs(
        bucket_name=f.string("bucketName"),
        kms_key_arn=f.string("kmsKeyArn"),
        expiration_days=_or(f.integer("expirationDays", unit="days"), 365),
        noncurrent_version_expiration_days=_or(f.integer("noncurrentVersionExpirationDays", unit="days"), 90),
        protect=f.boolean("protect", default=False),
        tags=_tags(f, "tags") or None,
    )


def _notification_topic(top: Fields) -> tuple[NotificationTopicArgs | None, tuple[tuple[str, ...], str]]:
    if not top.has("notifications"):
        return None, (DEFAULT_EVENTS, "Command")
    f = Fields(top.raw.get("notifications"), "notifications", top.problems, NOTIFICATIONS_KEYS)
    args = NotificationTopicArgs(
        topic_name=f.string("topicName"),
        kms_master_key_id=_or(f.string("kmsMasterKeyId"), DEFAULT_KMS_KEY),
        email_subscriptions=f.strings("emailSubscriptions"),
        tags=_tags(f, "tags") or None,
    )
    defaults = (f.strings("events", single=True) or DEFAULT_EVENTS, f.string("type") or "Command")
    return args, defaults


def _log_group(top: Fields, stack: str) -> OutputLogGroupArgs | None:
    if not top.has("cloudWatchOutput"):
        return None
    f = Fields(top.raw.get("cloudWatchOutput"), "cloudWatchOutput", top.problems, CLOUDWATCH_KEYS)
    return OutputLogGroupArgs(
        log_group_name=f.string("logGroupName") or f"/maintenance-windows/{stack}",
        retention_in_days=_or(f.integer("retentionInDays", unit="days"), 365),
        kms_key_id=f.string("kmsKeyId"),
        tags=_tags(f, "tags") or None,
    )


def _baseline(f: Fields) -> PatchBaselineArgs | None:
    name = f.string("name", required=True)
    operating_system = f.string("operatingSystem", required=True)
    rules = []
    for path, raw in f.items("approvalRules"):
        r = Fields(raw, path, f.problems, RULE_KEYS)
        filters = {str(k): string_or_strings(v, r.at(f"filters.{k}"), f.problems)
                   for k, v in (r.mapping("filters") or {}).items()}
        rules.append(ApprovalRule(
            filters=filters,
            approve_after_days=_or(r.integer("approveAfterDays", unit="days"), 7),
            compliance_level=r.string("complianceLevel") or "UNSPECIFIED",
            enable_non_security=r.boolean("enableNonSecurity", default=False),
        ))
    if name is None or operating_system is None:
        return None
    return PatchBaselineArgs(
        operating_system=operating_system,
        name=name,
        description=f.string("description"),
        approval_rules=tuple(rules),
        approved_patches=f.strings("approvedPatches"),
        rejected_patches=f.strings("rejectedPatches"),
        rejected_patches_action=f.string("rejectedPatchesAction") or "BLOCK",
        patch_groups=f.strings("patchGroups"),
        tags=_tags(f, "tags"),
    )


def _or(value: T | None, default: T) -> T:
    """``default`` only when the key is absent: ``0`` or ``""`` is kept, so validation can judge it."""
    return default if value is None else value
