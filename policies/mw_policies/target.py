"""Rules for ``aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget`` (RegisterTargetWithMaintenanceWindow)."""

from __future__ import annotations

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from mw_core import limits
from mw_core.tokens import MAINTENANCE_WINDOW_TARGET

from ._props import UNKNOWN, limit_problem, message, props, report_limits, show, subject
from ._typed import ResourceTypePolicy

# The key forms of RegisterTargetWithMaintenanceWindow's Targets, by the resource type they select.
INSTANCE_KEYS = ("InstanceIds", "tag:<tag-key>", "tag-key")
RESOURCE_GROUP_KEYS = ("resource-groups:Name", "resource-groups:ResourceTypeFilters")


def key_kind(key: str) -> str | None:
    """``INSTANCE`` or ``RESOURCE_GROUP`` for a valid target key, None for any other key."""
    if key in ("InstanceIds", "tag-key") or (key.startswith("tag:") and len(key) > len("tag:")):
        return "INSTANCE"
    if key in RESOURCE_GROUP_KEYS:
        return "RESOURCE_GROUP"
    return None


def _who(args: ResourceValidationArgs) -> str:
    return subject("MaintenanceWindowTarget", args.name)


def _pairs(value: Any) -> list[tuple[int, Any, Any]]:
    """(index, key, values) of each known key/value pair of a ``targets`` list."""
    if not isinstance(value, list):
        return []
    return [(i, t.get("key"), t.get("values")) for i, t in enumerate(value) if isinstance(t, dict)]


def _target_resource_type(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    p = props(args)
    resource_type = p.get("resourceType")
    if resource_type is UNKNOWN:
        return
    if resource_type is None:
        report_violation(message(_who(args), "resourceType is not set (AWS requires it)",
                                 "set resourceType to INSTANCE or RESOURCE_GROUP"))
        return
    problem = limit_problem(limits.WINDOW_RESOURCE_TYPE, "resourceType", resource_type)
    if problem:
        report_violation(message(_who(args), problem, "set resourceType to INSTANCE or RESOURCE_GROUP"))
        return
    for index, key, _ in _pairs(p.get("targets")):
        kind = key_kind(key) if isinstance(key, str) else None
        if kind is not None and kind != resource_type:
            keys = INSTANCE_KEYS if resource_type == "INSTANCE" else RESOURCE_GROUP_KEYS
            report_violation(message(
                _who(args),
                f"targets[{index}].key {show(key)} selects {kind} targets but resourceType is {resource_type} "
                f"(allowed keys for {resource_type}: {', '.join(keys)})",
                f"set resourceType to {kind}, or use a key for {resource_type} targets",
            ))


target_resource_type = ResourceTypePolicy(
    name="target-resource-type",
    description="Requires a target resource type of INSTANCE or RESOURCE_GROUP that matches its target keys.",
    resource_types=[MAINTENANCE_WINDOW_TARGET],
    validate=_target_resource_type,
)

_FIX_KEY = (
    "use InstanceIds, tag:<tag-key>, tag-key, resource-groups:Name or resource-groups:ResourceTypeFilters"
)


def _target_targets(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    targets = props(args).get("targets")
    if targets is UNKNOWN:
        return
    if targets is None or targets == []:
        report_violation(message(_who(args), f"targets is {show(targets)}: a window target must select something",
                                 "add at least one key/value pair, e.g. tag:Patch = [\"true\"]"))
        return
    problem = limit_problem(limits.TARGETS, "targets", targets)
    if problem:
        report_violation(message(_who(args), problem + " (at most 5 tag or key/value pairs per target)",
                                 "split the selection into several window targets"))
    if not isinstance(targets, list):
        return
    for index, item in enumerate(targets):
        where = f"targets[{index}]"
        if item is UNKNOWN:
            continue
        if not isinstance(item, dict):
            report_violation(message(_who(args), f"{where}: expected a key/value pair, got {show(item)}", _FIX_KEY))
            continue
        key, values = item.get("key"), item.get("values")
        if key is not UNKNOWN:
            problem = limit_problem(limits.TARGET_KEY, f"{where}.key", key) if key is not None else (
                f"{where}.key is not set")
            if problem is None and key_kind(key) is None:
                problem = f"{where}.key {show(key)} is not a maintenance window target key"
            if problem:
                report_violation(message(_who(args), problem, _FIX_KEY))
        _check_values(args, report_violation, where, key, values)


def _check_values(args: ResourceValidationArgs, report_violation: ReportViolation, where: str, key: Any,
                  values: Any) -> None:
    if values is UNKNOWN:
        return
    if values is None or values == []:
        report_violation(message(_who(args), f"{where}.values is {show(values)}: every key needs a value",
                                 "give the key at least one value"))
        return
    problem = limit_problem(limits.TARGET_VALUES, f"{where}.values", values)
    if problem:
        report_violation(message(_who(args), problem, "split the values over several key/value pairs or targets"))
    if not isinstance(values, list):
        return
    for position, value in enumerate(values):
        if value is UNKNOWN:
            continue
        if not isinstance(value, str) or value == "":
            report_violation(message(_who(args), f"{where}.values[{position}] is {show(value)}",
                                     "give a non-empty string"))
        elif key == "InstanceIds":
            problem = limit_problem(limits.INSTANCE_ID, f"{where}.values[{position}]", value)
            if problem:
                report_violation(message(_who(args), problem, "give EC2 instance IDs (i-...) or managed node IDs "
                                         "(mi-...)"))


target_targets = ResourceTypePolicy(
    name="target-targets",
    description="Requires 1 to 5 valid target key/value pairs, each with 1 to 50 non-empty values.",
    resource_types=[MAINTENANCE_WINDOW_TARGET],
    validate=_target_targets,
)


def _target_name_description(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    report_limits(report_violation, _who(args), props(args), (
        (limits.WINDOW_NAME, "name", "use 3 to 128 letters, digits, '_', '-' or '.'"),
        (limits.WINDOW_DESCRIPTION, "description", "shorten the description to 128 characters, or remove it"),
        (limits.OWNER_INFORMATION, "ownerInformation", "shorten ownerInformation to 128 characters, or remove it"),
    ))


target_name_description = ResourceTypePolicy(
    name="target-name-description",
    description="Requires a target name, description and owner information within AWS's limits.",
    resource_types=[MAINTENANCE_WINDOW_TARGET],
    validate=_target_name_description,
)

POLICIES = [target_resource_type, target_targets, target_name_description]
