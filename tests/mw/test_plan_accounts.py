"""`mw plan` for a stack across accounts and regions (issue 16): `provider`, `account` and `region` on each resource
of the JSON, the text tree grouped by account and region. The program registers explicit providers itself
(tests/engine/fixtures/engine/accounts); the policy pack is not involved."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from mw import plan as planning

PROGRAM = ROOT / "tests" / "engine" / "fixtures" / "engine" / "accounts" / "__main__.py"


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> planning.Plan:
    project = tmp_path_factory.mktemp("accounts")
    shutil.copy(PROGRAM, project / "__main__.py")
    (project / "Pulumi.yaml").write_text("name: maintenance-windows\nruntime: python\n")
    (project / "Pulumi.org.yaml").write_text(
        'config:\n  aws:region: us-east-1\n  aws:allowedAccountIds: ["123456789012"]\n')
    return planning.plan("org", project_dir=Path(project), policies=False)


DEFAULT = "urn:pulumi:org::maintenance-windows::pulumi:providers:aws::default_7_51_1"
DEV = "urn:pulumi:org::maintenance-windows::pulumi:pulumi:Stack$pulumi:providers:aws::account-dev"


@pytest.mark.parametrize(("name", "type_", "provider", "account", "region"), [
    ("org", "pulumi:pulumi:Stack", None, None, None),
    ("web", "fixture:index:Window", None, None, None),
    ("account-dev", "pulumi:providers:aws", None, None, None),
    ("home-role", "aws:iam/role:Role", DEFAULT, "123456789012", "us-east-1"),
    ("dev-web", "aws:ssm/maintenanceWindow:MaintenanceWindow", DEV, "111111111111", "eu-central-1"),
    ("dev-web-eu-west-1-target", "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget", DEV, "111111111111",
     "eu-west-1"),
])
def test_json_resources_carry_provider_account_and_region(result, name, type_, provider, account, region):
    by_name = {(r["name"].removeprefix("maintenance-windows-"), r["type"]): r for r in result.to_json()["resources"]}
    resource = by_name[(name, type_)]
    assert (resource["provider"], resource["account"], resource["region"]) == (provider, account, region)


def test_text_groups_the_tree_by_account_and_region(result):
    text = planning.render(result)
    headers = [line for line in text.splitlines() if line.startswith(("Account ", "Stack-wide"))]
    assert headers == [
        "Stack-wide (providers and components without AWS resources):",
        "Account 111111111111, region eu-central-1:",
        "Account 111111111111, region eu-west-1:",
        "Account 123456789012, region us-east-1:",
        "Account 222222222222, region us-east-1:",
    ]
    groups = text.split("\nAccount ")[1:]
    eu_west = next(g for g in groups if g.startswith("111111111111, region eu-west-1:"))
    # the component and its resources in that region, not the same account's other region
    assert "dev-web-eu-west-1-target" in eu_west and "dev-web-target" not in eu_west.replace(
        "dev-web-eu-west-1-target", "")
    assert "account-dev" not in eu_west
    # every resource is counted once, whatever the groups show
    assert f"+ {len(result.resources())} to create" in text


def test_one_account_and_region_prints_one_tree(repo_plans, capsys):
    from mw.cli import main

    assert main(["plan", "--stack", "dev", "--project-dir", str(ROOT), "--no-policy"]) == 0
    out = capsys.readouterr().out
    assert "Account " not in out and "Stack-wide" not in out
