"""The real policy pack over the real program, as the engine runs it: the stacks in the repo pass,
and a broken copy of each stack fails with the rules that guard what was broken.

Mistakes AWS would reject never get this far (the program's config validation stops them); these
copies are the ones AWS accepts silently, which is what the pack is for.
"""

from __future__ import annotations

import pytest
from conftest import ROOT, STACKS, edit_stack

from mw.plan import plan

W = "maintenance-windows:windows"
FOREIGN_ROLE = "arn:aws:iam::111122223333:role/SomeoneElsesRole"


@pytest.mark.parametrize("stack", STACKS)
def test_the_stacks_in_the_repo_have_no_mandatory_violation(stack):
    result = plan(stack, project_dir=ROOT)
    assert [v for v in result.violations if v.level == "mandatory"] == []


def test_what_the_lab_is_told():
    """dev reproduces the AWS lab: its extra trust principals, and no pinned account (its advisories, no more)."""
    assert {v.policy for v in plan("dev", project_dir=ROOT).violations} == {"iam-trusted-principals",
                                                                            "stack-account-pinned"}
    assert plan("prod", project_dir=ROOT).violations == []


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
def test_a_broken_copy_fails_with_the_expected_rules(project, stack, breakage, rules, level):
    edit_stack(project, stack, breakage)
    result = plan(stack, project_dir=project)
    found = {v.policy: v for v in result.violations}
    assert rules <= set(found), sorted(found)
    for rule in rules:
        assert found[rule].level == level
        assert found[rule].message
    assert result.exit_code == (1 if level == "mandatory" else 0)
