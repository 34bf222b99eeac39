"""Window task rules: compliant and non-compliant property sets in wire form, per rule."""

from __future__ import annotations

from typing import Any

import pytest
from policy_cases.harness import (
    DELETE,
    UNKNOWN_ARRAY,
    UNKNOWN_OBJECT,
    UNKNOWN_STRING,
    assert_violations,
    run_resource,
    variant,
)
from policy_cases.lab import (
    ACCOUNT,
    AUTOMATION_TASK,
    LAMBDA_TASK,
    ROLE_ARN,
    STEP_FUNCTIONS_TASK,
    TARGET_ID,
    TASK,
    TASK_TYPE,
)

RC = "taskInvocationParameters.runCommandParameters"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:mw-notifications"
NOTIFY_ROLE = f"arn:aws:iam::{ACCOUNT}:role/mw-notify"
IDS = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(11)]

BASES = {"run": TASK, "lambda": LAMBDA_TASK, "sfn": STEP_FUNCTIONS_TASK, "automation": AUTOMATION_TASK}

# (rule, id, base, changes, expected fragments or None when compliant)
CASES: list[tuple[str, str, str, dict[str, Any], list[str] | None]] = [
    ("task-type", "lab", "run", {}, None),
    ("task-type", "lambda", "lambda", {}, None),
    ("task-type", "sfn", "sfn", {}, None),
    ("task-type", "automation", "automation", {}, None),
    ("task-type", "unknown-type", "run", {"taskType": "SHELL"}, ["taskType: 'SHELL' is not allowed",
                                                                 "RUN_COMMAND, AUTOMATION, STEP_FUNCTIONS, LAMBDA"]),
    ("task-type", "no-type", "run", {"taskType": DELETE}, ["taskType is not set"]),
    ("task-type", "no-arn", "run", {"taskArn": DELETE}, ["taskArn is not set"]),
    ("task-type", "empty-arn", "run", {"taskArn": ""}, ["taskArn: '' is 0 characters long"]),
    ("task-type", "long-arn", "run", {"taskArn": "a" * 1601}, ["1601 characters", "1 to 1600"]),
    ("task-type", "wrong-block", "run", {"taskInvocationParameters.lambdaParameters": {"payload": "{}"}},
     ["lambdaParameters is set on a RUN_COMMAND task", "only runCommandParameters"]),
    # A Run Command / Automation taskArn is a document name or ARN (SendCommand's DocumentARN pattern).
    ("task-type", "document-arn", "run", {"taskArn": f"arn:aws:ssm:us-east-1:{ACCOUNT}:document/Patch_Linux-1.0"},
     None),
    ("task-type", "aws-owned-document-arn", "automation",
     {"taskArn": "arn:aws:ssm:us-east-1::document/AWS-RestartEC2Instance"}, None),
    ("task-type", "document-with-space", "run", {"taskArn": "AWS RunPatchBaseline"},
     ["taskArn: 'AWS RunPatchBaseline' is not allowed", "3 to 128 letters, digits and _ - . : /",
      "a RUN_COMMAND task's taskArn is an SSM document name or ARN"]),
    ("task-type", "document-of-dots", "automation", {"taskArn": ".."},
     ["taskArn: '..' is not allowed", "a AUTOMATION task's taskArn is an SSM document"]),
    ("task-type", "document-of-129", "run", {"taskArn": "d" * 129}, ["taskArn: 'ddd"]),
    ("task-type", "document-with-nul", "run", {"taskArn": "AWS-RunPatchBaseline\x00"}, ["is not allowed"]),
    ("task-type", "lambda-arn-is-no-document", "lambda",
     {"taskArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:SSM rotate"}, None),
    ("task-type", "automation-with-run-block", "automation",
     {"taskInvocationParameters.runCommandParameters": {"timeoutSeconds": 60.0}},
     ["runCommandParameters is set on a AUTOMATION task"]),
    ("task-rate-control-format", "lab", "run", {}, None),
    ("task-rate-control-format", "percent", "run", {"maxConcurrency": "100%", "maxErrors": "0%"}, None),
    ("task-rate-control-format", "zero-errors", "run", {"maxErrors": "0"}, None),
    ("task-rate-control-format", "targetless", "lambda", {}, None),
    ("task-rate-control-format", "zero-concurrency", "run", {"maxConcurrency": "0"},
     ["maxConcurrency: '0' is not allowed", "a number of targets from 1"]),
    ("task-rate-control-format", "101-percent", "run", {"maxErrors": "101%"}, ["maxErrors: '101%' is not allowed"]),
    ("task-rate-control-format", "decimal", "run", {"maxConcurrency": "1.5"}, ["'1.5' is not allowed"]),
    ("task-rate-control-format", "too-long", "run", {"maxConcurrency": "12345678"},
     ["'12345678' is 8 characters long"]),
    ("task-rate-control-format", "leading-zero", "run", {"maxErrors": "05%"}, ["'05%' is not allowed"]),
    ("task-rate-control-format", "missing-with-targets", "run", {"maxConcurrency": DELETE, "maxErrors": DELETE},
     ["maxConcurrency is not set, and AWS requires it on a task with targets", "maxErrors is not set"]),
    ("task-rate-control-format", "set-without-targets", "lambda", {"maxConcurrency": "1", "maxErrors": "1"},
     ["maxConcurrency is '1' on a task without targets", "maxErrors is '1' on a task without targets"]),
    ("task-rate-control-format", "number-not-string", "run", {"maxErrors": 1.0}, ["expected a string, got 1"]),
    ("task-targets", "lab", "run", {}, None),
    ("task-targets", "targetless-lambda", "lambda", {}, None),
    ("task-targets", "ten-window-targets", "run", {"targets.0.values": IDS[:10]}, None),
    ("task-targets", "instances", "run", {"targets": [{"key": "InstanceIds", "values": ["i-0123456789abcdef0"]}]},
     None),
    ("task-targets", "run-command-without", "run", {"targets": DELETE},
     ["targets is null on a RUN_COMMAND task", "requires targets"]),
    ("task-targets", "run-command-empty", "run", {"targets": []}, ["targets is a list of 0 on a RUN_COMMAND task"]),
    ("task-targets", "eleven-window-targets", "run", {"targets.0.values": IDS},
     ["names 11 window targets", "at most 10 per task"]),
    ("task-targets", "eleven-over-two-pairs", "run",
     {"targets": [{"key": "WindowTargetIds", "values": IDS[:6]}, {"key": "WindowTargetIds", "values": IDS[6:]}]},
     ["names 11 window targets"]),
    ("task-targets", "six-pairs", "run", {"targets": [{"key": "InstanceIds", "values": ["i-01234567"]}] * 6},
     ["targets: 6 items"]),
    ("task-targets", "tag-key", "run", {"targets": [{"key": "tag:Workload", "values": ["Test"]}]},
     ["targets[0].key is 'tag:Workload'", "allowed: WindowTargetIds, InstanceIds"]),
    ("task-targets", "no-values", "run", {"targets.0.values": []}, ["targets[0].values is a list of 0"]),
    ("task-targets", "not-a-target-id", "run", {"targets.0.values": ["web-servers"]},
     ["targets[0].values[0]: 'web-servers' is 11 characters long", "36 characters"]),
    ("task-targets", "bad-instance", "run", {"targets": [{"key": "InstanceIds", "values": ["i-123"]}]},
     ["'i-123' is not allowed"]),
    ("task-priority", "lab", "run", {}, None),
    ("task-priority", "zero", "run", {"priority": 0.0}, None),
    ("task-priority", "default", "run", {"priority": DELETE}, None),
    ("task-priority", "negative", "run", {"priority": -1.0}, ["priority: -1 is out of range", "at least 0"]),
    ("task-priority", "fraction", "run", {"priority": 1.5}, ["expected a whole number, got 1.5"]),
    ("task-priority", "largest-32-bit", "run", {"priority": 2147483647.0}, None),
    # The model's integer is 32-bit: botocore sends 2**31 and the service refuses it.
    ("task-priority", "2-to-the-31", "run", {"priority": 2.0**31},
     ["priority: 2147483648 is out of range", "at most 2,147,483,647", "to 2147483647"]),
    ("task-priority", "1e308", "run", {"priority": 1e308},
     ["priority: 100... (309 digits) is out of range", "AWS's integers are 32-bit"]),
    ("task-cutoff-behavior", "lab", "run", {}, None),
    ("task-cutoff-behavior", "continue", "run", {"cutoffBehavior": "CONTINUE_TASK"}, None),
    ("task-cutoff-behavior", "default", "run", {"cutoffBehavior": DELETE}, None),
    ("task-cutoff-behavior", "stop", "run", {"cutoffBehavior": "STOP"},
     ["cutoffBehavior: 'STOP' is not allowed", "CONTINUE_TASK, CANCEL_TASK"]),
    ("task-name-description", "lab", "run", {}, None),
    ("task-name-description", "space", "run", {"name": "patch now"}, ["name: 'patch now' is not allowed"]),
    ("task-name-description", "long-description", "run", {"description": "x" * 200}, ["200 characters"]),
    ("task-run-command-parameters", "lab", "run", {}, None),
    ("task-run-command-parameters", "none", "run", {"taskInvocationParameters": DELETE}, None),
    ("task-run-command-parameters", "bounds", "run", {f"{RC}.timeoutSeconds": 30.0, f"{RC}.comment": "c" * 100,
                                                      f"{RC}.outputS3Bucket": "mw-logs.example-123",
                                                      f"{RC}.outputS3KeyPrefix": "p" * 500,
                                                      f"{RC}.documentVersion": "12"}, None),
    ("task-run-command-parameters", "max-timeout", "run", {f"{RC}.timeoutSeconds": 2592000.0}, None),
    ("task-run-command-parameters", "notifications", "run",
     {f"{RC}.notificationConfig": {"notificationArn": TOPIC, "notificationEvents": ["TimedOut", "Failed"],
                                   "notificationType": "Command"}, f"{RC}.serviceRoleArn": NOTIFY_ROLE}, None),
    ("task-run-command-parameters", "timeout-low", "run", {f"{RC}.timeoutSeconds": 29.0},
     ["runCommandParameters.timeoutSeconds: 29 is out of range", "30 to 2592000"]),
    ("task-run-command-parameters", "timeout-high", "run", {f"{RC}.timeoutSeconds": 2592001.0},
     ["2592001 is out of range"]),
    ("task-run-command-parameters", "comment", "run", {f"{RC}.comment": "c" * 101}, ["comment:", "101 characters"]),
    ("task-run-command-parameters", "version-zero", "run", {f"{RC}.documentVersion": "0"},
     ["documentVersion: '0' is not allowed", "$LATEST, $DEFAULT or a version number"]),
    ("task-run-command-parameters", "version-word", "run", {f"{RC}.documentVersion": "latest"},
     ["'latest' is not allowed"]),
    ("task-run-command-parameters", "hash-type", "run", {f"{RC}.documentHashType": "Md5"}, ["'Md5' is not allowed"]),
    ("task-run-command-parameters", "hash-long", "run", {f"{RC}.documentHash": "a" * 257}, ["257 characters"]),
    ("task-run-command-parameters", "bucket-arn", "run", {f"{RC}.outputS3Bucket": "arn:aws:s3:::mw-logs"},
     ["outputS3Bucket: 'arn:aws:s3:::mw-logs' is not allowed", "lowercase letters"]),
    ("task-run-command-parameters", "bucket-upper", "run", {f"{RC}.outputS3Bucket": "MW-Logs"},
     ["'MW-Logs' is not allowed"]),
    ("task-run-command-parameters", "bucket-ip", "run", {f"{RC}.outputS3Bucket": "10.0.0.1"},
     ["'10.0.0.1' is not allowed"]),
    ("task-run-command-parameters", "bucket-dots", "run", {f"{RC}.outputS3Bucket": "mw..logs"},
     ["'mw..logs' is not allowed"]),
    ("task-run-command-parameters", "bucket-short", "run", {f"{RC}.outputS3Bucket": "mw"}, ["'mw' is 2 characters"]),
    ("task-run-command-parameters", "bucket-suffix", "run", {f"{RC}.outputS3Bucket": "mw-logs-s3alias"},
     ["'mw-logs-s3alias' is not allowed"]),
    ("task-run-command-parameters", "prefix-long", "run", {f"{RC}.outputS3KeyPrefix": "p" * 501},
     ["outputS3KeyPrefix:", "501 characters"]),
    ("task-run-command-parameters", "event", "run", {f"{RC}.notificationConfig": {"notificationEvents": ["Failure"]}},
     ["notificationEvents[0]: 'Failure' is not allowed", "All, InProgress, Success, TimedOut, Cancelled, Failed"]),
    ("task-run-command-parameters", "notification-type", "run",
     {f"{RC}.notificationConfig": {"notificationType": "Instance"}}, ["notificationType: 'Instance' is not allowed"]),
    ("task-run-command-parameters", "log-group", "run", {f"{RC}.cloudwatchConfig.cloudwatchLogGroupName": ""},
     ["cloudwatchLogGroupName: '' is 0 characters long"]),
    ("task-run-command-parameters", "parameter-name", "run", {f"{RC}.parameters.0.name": ""},
     ["parameters[0].name is ''"]),
    ("task-automation-parameters", "lab", "automation", {}, None),
    ("task-automation-parameters", "version", "automation",
     {"taskInvocationParameters.automationParameters.documentVersion": "v2"}, ["documentVersion: 'v2' is not allowed"]),
    ("task-automation-parameters", "long-name", "automation",
     {"taskInvocationParameters.automationParameters.parameters.0.name": "n" * 51}, ["51 characters", "1 to 50"]),
    ("task-automation-parameters", "empty-value", "automation",
     {"taskInvocationParameters.automationParameters.parameters.0.values": [""]}, ["values[0]: '' is 0 characters"]),
    ("task-automation-parameters", "51-values", "automation",
     {"taskInvocationParameters.automationParameters.parameters.0.values": ["v"] * 51}, ["51 items", "0 to 50 items"]),
    ("task-automation-parameters", "201-parameters", "automation",
     {"taskInvocationParameters.automationParameters.parameters": [{"name": f"p{i}", "values": ["v"]}
                                                                   for i in range(201)]},
     ["has 201 entries", "1 to 200 entries"]),
    ("task-lambda-parameters", "lab", "lambda", {}, None),
    ("task-lambda-parameters", "payload-4096", "lambda",
     {"taskInvocationParameters.lambdaParameters.payload": "x" * 4096}, None),
    ("task-lambda-parameters", "payload-4097", "lambda",
     {"taskInvocationParameters.lambdaParameters.payload": "x" * 4097},
     ["payload:", "4097 bytes long", "at most 4096 bytes"]),
    ("task-lambda-parameters", "payload-multibyte", "lambda",
     {"taskInvocationParameters.lambdaParameters.payload": "é" * 2049}, ["4098 bytes long"]),
    ("task-lambda-parameters", "qualifier", "lambda", {"taskInvocationParameters.lambdaParameters.qualifier": ""},
     ["qualifier: '' is 0 characters"]),
    ("task-lambda-parameters", "client-context", "lambda",
     {"taskInvocationParameters.lambdaParameters.clientContext": "c" * 8001}, ["8001 characters", "1 to 8000"]),
    ("task-step-functions-parameters", "lab", "sfn", {}, None),
    ("task-step-functions-parameters", "input-4096", "sfn",
     {"taskInvocationParameters.stepFunctionsParameters.input": "x" * 4096}, None),
    ("task-step-functions-parameters", "input-4097", "sfn",
     {"taskInvocationParameters.stepFunctionsParameters.input": "x" * 4097}, ["input:", "4097 characters"]),
    ("task-step-functions-parameters", "name-80", "sfn",
     {"taskInvocationParameters.stepFunctionsParameters.name": "n" * 80}, None),
    ("task-step-functions-parameters", "name-81", "sfn",
     {"taskInvocationParameters.stepFunctionsParameters.name": "n" * 81}, ["81 characters", "1 to 80"]),
    ("task-step-functions-parameters", "name-space", "sfn",
     {"taskInvocationParameters.stepFunctionsParameters.name": "nightly run"},
     ["name: 'nightly run' is not allowed", "no white space"]),
    ("task-step-functions-parameters", "name-colon", "sfn",
     {"taskInvocationParameters.stepFunctionsParameters.name": "run:1"}, ["'run:1' is not allowed"]),
    ("task-service-role", "lab", "run", {}, None),
    ("task-service-role", "path", "run", {"serviceRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ops/mw/Role"}, None),
    ("task-service-role", "china", "run", {"serviceRoleArn": f"arn:aws-cn:iam::{ACCOUNT}:role/mw"}, None),
    ("task-service-role", "missing", "run", {"serviceRoleArn": DELETE},
     ["serviceRoleArn (the role the task runs as) is not set", "AWSServiceRoleForAmazonSSM"]),
    ("task-service-role", "role-name", "run", {"serviceRoleArn": "SSMMaintenanceWindowRole"},
     ["serviceRoleArn 'SSMMaintenanceWindowRole' is not an IAM role ARN"]),
    ("task-service-role", "user-arn", "run", {"serviceRoleArn": f"arn:aws:iam::{ACCOUNT}:user/ops"},
     ["is not an IAM role ARN"]),
    ("task-service-role", "service-linked", "run",
     {"serviceRoleArn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"},
     ["is the Systems Manager service-linked role"]),
    ("task-notification-role", "lab", "run", {}, None),
    ("task-notification-role", "both", "run",
     {f"{RC}.notificationConfig": {"notificationArn": TOPIC}, f"{RC}.serviceRoleArn": NOTIFY_ROLE}, None),
    ("task-notification-role", "topic-only", "run", {f"{RC}.notificationConfig": {"notificationArn": TOPIC}},
     ["runCommandParameters.serviceRoleArn (the notification role, not the task's serviceRoleArn) is not set"]),
    ("task-notification-role", "role-only", "run", {f"{RC}.serviceRoleArn": ROLE_ARN},
     ["no notificationArn is set; this field is the SNS notification role"]),
    ("task-rate-control", "lab", "run", {}, None),
    ("task-rate-control", "at-ceilings", "run", {"maxConcurrency": "25%", "maxErrors": "10%"}, None),
    ("task-rate-control", "counts", "run", {"maxConcurrency": "10", "maxErrors": "5"}, None),
    ("task-rate-control", "malformed-is-format-rule", "run", {"maxConcurrency": "lots"}, None),
    ("task-rate-control", "all-at-once", "run", {"maxConcurrency": "100%"},
     ["maxConcurrency '100%' runs on 100% of the targets at once", "at most 25%"]),
    ("task-rate-control", "many-errors", "run", {"maxErrors": "50%"},
     ["maxErrors '50%' lets 50% of the targets fail", "at most 10%"]),
    ("task-rate-control", "count-concurrency", "run", {"maxConcurrency": "11"},
     ["maxConcurrency '11' runs on 11 targets at once", "at most 10"]),
    ("task-rate-control", "count-errors", "run", {"maxErrors": "6"}, ["maxErrors '6' lets 6 targets fail"]),
]


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize(("rule", "case_id", "base", "changes", "expect"), CASES,
                         ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_task_rule(rule: str, case_id: str, base: str, changes: dict[str, Any], expect: list[str] | None,
                   env: str) -> None:
    found = run_resource(rule, TASK_TYPE, variant(BASES[base], changes), env=env, name="patch")
    if expect is None:
        assert found == []
    else:
        assert_violations(found, rule, env, expect, "patch")


@pytest.mark.parametrize(
    ("config", "changes", "expect"),
    [
        ({"maxConcurrencyPercent": 50}, {"maxConcurrency": "50%"}, None),
        ({"maxConcurrencyPercent": 50}, {"maxConcurrency": "51%"}, ["at most 50%"]),
        ({"maxErrorsCount": 0}, {"maxErrors": "1"}, ["maxErrors '1' lets 1 targets fail", "at most 0"]),
        ({"maxErrorsCount": 0}, {"maxErrors": "0"}, None),
        ({"maxConcurrencyCount": 100}, {"maxConcurrency": "100"}, None),
        # The engine may send config numbers as floats.
        ({"maxConcurrencyCount": 2.0}, {"maxConcurrency": "3"}, ["at most 2"]),
        # A value of the wrong type falls back to the prod-safe default.
        ({"maxErrorsPercent": "lots"}, {"maxErrors": "11%"}, ["at most 10%"]),
    ],
)
def test_task_rate_control_config(config: dict[str, Any], changes: dict[str, Any], expect: list[str] | None) -> None:
    found = run_resource("task-rate-control", TASK_TYPE, variant(TASK, changes), name="patch", config=config)
    if expect is None:
        assert found == []
    else:
        assert_violations(found, "task-rate-control", "prod", expect, "patch")


def test_task_rate_control_defaults_apply_without_config() -> None:
    """A caller that sends no config at all (not the CLI) still gets the prod-safe ceilings."""
    found = run_resource("task-rate-control", TASK_TYPE, variant(TASK, {"maxConcurrency": "26%"}), name="patch",
                         config={})
    assert_violations(found, "task-rate-control", "prod", ["at most 25%"], "patch")


@pytest.mark.parametrize(
    ("base", "changes", "rules"),
    [
        # A window target's ID is an output: unknown while previewing a new stack.
        ("run", {"targets.0.values.0": UNKNOWN_STRING}, ["task-targets", "task-rate-control-format"]),
        ("run", {"targets": UNKNOWN_ARRAY}, ["task-targets", "task-rate-control-format", "task-rate-control"]),
        ("run", {"serviceRoleArn": UNKNOWN_STRING}, ["task-service-role"]),
        ("run", {"taskInvocationParameters": UNKNOWN_OBJECT}, ["task-type", "task-run-command-parameters"]),
        ("run", {f"{RC}.notificationConfig": {"notificationArn": UNKNOWN_STRING}, f"{RC}.serviceRoleArn": NOTIFY_ROLE},
         ["task-notification-role", "task-run-command-parameters"]),
        ("lambda", {"taskArn": UNKNOWN_STRING}, ["task-type"]),
        ("run", {"maxConcurrency": UNKNOWN_STRING, "maxErrors": UNKNOWN_STRING},
         ["task-rate-control-format", "task-rate-control"]),
    ],
)
def test_task_rules_skip_unknown_values(base: str, changes: dict[str, Any], rules: list[str]) -> None:
    props = variant(BASES[base], changes)
    for rule in rules:
        assert run_resource(rule, TASK_TYPE, props) == [], rule


def test_unknown_targets_do_not_make_a_task_targetless() -> None:
    """With targets unknown the task may or may not have targets: present rate control is only format-checked."""
    props = variant(TASK, {"targets": UNKNOWN_ARRAY, "maxConcurrency": "0"})
    found = run_resource("task-rate-control-format", TASK_TYPE, props, name="patch")
    assert_violations(found, "task-rate-control-format", "prod", ["maxConcurrency: '0' is not allowed"], "patch")
    assert all("without targets" not in v.message for v in found)


def test_window_target_id_checked_when_known_only() -> None:
    found = run_resource("task-targets", TASK_TYPE, variant(TASK, {"targets.0.values": [UNKNOWN_STRING, "nope"]}),
                         name="patch")
    assert_violations(found, "task-targets", "prod", ["targets[0].values[1]: 'nope'"], "patch")
    assert TARGET_ID not in "\n".join(v.message for v in found)
