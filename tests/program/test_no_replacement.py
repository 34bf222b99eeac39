"""Adding `accounts` or `regions` to a deployed stack replaces nothing (issue 16).

A stack deployed with the program as released before issue 16 (``released/released_program.py``) has a set of
URNs. The program now, run on the same stack with ``accounts`` (the deploying account plus one member) or
``regions`` added, must register every one of them again, or name it in an alias of one of its resources: the
engine then updates in place instead of deleting and creating (and a deleted window loses its execution history).

Which old resource each new one becomes is decided as the engine decides it: ``mw_engine.engine.previous_urns``
(pulumi/pulumi ``pkg/resource/deploy/step_generator.go``: URNs, alias specs, and ``inheritedChildAlias``, by which a
child whose name starts with its parent's name is also looked for under the parent's old name).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, stack_config

from mw_engine import engine
from mw_engine.engine import ProgramRun, run_program

RELEASED = Path(__file__).resolve().parent / "released"
HOME = "123456789012"
MEMBER = {"id": "111111111111", "name": "workloads",
          "roleArn": "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"}
NS = "maintenance-windows"


def _run(program_dir: Path, config: dict[str, Any], stack: str) -> ProgramRun:
    return run_program(program_dir, project="maintenance-windows", stack=stack, config=config)


def _aliases(run: ProgramRun) -> dict[str, list[str]]:
    """The alias URNs each resource names (the engine stand-in resolves the SDK's alias specs)."""
    return {r.urn: list(r.aliases) for r in run.resources}


def _with(stack: str, **keys: Any) -> dict[str, Any]:
    config = dict(stack_config(stack))
    for key, value in keys.items():
        config[key if ":" in key else f"{NS}:{key}"] = value
    return config


TWO_REGIONS = ["us-east-1", "eu-west-1"]
ACCOUNTS = {"aws:allowedAccountIds": [HOME], "accounts": [{"id": HOME}, MEMBER]}
# A topic that other accounts publish to needs a customer managed key (an in-place change of the topic).
CMK = "arn:aws:kms:us-east-1:123456789012:key/0e1f2a3b-4c5d-6e7f-8a9b-0c1d2e3f4a5b"


def _with_accounts(stack: str) -> dict[str, Any]:
    topic = stack_config(stack).get(f"{NS}:notifications")
    return {**ACCOUNTS, **({"notifications": {**topic, "kmsMasterKeyId": CMK}} if topic is not None else {})}

# (stack, what the released program deployed (keys added), what is planned now (keys added))
CHANGES = [
    pytest.param("dev", {}, _with_accounts("dev"), id="dev-add-accounts"),
    pytest.param("dev", {}, {"regions": TWO_REGIONS}, id="dev-add-regions"),
    pytest.param("prod", {}, _with_accounts("prod"), id="prod-add-accounts"),
    pytest.param("prod", {}, {"regions": TWO_REGIONS}, id="prod-add-regions"),
    pytest.param("prod", {"regions": TWO_REGIONS}, {"regions": TWO_REGIONS}, id="prod-deployed-with-regions"),
    pytest.param("prod", {"regions": TWO_REGIONS}, {"regions": TWO_REGIONS, **_with_accounts("prod")},
                 id="prod-deployed-with-regions-add-accounts"),
]


@pytest.mark.parametrize(("stack", "before", "after"), CHANGES)
def test_every_deployed_urn_is_kept_or_aliased(stack: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    deployed = _run(RELEASED, _with(stack, **before), stack)
    now = _run(ROOT, _with(stack, **after), stack)
    # As `pulumi up` matches them: by URN, by alias, and by the aliases children inherit from their parent.
    matched = engine.previous_urns(now, [r.urn for r in deployed.resources])
    lost = sorted({r.urn for r in deployed.resources} - set(matched.values()))
    assert lost == []
    # Windows, targets and tasks are the history worth keeping: the comparison covers them.
    assert sum("MaintenanceWindowTask::" in r.urn for r in deployed.resources) >= 1


def _renames(aliases: dict[str, list[str]], components_only: bool) -> dict[str, list[str]]:
    """The aliases that name another name (pulumi-aws adds type aliases of its own, BucketV2 -> Bucket), by name."""
    out = {}
    for urn, found in aliases.items():
        name, kind = urn.rsplit("::", 1)[1], urn.split("::")[2].split("$")[-1]
        if components_only and not kind.startswith(f"{NS}:"):
            continue
        names = [a.rsplit("::", 1)[1] for a in found if a.rsplit("::", 1)[1] != name]
        if names:
            out[name] = names
    return out


def test_aliases_point_at_the_released_names_only_where_names_changed() -> None:
    """Only the deploying account's components in the provider's region carry an alias, and it names the
    ``<name>-<region>`` the released program gave them; a stack without ``regions`` renames nothing."""
    plain = _aliases(_run(ROOT, _with("prod", **_with_accounts("prod")), "prod"))
    assert _renames(plain, components_only=False) == {}
    aliases = _aliases(_run(ROOT, _with("prod", regions=TWO_REGIONS), "prod"))
    assert _renames(aliases, components_only=True) == {
        "output-logs": ["output-logs-us-east-1"], "ProdAmazonLinux2023": ["ProdAmazonLinux2023-us-east-1"],
        "PatchProdCanary": ["PatchProdCanary-us-east-1"], "PatchProdFleet": ["PatchProdFleet-us-east-1"]}
