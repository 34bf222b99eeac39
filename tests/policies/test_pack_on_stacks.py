"""The real policy pack over the real program, as the engine runs it: the stacks in the repo pass,
and a broken copy of each stack fails with the rules that guard what was broken.

Mistakes AWS would reject never get this far (the program's config validation stops them); these
copies are the ones AWS accepts silently, which is what the pack is for.

Every test runs twice: with the in-repo pack (``policies/``) and with the pack as it ships
(``tools/build_pack.py``: its own copy of ``mw_core``, which it imports instead of the project's).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT, STACKS, edit_stack
from policy_cases.pack import build

from mw.plan import plan

W = "maintenance-windows:windows"
FOREIGN_ROLE = "arn:aws:iam::111122223333:role/SomeoneElsesRole"


@pytest.fixture(scope="module")
def built_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("dist") / "policy-pack")


# The built artifact answers as the repo's pack (test_pack_alone.py): run against it in CI, not in every `make test`.
@pytest.fixture(params=["repo-pack", pytest.param("built-pack", marks=pytest.mark.slow)])
def pack(request: pytest.FixtureRequest) -> Path | None:
    """The pack to plan with: None for the repository's ``policies/``, else the built one (built only then)."""
    return None if request.param == "repo-pack" else request.getfixturevalue("built_pack")


def with_pack(project: Path, pack: Path | None) -> Path:
    """``project`` planning with ``pack`` as its ``policies/``."""
    if pack is not None:
        shutil.rmtree(project / "policies", ignore_errors=True)
        shutil.copytree(pack, project / "policies")
    return project


@pytest.fixture
def repo(pack: Path | None, tmp_path: Path) -> Path:
    """The repository itself, or a copy of its program and stacks planning with the built pack."""
    if pack is None:
        return ROOT
    for name in ("__main__.py", "Pulumi.yaml", *(f"Pulumi.{s}.yaml" for s in STACKS)):
        shutil.copy(ROOT / name, tmp_path / name)
    return with_pack(tmp_path, pack)


@pytest.mark.parametrize("stack", STACKS)
def test_the_stacks_in_the_repo_have_no_mandatory_violation(stack, repo):
    result = plan(stack, project_dir=repo)
    assert [v for v in result.violations if v.level == "mandatory"] == []


def test_what_the_lab_is_told(repo):
    """dev reproduces the AWS lab: its extra trust principals, and no pinned account (its advisories, no more)."""
    assert {v.policy for v in plan("dev", project_dir=repo).violations} == {"iam-trusted-principals",
                                                                            "stack-account-pinned"}
    assert plan("prod", project_dir=repo).violations == []


def _allow_unregistered(config):
    config[W][0]["allowUnregisteredTargets"] = True


def _trust_ec2(config):
    config["maintenance-windows:serviceRole"]["trustedServices"] = ["ssm.amazonaws.com", "ec2.amazonaws.com"]


def _foreign_task_role(config):
    config[W][0]["tasks"][0]["serviceRoleArn"] = FOREIGN_ROLE


def _loose_rate_control(config):
    config[W][0]["tasks"][0]["maxConcurrency"] = "100%"
    config[W][0]["tasks"][0]["maxErrors"] = "50%"


def _lambda_outside_ssm(config):
    config[W][0]["tasks"].append({"name": "Tidy", "type": "LAMBDA", "priority": 9, "serviceRoleArn": FOREIGN_ROLE,
                                  "functionArn": "arn:aws:lambda:us-east-1:111122223333:function:Tidy"})


def _output_elsewhere(config):
    config[W][0]["tasks"][0]["outputS3"] = {"bucket": "someone-elses-bucket"}


def _function_in_another_account(config):
    config[W][0]["tasks"].append({"name": "Tidy", "type": "LAMBDA", "priority": 9,
                                  "functionArn": "arn:aws:lambda:us-east-1:111122223333:function:SSMTidy"})


def _unpinned(config):
    del config["aws:allowedAccountIds"]


def _window_without_tasks(config):
    config[W].append({"name": "EmptyWindow", "schedule": "cron(0 4 ? * SUN *)", "duration": 2,
                      "targets": [{"name": "Nobody", "tags": {"Workload": "None"}}]})


BROKEN = [
    # (stack, what is broken, rules that must report it, level under the stack's own policy config)
    ("dev", _allow_unregistered, {"window-registered-targets"}, "advisory"),
    ("dev", _foreign_task_role, {"stack-task-service-role"}, "advisory"),
    ("dev", _loose_rate_control, {"task-rate-control"}, "advisory"),
    ("dev", _window_without_tasks, {"stack-window-complete"}, "advisory"),
    ("dev", _output_elsewhere, {"stack-task-output-bucket"}, "advisory"),
    ("prod", _allow_unregistered, {"window-registered-targets"}, "mandatory"),
    ("prod", _trust_ec2, {"iam-trusted-principals"}, "mandatory"),
    ("prod", _foreign_task_role, {"stack-task-service-role"}, "mandatory"),
    ("prod", _loose_rate_control, {"task-rate-control"}, "mandatory"),
    ("prod", _lambda_outside_ssm, {"stack-task-service-role", "iam-cross-account"}, "mandatory"),
    ("prod", _function_in_another_account, {"iam-cross-account"}, "mandatory"),
    ("prod", _output_elsewhere, {"stack-task-output-bucket"}, "mandatory"),
    ("prod", _unpinned, {"stack-account-pinned"}, "mandatory"),
    ("prod", _window_without_tasks, {"stack-window-complete"}, "mandatory"),
]


@pytest.mark.parametrize(("stack", "breakage", "rules", "level"), BROKEN,
                         ids=[f"{s}-{b.__name__.strip('_')}" for s, b, _, _ in BROKEN])
def test_a_broken_copy_fails_with_the_expected_rules(project, pack, stack, breakage, rules, level):
    with_pack(project, pack)
    edit_stack(project, stack, breakage)
    result = plan(stack, project_dir=project)
    found = {v.policy: v for v in result.violations}
    assert rules <= set(found), sorted(found)
    for rule in rules:
        assert found[rule].level == level
        assert found[rule].message
    assert result.exit_code == (1 if level == "mandatory" else 0)
