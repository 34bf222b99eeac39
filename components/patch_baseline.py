"""Custom patch baselines: what ``AWS-RunPatchBaseline`` with ``Operation=Install`` installs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from mw_components.checks import Context, checks, each, field_problems, limited, under

from mw_core import limits
from mw_core.errors import ConfigError, Problem
from mw_core.problems import tag_problems

PATCH_BASELINE_TYPE = "maintenance-windows:ssm:PatchBaseline"


def filter_problems(filters: Mapping[str, tuple[str, ...]], context: Context) -> list[Problem]:
    """At least one and at most 4 filters, each an AWS patch filter key with 1 to 20 values; paths by key."""
    if not filters:
        return [Problem("", "expected at least one filter, e.g. CLASSIFICATION: [Security]")]
    out = limited(limits.PATCH_FILTERS)(dict(filters), context)
    for key, values in filters.items():
        found = limited(limits.PATCH_FILTER_KEY)(key, context) + limited(limits.PATCH_FILTER_VALUES)(list(values),
                                                                                                    context)
        out += [under(str(key), p) for p in found]
    return out


@dataclass(frozen=True)
class ApprovalRule:
    """Approve patches matching ``filters`` some days after release.

    :param filters: AWS's patch filter keys to values, e.g. ``{"CLASSIFICATION": ("Security",),
        "SEVERITY": ("Critical", "Important")}``.
    :param approve_after_days: 0-360. Default: 7.
    :param compliance_level: severity of a missing approved patch. Default: ``UNSPECIFIED``.
    :param enable_non_security: Linux: also install non-security updates. Default: false.
    """

    filters: Mapping[str, tuple[str, ...]] = field(metadata=checks(filter_problems))
    approve_after_days: int = field(default=7, metadata=checks(limited(limits.APPROVE_AFTER_DAYS)))
    compliance_level: str = field(default="UNSPECIFIED", metadata=checks(limited(limits.PATCH_COMPLIANCE_LEVEL)))
    enable_non_security: bool = False


@dataclass(frozen=True)
class PatchBaselineArgs:
    """A patch baseline for one operating system, registered for patch groups.

    :param operating_system: e.g. ``AMAZON_LINUX_2023``, ``WINDOWS``, ``UBUNTU``.
    :param name: Default: the component's name.
    :param description: Default: none.
    :param approval_rules: at most 10. Default: none (only ``approved_patches``; one of the two is needed).
    :param approved_patches: patches always approved. Default: none.
    :param rejected_patches: patches never installed. Default: none.
    :param rejected_patches_action: ``BLOCK`` (not even as a dependency) or ``ALLOW_AS_DEPENDENCY``.
        Default: ``BLOCK``.
    :param patch_groups: patch groups that use this baseline; instances join one with the tag
        ``Patch Group`` (or ``PatchGroup``). Default: none.
    :param region: Default: the provider's region.
    :param tags: Default: none.
    """

    operating_system: str = field(metadata=checks(limited(limits.OPERATING_SYSTEM)))
    name: str | None = field(default=None, metadata=checks(limited(limits.BASELINE_NAME)))
    description: str | None = field(default=None, metadata=checks(limited(limits.BASELINE_DESCRIPTION)))
    approval_rules: tuple[ApprovalRule, ...] = field(default=(), metadata=checks(limited(limits.PATCH_RULES)))
    approved_patches: tuple[str, ...] = field(default=(), metadata=checks(limited(limits.PATCH_ID_LIST)))
    rejected_patches: tuple[str, ...] = field(default=(), metadata=checks(limited(limits.PATCH_ID_LIST)))
    rejected_patches_action: str = field(default="BLOCK", metadata=checks(limited(limits.PATCH_ACTION)))
    patch_groups: tuple[str, ...] = field(default=(), metadata=checks(each(limited(limits.PATCH_GROUP))))
    region: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict, metadata=checks(lambda tags, context: tag_problems(tags)))

    def problems(self) -> list[Problem]:
        out = field_problems(self) + self.rules()
        for index, rule in enumerate(self.approval_rules):
            out += [under(f"approval_rules[{index}]", p) for p in field_problems(rule)]
        return out

    def rules(self) -> list[Problem]:
        """The rules across fields: approval rules or approved patches."""
        if not self.approval_rules and not self.approved_patches:
            return [Problem("approval_rules", "a baseline needs `approval_rules` or `approved_patches`, or it "
                                              "approves nothing")]
        return []


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
