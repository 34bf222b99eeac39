"""TaskArgs.problems: the values AWS would reject, and the ARNs a task passes on as grants or roles."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from mw_components.task import (
    AUTOMATION,
    LAMBDA,
    RUN_COMMAND,
    STEP_FUNCTIONS,
    CloudWatchOutput,
    Notifications,
    OutputS3,
    TaskArgs,
)

ACCOUNT = "123456789012"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:PatchHook"
MACHINE = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:PatchFlow"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/HookRunner"


def run_command(**values: Any) -> TaskArgs:
    return TaskArgs("Patch", RUN_COMMAND, **{"document": "AWS-RunPatchBaseline", "targets": ("Fleet",), **values})


def problems(task: TaskArgs, *, allow_wildcards: bool = False) -> list[str]:
    return [str(p) for p in task.problems(allow_wildcards=allow_wildcards)]


@pytest.mark.parametrize("task", [
    run_command(priority=0),
    run_command(priority=2**31 - 1),
    run_command(document=f"arn:aws:ssm:us-east-1:{ACCOUNT}:document/Patch-Fleet_v2.1"),
    run_command(service_role_arn=f"arn:aws:iam::{ACCOUNT}:role/service-role/ops/Patcher"),
    run_command(notifications=Notifications(TOPIC, role_arn=ROLE)),
    TaskArgs("Invoke", LAMBDA, function_arn=FUNCTION),
    TaskArgs("Invoke", LAMBDA, function_arn=f"{FUNCTION}:$LATEST"),
    TaskArgs("Invoke", LAMBDA, function_arn="SSMPatchHook"),
    TaskArgs("Invoke", LAMBDA, function_arn="PatchHook", service_role_arn=ROLE),
    TaskArgs("Flow", STEP_FUNCTIONS, state_machine_arn=MACHINE),
    TaskArgs("Restart", AUTOMATION, document="AWS-RestartEC2Instance",
             parameters={"AutomationAssumeRole": (ROLE,), "InstanceId": ("{{ TARGET_ID }}",)}),
    # Known at deploy time only: AWS judges them then.
    run_command(output_s3=OutputS3(pulumi.Output.from_input("*")), notifications=Notifications(
        pulumi.Output.from_input("*"), role_arn=pulumi.Output.from_input("*"))),
])
def test_valid_tasks_have_no_problems(task):
    assert problems(task) == []


@pytest.mark.parametrize(("task", "expected"), [
    (run_command(priority=-1), "priority: -1 is out of range (allowed: at least 0)"),
    (run_command(priority=2**31), "priority: 2147483648 is out of range (allowed: at least 0, and at most 2,147,483,647"),
    (run_command(document="AWS RunPatchBaseline"), "document: 'AWS RunPatchBaseline' is not allowed"),
    (run_command(document=".."), "document: '..' is not allowed (allowed: 3 to 128 letters, digits and _ - . : /)"),
    (run_command(document="x" * 129), "document: 'xxx"),
    (TaskArgs("Restart", AUTOMATION, document="AWS-Restart EC2"), "document: 'AWS-Restart EC2' is not allowed"),
    (TaskArgs("Invoke", LAMBDA, function_arn="*"), "function_arn: '*' is not a Lambda function ARN"),
    (TaskArgs("Invoke", LAMBDA, function_arn="SSM*"), "function_arn: 'SSM*' is not a Lambda function ARN"),
    (TaskArgs("Invoke", LAMBDA, function_arn="PatchHook"), "function_arn: 'PatchHook' names a function without its ARN"),
    (TaskArgs("Invoke", LAMBDA, function_arn=f"arn:aws:lambda:*:{ACCOUNT}:function:PatchHook"),
     "function_arn: 'arn:aws:lambda:*:123456789012:function:PatchHook' has a wildcard in its region"),
    (TaskArgs("Invoke", LAMBDA, function_arn=f"{FUNCTION}:*"), f"function_arn: '{FUNCTION}:*' holds a wildcard"),
    (TaskArgs("Invoke", LAMBDA, function_arn=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:Patch Hook"),
     "function_arn: 'arn:aws:lambda:us-east-1:123456789012:function:Patch Hook' is not a Lambda function ARN"),
    (TaskArgs("Flow", STEP_FUNCTIONS, state_machine_arn="PatchFlow"),
     "state_machine_arn: 'PatchFlow' is not a Step Functions state machine ARN"),
    (TaskArgs("Flow", STEP_FUNCTIONS, state_machine_arn="arn:aws:states:us-east-1:*:stateMachine:PatchFlow"),
     "state_machine_arn: 'arn:aws:states:us-east-1:*:stateMachine:PatchFlow' has a wildcard in its account"),
    (run_command(service_role_arn="arn:aws:iam::123456789012:role/*"), "service_role_arn: 'arn:aws:iam::123456789012:"
                                                                      "role/*' has a wildcard in the resource's name"),
    (run_command(service_role_arn="HookRunner"), "service_role_arn: 'HookRunner' is not an IAM role ARN"),
    (run_command(notifications=Notifications("arn:aws:sns:*:*:*")),
     "notifications.topic_arn: 'arn:aws:sns:*:*:*' has a wildcard in its region"),
    (run_command(notifications=Notifications(TOPIC, role_arn="arn:aws:iam::*:role/Admin")),
     "notifications.role_arn: 'arn:aws:iam::*:role/Admin' has a wildcard in its account"),
    (TaskArgs("Restart", AUTOMATION, document="AWS-RestartEC2Instance",
              parameters={"AutomationAssumeRole": (ROLE, "arn:aws:iam::123456789012:role/*")}),
     "parameters.AutomationAssumeRole[1]: 'arn:aws:iam::123456789012:role/*' has a wildcard"),
])
def test_invalid_tasks(task, expected):
    found = problems(task)
    assert any(expected in problem for problem in found), found


@pytest.mark.parametrize("task", [
    TaskArgs("Invoke", LAMBDA, function_arn="arn:aws:lambda:*:*:function:*"),
    TaskArgs("Flow", STEP_FUNCTIONS, state_machine_arn=f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:*"),
    run_command(notifications=Notifications("arn:aws:sns:*:*:*")),
])
def test_allow_wildcards_leaves_granted_arns_to_the_pack(task):
    assert problems(task)
    assert problems(task, allow_wildcards=True) == []


@pytest.mark.parametrize("task", [
    run_command(service_role_arn="arn:aws:iam::123456789012:role/*"),
    run_command(notifications=Notifications(TOPIC, role_arn="arn:aws:iam::*:role/Admin")),
    TaskArgs("Invoke", LAMBDA, function_arn="*"),
])
def test_allow_wildcards_never_widens_a_role_or_accepts_what_is_no_arn(task):
    assert problems(task, allow_wildcards=True) == problems(task)
    assert problems(task)


def test_a_run_command_task_does_not_judge_automation_parameters():
    # AutomationAssumeRole means nothing to a Run Command document; only Automation passes it on as a role.
    assert problems(run_command(parameters={"AutomationAssumeRole": ("anything",)})) == []


@pytest.mark.parametrize(("task", "expected"), [
    # Fields of another type are refused, not silently dropped; Python names, with what this type takes.
    (run_command(payload="{}"), "payload: not allowed on a RUN_COMMAND task (it belongs to LAMBDA tasks; "
                                "RUN_COMMAND takes: `document`, `document_version`, `parameters`, `timeout_seconds`, "
                                "`comment`, `output_s3`, `cloudwatch`, `notifications`)"),
    (TaskArgs("Invoke", LAMBDA, function_arn=FUNCTION, document="AWS-RunPatchBaseline"),
     "document: not allowed on a LAMBDA task (it belongs to RUN_COMMAND and AUTOMATION tasks"),
    (TaskArgs("Invoke", LAMBDA, function_arn=FUNCTION, output_s3=OutputS3("logs")), "output_s3: not allowed on a LAMBDA"),
    # What AWS calls TaskArn is required, by the field's name.
    (TaskArgs("Patch", RUN_COMMAND, targets=("Fleet",)), "document: required for a RUN_COMMAND task"),
    (TaskArgs("Flow", STEP_FUNCTIONS), "state_machine_arn: required for a STEP_FUNCTIONS task"),
    # Rules that compare two fields say both names, in Python terms.
    (run_command(instance_ids=("i-0123456789abcdef0",)),
     "instance_ids: give `targets` or `instance_ids`, not both (AWS takes one kind per task)"),
    (TaskArgs("Patch", RUN_COMMAND, document="AWS-RunPatchBaseline"),
     "targets: a RUN_COMMAND task needs `targets` (names of this window's targets)"),
    (TaskArgs("Invoke", LAMBDA, function_arn=FUNCTION, max_errors="1"),
     "max_errors: '1' is not allowed on a task without targets"),
    (run_command(cloudwatch=CloudWatchOutput("g" * 513)), "cloudwatch.log_group: 'ggg"),
])
def test_task_rules_in_python_terms(task, expected):
    found = problems(task)
    assert any(problem.startswith(expected) for problem in found), found


def test_a_task_does_not_judge_its_windows_targets():
    # Whether `targets` are the window's is the window's to say (it knows them); the task alone cannot.
    assert problems(run_command(targets=("Nope",))) == []
