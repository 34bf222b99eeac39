"""PatchBaseline under Pulumi mocks: approval rules, patch groups, validation."""

from __future__ import annotations

import pytest
from conftest import deploy
from mw_components.patch_baseline import ApprovalRule, PatchBaseline, PatchBaselineArgs

from mw_core.errors import ConfigError

RULE = ApprovalRule({"SEVERITY": ("Critical",), "CLASSIFICATION": ("Security",)}, approve_after_days=3,
                    compliance_level="CRITICAL")


def test_baseline_and_patch_groups(mocks):
    deploy(lambda: PatchBaseline("al2023", PatchBaselineArgs(
        "AMAZON_LINUX_2023", approval_rules=(RULE,), rejected_patches=("kernel*",),
        patch_groups=("canary", "fleet"))).baseline_id)
    (baseline,) = mocks.of_type("aws:ssm/patchBaseline:PatchBaseline")
    assert baseline.inputs["name"] == "al2023"
    assert baseline.inputs["operatingSystem"] == "AMAZON_LINUX_2023"
    assert baseline.inputs["rejectedPatchesAction"] == "BLOCK"
    assert baseline.inputs["rejectedPatches"] == ["kernel*"]
    assert baseline.inputs["approvalRules"] == [{
        "approveAfterDays": 3, "complianceLevel": "CRITICAL", "enableNonSecurity": False,
        "patchFilters": [{"key": "CLASSIFICATION", "values": ["Security"]}, {"key": "SEVERITY", "values": ["Critical"]}]}]
    groups = sorted((g.name, g.inputs["patchGroup"], g.inputs["baselineId"])
                    for g in mocks.of_type("aws:ssm/patchGroup:PatchGroup"))
    assert groups == [("al2023-canary", "canary", "al2023-id"), ("al2023-fleet", "fleet", "al2023-id")]


@pytest.mark.parametrize(("args", "message"), [
    (PatchBaselineArgs("BEOS", approval_rules=(RULE,)), "operating_system: 'BEOS' is not allowed"),
    (PatchBaselineArgs("WINDOWS"), "approval_rules: a baseline needs `approval_rules` or `approved_patches`"),
    (PatchBaselineArgs("WINDOWS", approval_rules=(ApprovalRule({"COLOUR": ("red",)}),)),
     "approval_rules\\[0\\].filters.COLOUR: 'COLOUR' is not allowed"),
    (PatchBaselineArgs("WINDOWS", approval_rules=(ApprovalRule({"SEVERITY": ("x",)}, approve_after_days=400),)),
     "approval_rules\\[0\\].approve_after_days: 400 is out of range"),
    (PatchBaselineArgs("WINDOWS", approval_rules=(RULE,) * 11), "approval_rules: 11 items"),
    (PatchBaselineArgs("WINDOWS", approved_patches=("KB1",), rejected_patches_action="DROP"),
     "rejected_patches_action: 'DROP' is not allowed"),
    (PatchBaselineArgs("WINDOWS", approved_patches=("KB1",), tags={"AWS:x": "y"}), "tags.AWS:x: 'AWS:x' starts with"),
])
def test_invalid_args(mocks, args, message):
    with pytest.raises(ConfigError, match=message):
        PatchBaseline("base", args)
    assert mocks.resources == []
