"""Compliant property sets in wire form (camelCase keys, numbers as floats), after the AWS lab's values,
and a compliant stack built from them. Tests derive non-compliant sets from these with ``variant``."""

from __future__ import annotations

import json
from typing import Any

from .harness import UNKNOWN_STRING, StackBuilder

ACCOUNT = "123456789012"
WINDOW_ID = "mw-0c50858d01234abcd"
TARGET_ID = "e32eecb2-646c-4f4b-8ed1-205fb0123456"
ROLE_NAME = "SSMMaintenanceWindowRole"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}"
MANAGED_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonSSMMaintenanceWindowRole"

WINDOW_TYPE = "aws:ssm/maintenanceWindow:MaintenanceWindow"
TARGET_TYPE = "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget"
TASK_TYPE = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"
ROLE_TYPE = "aws:iam/role:Role"
ROLE_POLICY_TYPE = "aws:iam/rolePolicy:RolePolicy"
POLICY_TYPE = "aws:iam/policy:Policy"
ATTACHMENT_TYPE = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
GROUP_ATTACHMENT_TYPE = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"

WINDOW: dict[str, Any] = {
    "name": "PatchTestWorkloadWebServers",
    "description": "Patch the test workload web servers",
    "schedule": "cron(0 2 ? * * *)",
    "duration": 3.0,
    "cutoff": 1.0,
    "allowUnassociatedTargets": False,
    "enabled": True,
    "tags": {"Project": "maintenance-windows"},
}

TARGET: dict[str, Any] = {
    "windowId": WINDOW_ID,
    "resourceType": "INSTANCE",
    "targets": [
        {"key": "tag:Workload", "values": ["Test"]},
        {"key": "tag:InstanceRole", "values": ["WebServer"]},
    ],
    "name": "TestWebServers",
    "description": "Test web servers",
    "ownerInformation": "web-team",
}

TASK: dict[str, Any] = {
    "windowId": WINDOW_ID,
    "taskType": "RUN_COMMAND",
    "taskArn": "AWS-RunPatchBaseline",
    "priority": 1.0,
    "maxConcurrency": "1",
    "maxErrors": "1",
    "serviceRoleArn": ROLE_ARN,
    "targets": [{"key": "WindowTargetIds", "values": [TARGET_ID]}],
    "cutoffBehavior": "CANCEL_TASK",
    "name": "PatchTestWorkloadWebServers",
    "description": "Install missing patches",
    "taskInvocationParameters": {
        "runCommandParameters": {
            "parameters": [{"name": "Operation", "values": ["Install"]}],
            "timeoutSeconds": 600.0,
            "documentVersion": "$DEFAULT",
            "comment": "lab patching",
            "cloudwatchConfig": {"cloudwatchOutputEnabled": True},
        }
    },
}

LAMBDA_TASK: dict[str, Any] = {
    "windowId": WINDOW_ID,
    "taskType": "LAMBDA",
    "taskArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:SSMRotateLogs",
    "priority": 2.0,
    "serviceRoleArn": ROLE_ARN,
    "taskInvocationParameters": {"lambdaParameters": {"payload": json.dumps({"dryRun": False}), "qualifier": "live"}},
}

STEP_FUNCTIONS_TASK: dict[str, Any] = {
    "windowId": WINDOW_ID,
    "taskType": "STEP_FUNCTIONS",
    "taskArn": f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:SSMNightly",
    "priority": 3.0,
    "serviceRoleArn": ROLE_ARN,
    "taskInvocationParameters": {"stepFunctionsParameters": {"input": "{}", "name": "nightly-run"}},
}

AUTOMATION_TASK: dict[str, Any] = {
    "windowId": WINDOW_ID,
    "taskType": "AUTOMATION",
    "taskArn": "AWS-RestartEC2Instance",
    "priority": 4.0,
    "maxConcurrency": "10%",
    "maxErrors": "0",
    "serviceRoleArn": ROLE_ARN,
    "targets": [{"key": "WindowTargetIds", "values": [TARGET_ID]}],
    "taskInvocationParameters": {
        "automationParameters": {"documentVersion": "$LATEST",
                                 "parameters": [{"name": "InstanceId", "values": ["{{RESOURCE_ID}}"]}]}
    },
}


def trust_policy(*services: str, condition: dict[str, Any] | None = None, guarded: bool = True) -> str:
    """A trust policy for ``services``; by default guarded by aws:SourceAccount."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": list(services) or ["ssm.amazonaws.com"]},
        "Action": "sts:AssumeRole",
    }
    if guarded:
        statement["Condition"] = condition or {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


ROLE: dict[str, Any] = {
    "name": ROLE_NAME,
    "description": "Role for Amazon SSMMaintenanceWindow",
    "assumeRolePolicy": trust_policy("ssm.amazonaws.com"),
    "tags": {"Project": "maintenance-windows"},
}

PASS_ROLE_POLICY: dict[str, Any] = {
    "name": "SSMMaintenanceWindowPassRole",
    "description": "Pass the maintenance window role to Systems Manager",
    "policy": json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PassMaintenanceWindowRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": ROLE_ARN,
                "Condition": {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}},
            },
            {"Sid": "ListRoles", "Effect": "Allow", "Action": ["iam:ListRoles", "iam:GetRole"], "Resource": "*"},
        ],
    }),
}

ROLE_POLICY: dict[str, Any] = {
    "role": ROLE_NAME,
    "name": "notify",
    "policy": json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sns:Publish",
                       "Resource": f"arn:aws:sns:us-east-1:{ACCOUNT}:mw-notifications"}],
    }),
}

ATTACHMENT: dict[str, Any] = {"role": ROLE_NAME, "policyArn": MANAGED_POLICY}


def lab_stack() -> StackBuilder:
    """The lab as a stack during the first preview: IDs and ARNs are outputs of resources not created yet,
    so they are unknown, and the links are property dependencies."""
    target = {**TARGET, "windowId": UNKNOWN_STRING}
    task = {**TASK, "windowId": UNKNOWN_STRING, "serviceRoleArn": UNKNOWN_STRING,
            "targets": [{"key": "WindowTargetIds", "values": [UNKNOWN_STRING]}]}
    return (
        StackBuilder()
        .add("maintenance-windows:iam:ServiceRole", "service-role", {})
        .add(ROLE_TYPE, "role", ROLE, parent="service-role")
        .add(ATTACHMENT_TYPE, "role-managed", ATTACHMENT, deps={"role": ["role"]}, parent="service-role")
        .add(ROLE_POLICY_TYPE, "role-notify", ROLE_POLICY, deps={"role": ["role"]}, parent="service-role")
        .add("maintenance-windows:iam:PassRolePolicy", "pass-role", {})
        .add(POLICY_TYPE, "pass-role-policy", {**PASS_ROLE_POLICY, "policy": UNKNOWN_STRING}, deps={"policy": ["role"]}, parent="pass-role")
        .add(GROUP_ATTACHMENT_TYPE, "pass-role-admins", {"group": "Administrators", "policyArn": "<policy arn>"},
             deps={"policyArn": ["pass-role-policy"]}, parent="pass-role")
        .add("maintenance-windows:ssm:MaintenanceWindow", "patching", {})
        .add(WINDOW_TYPE, "window", WINDOW, parent="patching")
        .add(TARGET_TYPE, "target", target, deps={"windowId": ["window"]}, parent="patching")
        .add(TASK_TYPE, "task", task, deps={"windowId": ["window"], "targets": ["target"],
                                             "serviceRoleArn": ["role"]}, parent="patching")
    )
