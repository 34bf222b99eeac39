"""The README stays a user's README, and the reference it points to stays true.

README.md: at most 12 KB, its sections in the issue's order, every `mw` command named, the numbers it quotes the
pack's, and its "Add your own stack" steps giving what it says. docs/config.md: every config key the models accept,
and nothing more. policies/README.md: every rule of the pack (its tables are checked in tests/test_docs.py)."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter

import mw_policies
import pytest
from conftest import ROOT
from pydantic import BaseModel

from mw.cli import _parser, main
from mw_config import models
from mw_config.schema import NAMESPACE, TOP_KEYS

README = (ROOT / "README.md").read_text(encoding="utf-8")
PACK_README = (ROOT / "policies" / "README.md").read_text(encoding="utf-8")
# The config reference: its section of this file, or the whole file when it has no such section (docs/config.md).
CONFIG_REFERENCE = ROOT / "docs" / "config.md"
CONFIG_SECTION = "## Config reference"


def reference() -> str:
    text = CONFIG_REFERENCE.read_text(encoding="utf-8")
    start = text.find(f"\n{CONFIG_SECTION}\n")
    if start < 0:
        return text
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else None]


def config_models() -> list[type[BaseModel]]:
    """Every mapping of the stack config, from the top down."""
    found: list[type[BaseModel]] = []
    todo: list[type[BaseModel]] = [models.StackModel]
    while todo:
        model = todo.pop()
        if model in found:
            continue
        found.append(model)
        for info in model.model_fields.values():
            todo += [t for t in _types(info.annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
    return found


def _types(annotation: object) -> list[object]:
    from typing import get_args

    return [annotation, *(t for arg in get_args(annotation) for t in _types(arg))]


ACCEPTED = sorted({info.alias or name for model in config_models() if model is not models.StackModel
                   for name, info in model.model_fields.items()})


def backticked_words(text: str) -> set[str]:
    """Every word inside backticks: `outputS3: {bucket, keyPrefix}` documents outputS3, bucket and keyPrefix.

    Fenced code blocks are examples, not documentation, and their ``` would pair with the wrong backticks."""
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return {word for span in re.findall(r"`([^`]+)`", text) for word in re.findall(r"[A-Za-z][A-Za-z0-9]*", span)}


def documented_keys(text: str) -> set[str]:
    """The keys the reference's tables define: the first cell of each `| key |` table, and the keys cell of the
    task types' `| type | keys |` table (each entry's key, and the keys of its `{...}`)."""
    found: set[str] = set()
    header: list[str] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not header:
            header = cells
            continue
        if set("".join(cells)) <= set("- :"):
            continue
        if header[0] == "key":
            found.update(re.findall(r"`([A-Za-z][A-Za-z0-9]*)`", cells[0]))
        elif header[:2] == ["type", "keys"]:
            for span in re.findall(r"`([^`]+)`", _outside_parentheses(cells[1])):
                key = re.match(r"[A-Za-z][A-Za-z0-9]*", span)
                if key:
                    found.add(key.group())
                found.update(w for inner in re.findall(r"\{([^}]*)\}", span)
                             for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", inner))
    return found


def _outside_parentheses(text: str) -> str:
    """``text`` without its parenthesized remarks, where values are shown (``(default `Command`)``)."""
    out, depth = [], 0
    for char in text:
        depth += char == "("
        if depth == 0:
            out.append(char)
        depth -= char == ")" and depth > 0
    return "".join(out)


@pytest.mark.parametrize("rule", [p.name for p in mw_policies.ALL_POLICIES])
def test_every_rule_is_documented(rule):
    """In the pack's own README, which ships with it; README.md links there instead of repeating the table."""
    assert f"| `{rule}` |" in PACK_README


@pytest.mark.parametrize("key", TOP_KEYS)
def test_every_top_level_config_key_is_documented(key):
    assert f"`{NAMESPACE}:{key}`" in reference()


@pytest.mark.parametrize("key", ACCEPTED)
def test_every_config_key_the_models_accept_is_documented(key):
    assert key in backticked_words(reference())


def test_every_documented_key_is_one_the_models_accept():
    top = set(re.findall(rf"`{NAMESPACE}:([A-Za-z]+)`", reference()))
    assert top - set(TOP_KEYS) == set()
    assert documented_keys(reference()) - set(ACCEPTED) == set()


def test_the_key_reading_finds_keys_and_only_keys():
    text = ("| key | meaning | default |\n| --- | --- | --- |\n| `name`, `ownerInformation` | `a` is `b` | `1` |\n\n"
            "| type | keys |\n| --- | --- |\n| `X` | `document` (required, `AWS-Run`), `outputS3: {bucket, keyPrefix}` |\n")
    assert documented_keys(text) == {"name", "ownerInformation", "document", "outputS3", "bucket", "keyPrefix"}


def test_the_check_sees_a_key_missing_from_the_models():
    assert documented_keys("| key | meaning |\n| --- | --- |\n| `colour` | |\n") - set(ACCEPTED) == {"colour"}


def test_every_command_is_documented():
    commands = _parser()._subparsers._group_actions[0].choices  # argparse keeps them there
    for name in commands:
        assert f"mw {name}" in README


# ------------------------------------------------------------------------------------------------ README.md's shape

README_LIMIT = 12 * 1024
# The issue's order (issue 15, item 3), then the index of the reference in docs/.
SECTIONS = [
    "What it builds: the AWS lab as stack config",
    "Quick start",
    "Deploy with the Pulumi CLI",
    "Add your own stack",
    "Use it in CI",
    "Publish and enforce the policy pack",
    "Before a window runs: targets and calendars",  # issue 17
    "Reference",
]


def test_the_targets_sample_is_the_commands_output():
    """Each line of the README's `mw targets` sample is a line of the end-to-end test's output, in order."""
    section = README[README.index("\n## Before a window runs"):]
    sample = section[section.index("```\n") + 4:section.index("\n```", section.index("```\n"))].splitlines()
    output = (ROOT / "tests" / "mw" / "fixtures" / "targets" / "output.txt").read_text(encoding="utf-8").splitlines()
    positions = [output.index(line) for line in sample]
    assert len(sample) >= 4 and positions == sorted(positions)


def test_the_readme_is_at_most_12_kb():
    size = len(README.encode("utf-8"))
    assert size <= README_LIMIT, f"README.md is {size:,} bytes; reference material goes to docs/"


def test_the_readme_sections_come_in_the_issues_order():
    assert re.findall(r"^## (.+)$", README, re.MULTILINE) == SECTIONS


def test_the_deploy_section_has_the_deployer_permissions_and_their_source():
    deploy = README[README.index("\n## Deploy with the Pulumi CLI\n"):README.index("\n## Add your own stack\n")]
    part = deploy[deploy.index("\n### Permissions the deploying identity needs\n"):]
    assert "(docs/deploy-permissions.md)" in part


def test_the_readme_keeps_the_lab_mapping():
    lab = README[README.index("\n## What it builds"):README.index("\n## Quick start\n")]
    for step in ("SSMMaintenanceWindowRole", "SSMMaintenanceWindowPassRole", "PatchTestWorkloadWebServers",
                 "TestWebServers", "AWS-RunPatchBaseline"):
        assert f"`{step}`" in lab
    for key in ("serviceRole", "passRole", "windows[0]"):
        assert f"`maintenance-windows:{key}`" in lab


def pack_defaults() -> Counter[str]:
    return Counter(str(p.enforcement_level.value) for p in mw_policies.ALL_POLICIES)


@pytest.mark.parametrize("path", ["README.md", "docs/plan.md"])
def test_the_pack_default_levels_quoted_are_the_packs(path):
    text = " ".join((ROOT / path).read_text(encoding="utf-8").split())
    quoted = re.findall(r"all (\d+) rules at the pack's default levels[:( ]+(\d+) mandatory, (\d+) advisory", text)
    levels = pack_defaults()
    assert quoted and set(quoted) == {(str(len(mw_policies.ALL_POLICIES)), str(levels["mandatory"]),
                                       str(levels["advisory"]))}


def test_the_rule_count_quoted_is_the_packs():
    assert re.findall(r"policy pack with (\d+) rules", README) == [str(len(mw_policies.ALL_POLICIES))]


def test_adding_a_stack_as_the_readme_says_gives_what_it_says(capsys, project):
    """Copy the lab's stack: without a policy config of its own it gets the strict levels, says so and fails (1);
    with a copy of dev.json it passes (0)."""
    shown = re.search(r"^Policy config: none \(policies/config/staging\.json does not exist\).*$", README, re.MULTILINE)
    assert shown, "README no longer shows what `mw plan` says about a stack without a policy config"
    shutil.copy(project / "Pulumi.dev.yaml", project / "Pulumi.staging.yaml")
    plan = ["plan", "--stack", "staging", "--project-dir", str(project)]
    assert main(plan) == 1
    out = capsys.readouterr().out
    assert shown.group() in out.splitlines()
    for principal in ("ec2.amazonaws.com", "sns.amazonaws.com"):
        assert principal in README and principal in out
    assert main([*plan, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["policyConfig"]["path"] is None
    shutil.copy(project / "policies" / "config" / "dev.json", project / "policies" / "config" / "staging.json")
    assert main(plan) == 0  # as the dev stack itself
    assert re.search(r"^Policy config: policies/config/staging\.json \(\d+ of \d+ rules set there;", capsys.readouterr().out,
                     re.MULTILINE)

