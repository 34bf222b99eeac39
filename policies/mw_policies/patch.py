"""Rules for ``aws:ssm/patchBaseline:PatchBaseline`` (CreatePatchBaseline) and ``aws:ssm/patchGroup:PatchGroup``
(RegisterPatchBaselineForPatchGroup): what ``AWS-RunPatchBaseline`` with ``Operation=Install`` installs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs

from mw_core import limits
from mw_core.limits import Limit
from mw_core.tokens import PATCH_BASELINE, PATCH_GROUP

from ._props import UNKNOWN, field_problems, get, limit_problem, message, props, show, subject
from ._typed import ResourceTypePolicy

_FIX_BASELINE = "keep within AWS's limits for CreatePatchBaseline (see the message for what is allowed)"


def _filter_problems(filters: Any, at: str) -> Iterator[str]:
    """Problems of a ``patchFilters``/``globalFilters`` list: at most 4, keys AWS knows, 1-20 values each."""
    if filters is None or filters is UNKNOWN:
        return
    problem = limit_problem(limits.PATCH_FILTERS, at, filters)
    if problem:
        yield problem
    if not isinstance(filters, list):
        return
    for index, item in enumerate(filters):
        if not isinstance(item, dict):
            continue
        for limit, field in ((limits.PATCH_FILTER_KEY, "key"), (limits.PATCH_FILTER_VALUES, "values")):
            problem = limit_problem(limit, f"{at}[{index}].{field}", item.get(field))
            if problem:
                yield problem


def _baseline_problems(p: dict[str, Any]) -> Iterator[str]:
    optional: list[tuple[Limit, str]] = [
        (limits.BASELINE_NAME, "name"),
        (limits.BASELINE_DESCRIPTION, "description"),
        (limits.OPERATING_SYSTEM, "operatingSystem"),
        (limits.PATCH_RULES, "approvalRules"),
        (limits.PATCH_ID_LIST, "approvedPatches"),
        (limits.PATCH_ID_LIST, "rejectedPatches"),
        (limits.PATCH_ACTION, "rejectedPatchesAction"),
        (limits.PATCH_COMPLIANCE_LEVEL, "approvedPatchesComplianceLevel"),
    ]
    yield from field_problems(p, optional)
    yield from _filter_problems(p.get("globalFilters"), "globalFilters")
    rules = p.get("approvalRules")
    if not isinstance(rules, list):
        return
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        at = f"approvalRules[{index}]"
        yield from field_problems(rule, ((limits.APPROVE_AFTER_DAYS, "approveAfterDays"),
                                         (limits.PATCH_COMPLIANCE_LEVEL, "complianceLevel")), at)
        yield from _filter_problems(rule.get("patchFilters"), f"{at}.patchFilters")


def _patch_baseline_limits(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for problem in _baseline_problems(props(args)):
        report_violation(message(subject("PatchBaseline", args.name), problem, _FIX_BASELINE))


patch_baseline_limits = ResourceTypePolicy(
    name="patch-baseline-limits",
    description="Requires a patch baseline within AWS's limits: name, operating system, at most 10 approval rules, "
    "approveAfterDays 0-360, compliance levels, patch filters and patch lists.",
    resource_types=[PATCH_BASELINE],
    validate=_patch_baseline_limits,
)


def _patch_baseline_rejected_patches(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    p = props(args)
    rejected, action = p.get("rejectedPatches"), p.get("rejectedPatchesAction")
    if not isinstance(rejected, list) or not rejected or action is UNKNOWN or action == "BLOCK":
        return
    shown = "not set (AWS's default: ALLOW_AS_DEPENDENCY)" if action is None else show(action)
    report_violation(message(
        subject("PatchBaseline", args.name),
        f"rejectedPatches lists {len(rejected)} patch(es) but rejectedPatchesAction is {shown}, so a rejected patch "
        "is still installed when another package depends on it",
        'set rejectedPatchesAction to "BLOCK"',
    ))


patch_baseline_rejected_patches = ResourceTypePolicy(
    name="patch-baseline-rejected-patches",
    description="Requires rejectedPatchesAction BLOCK when a patch baseline rejects patches.",
    resource_types=[PATCH_BASELINE],
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_patch_baseline_rejected_patches,
)


def _patch_group_limits(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    value = get(props(args), "patchGroup")
    if value is None:
        report_violation(message(subject("PatchGroup", args.name), "patchGroup is not set (AWS requires it)",
                                 "set patchGroup to the value of the instances' Patch Group tag"))
        return
    problem = limit_problem(limits.PATCH_GROUP, "patchGroup", value)
    if problem:
        report_violation(message(subject("PatchGroup", args.name), problem,
                                 "use 1 to 256 letters, numbers, spaces and _ . : / = + - @"))


patch_group_limits = ResourceTypePolicy(
    name="patch-group-limits",
    description="Requires a patch group name within AWS's limits (1-256 letters, numbers, spaces, _.:/=+-@).",
    resource_types=[PATCH_GROUP],
    validate=_patch_group_limits,
)

POLICIES = [patch_baseline_limits, patch_baseline_rejected_patches, patch_group_limits]
