"""mw_engine.engine with explicit AWS providers (issue 16): each resource's account, region and provider, the IDs
and ARNs invented there, explicit providers and aliases as recorded, and which old URN a resource would update."""

from __future__ import annotations

from pathlib import Path

import pytest

from mw_engine.engine import UNKNOWN_ID, ProgramRun, previous_urns, run_program

PROGRAM = Path(__file__).parent / "fixtures" / "engine" / "accounts"
HOME = "123456789012"
CONFIG = {"aws:region": "us-east-1", "aws:allowedAccountIds": [HOME]}
WINDOW_T = "aws:ssm/maintenanceWindow:MaintenanceWindow"


def _run(**fixture: object) -> ProgramRun:
    return run_program(PROGRAM, project="fixture", stack="dev",
                       config={**CONFIG, **{f"fixture:{k}": v for k, v in fixture.items()}})


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    return _run()


def _named(run: ProgramRun, name: str, type_: str | None = None):
    (found,) = [r for r in run.resources if r.name == name and (type_ is None or r.type == type_)]
    return found


@pytest.mark.parametrize(("name", "type_", "account", "region", "provider"), [
    # the default provider: aws:allowedAccountIds[0] and aws:region
    ("home-role", None, HOME, "us-east-1", "default_7_51_1"),
    ("web", WINDOW_T, HOME, "us-east-1", "default_7_51_1"),
    ("web-logs", None, HOME, "us-east-1", "default_7_51_1"),
    # an explicit provider through the component's providers: its allowedAccountIds[0] and region
    ("dev-web", WINDOW_T, "111111111111", "eu-central-1", "account-dev"),
    ("dev-web-target", None, "111111111111", "eu-central-1", "account-dev"),
    ("dev-role", None, "111111111111", "eu-central-1", "account-dev"),
    # the resource's own region input wins over the provider's
    ("dev-web-eu-west-1", WINDOW_T, "111111111111", "eu-west-1", "account-dev"),
    ("dev-web-eu-west-1-logs", None, "111111111111", "eu-west-1", "account-dev"),
    # no allowedAccountIds: the account of assumeRoles[0].roleArn; no region: aws:region
    ("ops-role", None, "222222222222", "us-east-1", "account-ops"),
    # a snake_case dict is not a role the provider reads (pulumi-aws#5271): the caller's account
    ("snake-role", None, HOME, "us-east-1", "account-snake"),
])
def test_each_aws_resource_lives_in_its_providers_account_and_region(run, name, type_, account, region, provider):
    resource = _named(run, name, type_)
    assert (resource.account, resource.region) == (account, region)
    assert resource.provider_urn.rsplit("::", 1)[1] == provider
    assert resource.provider_urn in run.providers


def test_components_and_providers_have_no_placement(run):
    unplaced = [r for r in run.resources if not r.type.startswith("aws:")]
    assert {r.type for r in unplaced} == {"fixture:index:Window", "pulumi:providers:aws"}
    assert all((r.account, r.region) == ("", "") for r in unplaced)


def test_without_allowed_account_ids_the_default_account_is_the_engines():
    run = run_program(PROGRAM, project="fixture", stack="dev", config={"aws:region": "eu-west-2"})
    assert (_named(run, "home-role").account, _named(run, "home-role").region) == (HOME, "eu-west-2")
    assert _named(run, "dev-role").account == "111111111111"


@pytest.mark.parametrize(("name", "output", "expected"), [
    ("dev-role", "arn", "arn:aws:iam::111111111111:role/dev-role-"),
    ("ops-role", "arn", "arn:aws:iam::222222222222:role/ops-role-"),
    ("home-role", "arn", f"arn:aws:iam::{HOME}:role/home-role-"),
    ("dev-web-logs", "arn", "arn:aws:logs:eu-central-1:111111111111:log-group:dev-web-logs-"),
    ("dev-web-eu-west-1-logs", "arn", "arn:aws:logs:eu-west-1:111111111111:log-group:dev-web-eu-west-1-logs-"),
    ("topic", "arn", f"arn:aws:sns:us-east-1:{HOME}:topic-"),
])
def test_arns_are_invented_in_the_resources_account_and_region(run, name, output, expected):
    assert _named(run, name).outputs[output].startswith(expected)


def test_invokes_answer_for_the_invokes_provider(run):
    assert run.outputs == {"devCaller": "111111111111", "homeCaller": HOME}


def test_explicit_providers_are_recorded_with_their_config_and_an_unknown_id(run):
    explicit = {r.name: r for r in run.resources if r.type == "pulumi:providers:aws"}
    assert set(explicit) == {"account-dev", "account-ops", "account-snake"}
    dev = explicit["account-dev"]
    assert dev.urn in run.providers and dev.id == UNKNOWN_ID
    # pulumi-aws sends a provider's list inputs JSON-encoded (provider.py: .apply(pulumi.runtime.to_json)).
    assert dev.inputs["allowedAccountIds"] == '["111111111111"]'
    assert dev.inputs["region"] == "eu-central-1"
    assert dev.outputs == dev.inputs
    assert _named(run, "dev-web", WINDOW_T).provider == f"{dev.urn}::{UNKNOWN_ID}"
    assert ("111111111111", "eu-west-1") in run.placements()


def test_an_alias_spec_is_recorded_as_the_urn_it_names():
    run = _run(prefix="workloads", alias=True)
    component = _named(run, "workloads-web", "fixture:index:Window")
    assert component.aliases == [component.urn.replace("::workloads-web", "::web")]
    assert len(component.alias_specs) == 1 and component.alias_specs[0].name == "web"
    assert _named(run, "workloads-web", WINDOW_T).aliases == []  # inherited only once the parent's alias matched


@pytest.mark.parametrize(("fixture", "kept"), [
    ({}, "all"),                                      # same program: every URN unchanged
    ({"prefix": "workloads", "alias": True}, "all"),  # renamed, with an alias: children follow the parent's
    # renamed without one: the window and its children are new; the topic, not named after its parent, keeps
    # its URN (a parent's name is not part of its children's URNs)
    ({"prefix": "workloads"}, "none of the window"),
])
def test_previous_urns_follows_aliases_as_the_engine_does(fixture, kept):
    old = _run()
    new = _run(**fixture)
    found = previous_urns(new, [r.urn for r in old.resources])
    renamed = {r.urn for r in new.resources if r.name.startswith("workloads-web")}
    if kept == "all":
        assert set(found.values()) == {r.urn for r in old.resources}
        assert None not in found.values()
    else:
        assert renamed and all(found[urn] is None for urn in renamed)
        assert all(found[r.urn] == r.urn for r in new.resources if r.urn not in renamed)
    if fixture.get("alias"):
        old_by_name = {(r.type, r.name): r.urn for r in old.resources}
        for r in new.resources:
            old_name = r.name.replace("workloads-web", "web")
            assert found[r.urn] == old_by_name[(r.type, old_name)]
