"""Custom patch baselines: what ``AWS-RunPatchBaseline`` with ``Operation=Install`` installs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from mw_core import limits
from mw_core.errors import ConfigError, Problem
from mw_core.problems import checker, nest, tag_problems

PATCH_BASELINE_TYPE = "maintenance-windows:ssm:PatchBaseline"


@dataclass(frozen=True)
class ApprovalRule:
    """Approve patches matching ``filters`` some days after release.

    :param filters: AWS's patch filter keys to values, e.g. ``{"CLASSIFICATION": ("Security",),
        "SEVERITY": ("Critical", "Important")}``.
    :param approve_after_days: 0-360. Default: 7.
    :param compliance_level: severity of a missing approved patch. Default: ``UNSPECIFIED``.
    :param enable_non_security: Linux: also install non-security updates. Default: false.
    """

    filters: Mapping[str, tuple[str, ...]]
    approve_after_days: int = 7
    compliance_level: str = "UNSPECIFIED"
    enable_non_security: bool = False


@dataclass(frozen=True)
class PatchBaselineArgs:
    """A patch baseline for one operating system, registered for patch groups.

    :param operating_system: e.g. ``AMAZON_LINUX_2023``, ``WINDOWS``, ``UBUNTU``.
    :param name: Default: the component's name.
    :param description: Default: none.
    :param approval_rules: at most 10. Default: none (only ``approved_patches``).
    :param approved_patches: patches always approved. Default: none.
    :param rejected_patches: patches never installed. Default: none.
    :param rejected_patches_action: ``BLOCK`` (not even as a dependency) or ``ALLOW_AS_DEPENDENCY``.
        Default: ``BLOCK``.
    :param patch_groups: patch groups that use this baseline; instances join one with the tag
        ``Patch Group`` (or ``PatchGroup``). Default: none.
    :param region: Default: the provider's region.
    :param tags: Default: none.
    """

    operating_system: str
    name: str | None = None
    description: str | None = None
    approval_rules: tuple[ApprovalRule, ...] = ()
    approved_patches: tuple[str, ...] = ()
    rejected_patches: tuple[str, ...] = ()
    rejected_patches_action: str = "BLOCK"
    patch_groups: tuple[str, ...] = ()
    region: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        check = checker(out)
        check("name", limits.BASELINE_NAME, self.name)
        check("description", limits.BASELINE_DESCRIPTION, self.description)
        check("operatingSystem", limits.OPERATING_SYSTEM, self.operating_system)
        check("approvalRules", limits.PATCH_RULES, list(self.approval_rules))
        check("approvedPatches", limits.PATCH_ID_LIST, list(self.approved_patches))
        check("rejectedPatches", limits.PATCH_ID_LIST, list(self.rejected_patches))
        check("rejectedPatchesAction", limits.PATCH_ACTION, self.rejected_patches_action)
        if not self.approval_rules and not self.approved_patches:
            out.append(Problem("approvalRules", "a baseline needs approvalRules or approvedPatches, "
                                                "or it approves nothing"))
        for index, rule in enumerate(self.approval_rules):
            at = f"approvalRules[{index}]"
            check(f"{at}.approveAfterDays", limits.APPROVE_AFTER_DAYS, rule.approve_after_days)
            check(f"{at}.complianceLevel", limits.PATCH_COMPLIANCE_LEVEL, rule.compliance_level)
            check(f"{at}.filters", limits.PATCH_FILTERS, dict(rule.filters))
            if not rule.filters:
                out.append(Problem(f"{at}.filters", "expected at least one filter, e.g. CLASSIFICATION: [Security]"))
            for key, values in rule.filters.items():
                check(f"{at}.filters.{key}", limits.PATCH_FILTER_KEY, key)
                check(f"{at}.filters.{key}", limits.PATCH_FILTER_VALUES, list(values))
        for index, group in enumerate(self.patch_groups):
            check(f"patchGroups[{index}]", limits.PATCH_GROUP, group)
        out += nest("tags", tag_problems(self.tags))
        return out


class PatchBaseline(pulumi.ComponentResource):
    """A custom patch baseline and the patch groups it serves.

    Creates an ``aws.ssm.PatchBaseline`` and one ``aws.ssm.PatchGroup`` per patch group, named
    ``<name>-<group>``. Target instances by ``tag:Patch Group`` to patch a group with it.

    Example::

        PatchBaseline("al2023", PatchBaselineArgs("AMAZON_LINUX_2023", patch_groups=("fleet",),
            approval_rules=(ApprovalRule({"CLASSIFICATION": ("Security",)}, approve_after_days=7),)))

    Outputs: ``baseline_id``.
    """

    baseline_id: pulumi.Output[str]

    def __init__(self, name: str, args: PatchBaselineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = args.problems()
        ConfigError.check(problems, f"patch baseline {name!r}")
        super().__init__(PATCH_BASELINE_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        baseline = aws.ssm.PatchBaseline(
            name,
            name=args.name or name,
            description=args.description,
            operating_system=args.operating_system,
            approval_rules=[{
                "approve_after_days": rule.approve_after_days,
                "compliance_level": rule.compliance_level,
                "enable_non_security": rule.enable_non_security,
                "patch_filters": [{"key": key, "values": list(values)} for key, values in sorted(rule.filters.items())],
            } for rule in args.approval_rules] or None,
            approved_patches=list(args.approved_patches) or None,
            rejected_patches=list(args.rejected_patches) or None,
            rejected_patches_action=args.rejected_patches_action,
            tags=dict(args.tags) or None,
            opts=child,
            region=args.region,
        )
        for group in args.patch_groups:
            aws.ssm.PatchGroup(f"{name}-{group}", baseline_id=baseline.id, patch_group=group, region=args.region,
                               opts=child)
        self.baseline_id = baseline.id
        self.register_outputs({"baselineId": self.baseline_id})
