"""The stack config schema: good configs parse into the right args; each bad one gives its message."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from mw_components.task import AUTOMATION, LAMBDA, RUN_COMMAND, STEP_FUNCTIONS

import mw_config as config
from mw_core.errors import ConfigError


def base() -> dict[str, Any]:
    return {
        "serviceRole": {"name": "MwRole"},
        "passRole": {"groups": ["Administrators"]},
        "windows": [{
            "name": "Patching",
            "schedule": "cron(0 2 ? * * *)",
            "duration": 3,
            "cutoff": 1,
            "targets": [{"name": "WebServers", "tags": {"Workload": "Test", "InstanceRole": "WebServer"}}],
            "tasks": [{"name": "Install", "type": "RUN_COMMAND", "document": "AWS-RunPatchBaseline",
                       "targets": ["WebServers"], "maxConcurrency": 1, "maxErrors": 1,
                       "parameters": {"Operation": "Install"}}],
        }],
    }


def with_(path: str, value: Any, raw: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of ``raw`` (default :func:`base`) with ``value`` set at a dotted path (``windows.0.duration``)."""
    out = copy.deepcopy(raw if raw is not None else base())
    *parents, last = path.split(".")
    node: Any = out
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    elif value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return out


class _Deleted:
    """Removes the key; a fixed repr keeps the test IDs the same in every process (pytest-xdist)."""

    def __repr__(self) -> str:
        return "<deleted>"


_DELETE = _Deleted()
W = "windows.0"
T = "windows.0.tasks.0"


def problems_of(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        config.parse(raw)
    return [str(p) for p in caught.value.problems]


def test_base_parses():
    parsed = config.parse(base())
    (window,) = parsed.windows
    assert (window.name, window.duration, window.cutoff) == ("Patching", 3, 1)
    (task,) = window.tasks
    assert task.rate_control() == ("1", "1")
    assert task.parameters == {"Operation": ("Install",)}
    assert window.targets[0].tags == {"Workload": ("Test",), "InstanceRole": ("WebServer",)}


BAD = [
    # (what is changed, value, the message expected, as "path: text" fragments)
    ("windows.0.duration", 0, "windows[0].duration: 0 is out of range (allowed: 1 to 24)"),
    ("windows.0.duration", 25, "windows[0].duration: 25 is out of range (allowed: 1 to 24)"),
    ("windows.0.duration", "3", "windows[0].duration: expected a whole number of hours, got '3'"),
    ("windows.0.duration", True, "windows[0].duration: expected a whole number of hours, got true"),
    ("windows.0.duration", _DELETE, "windows[0].duration: required key is missing"),
    ("windows.0.cutoff", 3, "windows[0].cutoff: 3 must be less than duration (3)"),
    ("windows.0.cutoff", 24, "windows[0].cutoff: 24 is out of range (allowed: 0 to 23)"),
    ("windows.0.schedule", "cron(0 2 * * * *)", "windows[0].schedule: "),
    ("windows.0.schedule", "rate(1 days)", "windows[0].schedule: "),
    ("windows.0.schedule", "every day", "windows[0].schedule: "),
    ("windows.0.scheduleTimezone", "Mars/Olympus", "windows[0].scheduleTimezone: 'Mars/Olympus' is not an IANA time zone"),
    ("windows.0.scheduleOffset", 7, "windows[0].scheduleOffset: 7 is out of range (allowed: 1 to 6)"),
    ("windows.0.startDate", "yesterday", "windows[0].startDate: 'yesterday' is not an ISO-8601 timestamp"),
    ("windows.0.name", "Patch me", "windows[0].name: 'Patch me' is not allowed"),
    ("windows.0.name", "ab", "windows[0].name: 'ab' is 2 characters long (allowed: 3 to 128 characters"),
    ("windows.0.description", "", "windows[0].description: '' is 0 characters long (allowed: 1 to 128"),
    ("windows.0.allowUnregisteredTargets", "no", "windows[0].allowUnregisteredTargets: expected true or false, got 'no' (YAML 1.2 reads it as text; write true or false)"),
    ("windows.0.schedul", "x", "windows[0].schedul: unknown key (did you mean 'schedule'?"),
    ("windows.0.tags", {"Env": 1}, "windows[0].tags.Env: expected a string, got 1"),
    ("windows.0.targets.0", {"name": "WebServers"},
     "windows[0].targets[0]: give exactly one of tags (or tagKeys), instanceIds, resourceGroup; got none"),
    ("windows.0.targets.0", {"name": "WebServers", "tags": {"a": "b"}, "instanceIds": ["i-0123456789abcdef0"]},
     "windows[0].targets[0]: give exactly one of tags (or tagKeys), instanceIds, resourceGroup; got tags, instanceIds"),
    ("windows.0.targets.0.tags", {f"k{i}": "v" for i in range(6)},
     "windows[0].targets[0].tags: 6 tag conditions is too many (allowed: at most 5"),
    ("windows.0.targets.0.tags", {"Workload": [f"v{i}" for i in range(51)]},
     "windows[0].targets[0].tags.Workload: 51 values is too many (allowed: at most 50)"),
    ("windows.0.targets.0.tags", {"Workload": []}, "windows[0].targets[0].tags.Workload: expected at least one value"),
    ("windows.0.targets.0.tags", {"Workload": None},
     "windows[0].targets[0].tags.Workload: expected a string or a list of strings, got null"),
    ("windows.0.targets.0", {"name": "WebServers", "instanceIds": ["i-123"]},
     "windows[0].targets[0].instanceIds[0]: 'i-123' is not allowed"),
    ("windows.0.targets.0", {"name": "WebServers", "resourceGroup": {"resourceTypes": ["AWS::EC2::Instance"]}},
     "windows[0].targets[0].resourceGroup.name: required key is missing"),
    ("windows.0.tasks.0.targets", ["WebServer"],
     "windows[0].tasks[0].targets[0]: 'WebServer' is not a target of this window (its targets: WebServers)"),
    ("windows.0.tasks.0.targets", [], "windows[0].tasks[0].targets: a RUN_COMMAND task needs targets"),
    ("windows.0.tasks.0.type", "SHELL", "windows[0].tasks[0].type: 'SHELL' is not allowed (allowed: RUN_COMMAND, "),
    ("windows.0.tasks.0.document", _DELETE, "windows[0].tasks[0].document: required key is missing for a RUN_COMMAND"),
    ("windows.0.tasks.0.maxConcurrency", "0", "windows[0].tasks[0].maxConcurrency: '0' is not allowed"),
    ("windows.0.tasks.0.maxConcurrency", "101%", "windows[0].tasks[0].maxConcurrency: '101%' is "),
    ("windows.0.tasks.0.maxErrors", "-1", "windows[0].tasks[0].maxErrors: '-1' is not allowed"),
    ("windows.0.tasks.0.maxErrors", 1.5, "windows[0].tasks[0].maxErrors: expected a number or a percentage"),
    ("windows.0.tasks.0.priority", -1, "windows[0].tasks[0].priority: -1 is out of range (allowed: at least 0)"),
    # The model's integer is 32 bits; 1e308 is an integral float, read as a (309-digit) whole number.
    ("windows.0.tasks.0.priority", 2**31, "windows[0].tasks[0].priority: 2147483648 is out of range (allowed: at "
                                          "least 0, and at most 2,147,483,647: AWS's integers are 32-bit)"),
    ("windows.0.tasks.0.priority", 1e308, "windows[0].tasks[0].priority: 100... (309 digits) is out of range"),
    ("windows.0.tasks.0.cutoffBehavior", "STOP", "windows[0].tasks[0].cutoffBehavior: 'STOP' is not allowed"),
    ("windows.0.tasks.0.timeoutSeconds", 10, "windows[0].tasks[0].timeoutSeconds: 10 is out of range"),
    ("windows.0.tasks.0.comment", "x" * 101, "windows[0].tasks[0].comment: "),
    ("windows.0.tasks.0.documentVersion", "latest", "windows[0].tasks[0].documentVersion: 'latest' is not allowed"),
    ("windows.0.tasks.0.payload", "{}", "windows[0].tasks[0].payload: not allowed on a RUN_COMMAND task (it belongs"),
    ("windows.0.tasks.0.outputS3", {"bucket": "My_Bucket"}, "windows[0].tasks[0].outputS3.bucket: 'My_Bucket'"),
    ("windows.0.tasks.0.outputS3", {"keyPrefix": "x/"}, "windows[0].tasks[0].outputS3.bucket: required key is missing"),
    ("windows.0.tasks.0.notifications", {"topicArn": "arn:aws:sns:us-east-1:1:t", "events": ["Boom"]},
     "windows[0].tasks[0].notifications.events[0]: 'Boom' is not allowed"),
    ("windows.0.tasks.0.notifications", {"topicArn": "arn:aws:sns:us-east-1:1:t", "type": "Email"},
     "windows[0].tasks[0].notifications.type: 'Email' is not allowed"),
    ("windows.0.tasks.0.instanceIds", ["i-0123456789abcdef0"],
     "windows[0].tasks[0].instanceIds: give targets or instanceIds, not both"),
    ("windows.0.tasks.0.targets", [f"t{i}" for i in range(11)], "windows[0].tasks[0].targets: 11 targets is too many"),
    ("windows.0.tasks.0.parameters", {"Operation": {"x": 1}},
     "windows[0].tasks[0].parameters.Operation: expected a list of strings, got a mapping"),
    ("serviceRole", {"arn": "arn:aws:iam::123456789012:role/R", "name": "X"},
     "serviceRole.name: not allowed with arn"),
    ("serviceRole", {"arn": "arn:aws:iam::123456789012:role/*"}, "serviceRole.arn: 'arn:aws:iam::123456789012:role/*'"),
    ("serviceRole", {"trustedServices": ["ec2.amazonaws.com"]},
     "serviceRole.trustedServices: ['ec2.amazonaws.com'] must include ssm.amazonaws.com"),
    ("serviceRole", {"trustedServices": ["ssm.amazonaws.com", "bob"]},
     "serviceRole.trustedServices[1]: 'bob' is not a service principal"),
    ("serviceRole", {"name": "x" * 65}, "serviceRole.name: "),
    ("passRole", {"groups": "Administrators"}, "passRole.groups: expected a list of strings, got 'Administrators'"),
    ("passRole", {"groups": ["Admins", "Admins"]}, "passRole.groups: lists a name more than once"),
    ("passRole", {"group": ["Admins"]}, "passRole.group: unknown key (did you mean 'groups'?"),
    ("windows", {"name": "x"}, "windows: expected a list, got a mapping"),
    ("windows.0.tasks.0.outputS3", True, "windows[0].tasks[0].outputS3: true needs the stack's own maintenance-windows:outputBucket"),
    ("windows.0.tasks.0.notifications", {"events": ["Failed"]}, "windows[0].tasks[0].notifications.topicArn: required key is missing"),
    ("outputBucket", {"expirationDays": -5}, "outputBucket.expirationDays: -5 is out of range"),
    ("outputBucket", {"bucketName": "UPPER"}, "outputBucket.bucketName: 'UPPER'"),
    ("outputBucket", {"forceDestroy": True}, "outputBucket.forceDestroy: unknown key"),
    ("notifications", {"kmsMasterKeyId": ""}, "notifications.kmsMasterKeyId: '' is not allowed: the topic is always encrypted"),
    ("notifications", {"emailSubscriptions": ["ops"]}, "notifications.emailSubscriptions[0]: 'ops' is not an e-mail address"),
    ("cloudWatchOutput", {"retentionInDays": 10}, "cloudWatchOutput.retentionInDays: 10 is not allowed (allowed: 1, 3, 5"),
    ("patchBaselines", [{"name": "Base", "operatingSystem": "WINDOWS"}], "patchBaselines[0].approvalRules: a baseline needs approvalRules or approvedPatches"),
    ("patchBaselines", [{"name": "Base", "operatingSystem": "WINDOWS", "approvedPatches": ["KB1"], "patchGroup": "x"}], "patchBaselines[0].patchGroup: unknown key (did you mean 'patchGroups'?"),
    ("patchBaselines", [{"name": "Base", "operatingSystem": "WINDOWS", "approvalRules": [{"filters": {"SEVERITY": "Critical"}, "approveAfterDays": 999}]}], "patchBaselines[0].approvalRules[0].approveAfterDays: 999 is out of range"),
    ("regions", ["us-east-1", "mars-1"], "regions[1]: 'mars-1' is not an AWS region (allowed: a region of aws, "),
    ("regions", ["zz-nowhere-9"], "regions[0]: 'zz-nowhere-9' is not an AWS region"),
    ("regions", ["us-esat-1"], "regions[0]: 'us-esat-1' is not an AWS region (allowed: a region of aws, aws-cn, "),
    ("regions", ["us-esat-1"], "did you mean us-east-1 or"),
    ("regions", ["us-fake-9"], "regions[0]: 'us-fake-9' is not an AWS region"),  # fits the old pattern
    ("regions", ["us-east-1", "us-east-1"], "regions[1]: 'us-east-1' is listed more than once"),
    ("window", [], "window: unknown key (did you mean 'windows'?"),
    ("allowWildcards", "yes", "allowWildcards: expected true or false, got 'yes'"),
    # --- Tags of every resource the stack tags: length, characters, the reserved aws: prefix in any case.
    ("windows.0.tags", {"aws:owner": "me"},
     "windows[0].tags.aws:owner: 'aws:owner' starts with 'aws:', which AWS reserves for its own tags"),
    ("windows.0.tags", {"AWS:Owner": "me"}, "windows[0].tags.AWS:Owner: 'AWS:Owner' starts with 'aws:'"),
    ("windows.0.tags", {"k" * 129: "v"}, "windows[0].tags: tag key 'kkkkk"),
    ("windows.0.tags", {"k" * 129: "v"}, "is 129 characters long (allowed: 1 to 128 characters"),
    ("windows.0.tags", {"Env\x00": "prod"}, "windows[0].tags: tag key 'Env\\x00' is not allowed (allowed: 1 to 128"),
    ("windows.0.tags", {"Env": "prod\x00"}, "windows[0].tags.Env: value 'prod\\x00' is not allowed (allowed: 0 to 256"),
    ("windows.0.tags", {"Env": "x" * 257}, "windows[0].tags.Env: value 'xxx"),
    ("windows.0.tags", {"Env": "a#b"}, "windows[0].tags.Env: value 'a#b' is not allowed"),
    ("windows.0.tags", {f"k{i}": "v" for i in range(51)}, "windows[0].tags: 51 tags is too many (allowed: at most 50)"),
    ("serviceRole", {"tags": {"aws:team": "x"}}, "serviceRole.tags.aws:team: 'aws:team' starts with 'aws:'"),
    ("serviceRole", {"tags": {"Team": "a", "team": "b"}},
     "serviceRole.tags.team: 'team' and 'Team' differ only in case, and IAM role tag keys are not case sensitive"),
    ("outputBucket", {"tags": {"Aws:x": "y"}}, "outputBucket.tags.Aws:x: 'Aws:x' starts with 'aws:'"),
    ("notifications", {"tags": {"Env": "\x07"}}, "notifications.tags.Env: value '\\x07' is not allowed"),
    ("cloudWatchOutput", {"tags": {"": "x"}}, "cloudWatchOutput.tags: tag key '' is 0 characters long"),
    ("patchBaselines", [{"name": "Base", "operatingSystem": "WINDOWS", "approvedPatches": ["KB1"],
                         "tags": {"aws:x": "y"}}], "patchBaselines[0].tags.aws:x: 'aws:x' starts with 'aws:'"),
    # --- Target tag conditions: EC2 keys have at most 128 characters; no control characters.
    ("windows.0.targets.0.tags", {"k" * 129: "v"}, "windows[0].targets[0].tags: tag key 'kkkk"),
    ("windows.0.targets.0.tags", {"k" * 129: "v"},
     "(allowed: 1 to 128 characters): an EC2 tag key has at most 128 characters, so a longer condition never matches"),
    ("windows.0.targets.0.tags", {"Env\x07": "v"}, "windows[0].targets[0].tags: tag key 'Env\\x07' is not allowed"),
    ("windows.0.targets.0.tags", {"Env": ["a", "b\x00"]},
     "windows[0].targets[0].tags.Env[1]: 'b\\x00' holds a control character"),
    ("windows.0.targets.0.tags", {"Env": "v" * 257}, "windows[0].targets[0].tags.Env: 'vvv"),
    ("windows.0.targets.0.tags", {"a+b": "v"}, "windows[0].targets[0].tags.a+b: 'tag:a+b' is not allowed"),
    ("windows.0.targets.0", {"name": "WebServers", "tagKeys": ["k" * 129]}, "windows[0].targets[0].tagKeys[0]: 'kkk"),
    ("windows.0.targets.0", {"name": "WebServers", "tagKeys": ["Patch\n"]},
     "windows[0].targets[0].tagKeys[0]: 'Patch\\n' is not allowed"),
    # --- Documents: SendCommand / StartAutomationExecution take DocumentARN.
    ("windows.0.tasks.0.document", "AWS RunPatchBaseline",
     "windows[0].tasks[0].document: 'AWS RunPatchBaseline' is not allowed (allowed: 3 to 128 letters, digits and"),
    ("windows.0.tasks.0.document", "..", "windows[0].tasks[0].document: '..' is not allowed"),
    ("windows.0.tasks.0", {"name": "Restart", "type": "AUTOMATION", "document": "AWS-Restart;EC2"},
     "windows[0].tasks[0].document: 'AWS-Restart;EC2' is not allowed"),
    # --- ARNs that become grants: no wildcards without allowWildcards.
    ("windows.0.tasks.0", {"name": "Invoke", "type": "LAMBDA", "functionArn": "*"},
     "windows[0].tasks[0].functionArn: '*' is not a Lambda function ARN (allowed: "
     "arn:<partition>:lambda:<region>:<account>:function:<name>, or a function name starting with SSM; a wildcard "
     "only inside such an ARN, with maintenance-windows:allowWildcards: true)"),
    ("windows.0.tasks.0", {"name": "Invoke", "type": "LAMBDA", "functionArn": "arn:aws:lambda:*:*:function:*"},
     "windows[0].tasks[0].functionArn: 'arn:aws:lambda:*:*:function:*' has a wildcard in its region and so spans "
     "every region (allowed: arn:<partition>:lambda:<region>:<account>:function:<name> without * or ?; or set "
     "maintenance-windows:allowWildcards: true to leave wildcards to the policy pack's iam-resource-scope rule)"),
    ("windows.0.tasks.0", {"name": "Invoke", "type": "LAMBDA",
                           "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:Patch*"},
     "windows[0].tasks[0].functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:Patch*' has a wildcard in the "
     "resource's name"),
    ("windows.0.tasks.0", {"name": "Invoke", "type": "LAMBDA",
                           "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:Patch:?"},
     "windows[0].tasks[0].functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:Patch:?' holds a wildcard"),
    ("windows.0.tasks.0", {"name": "Invoke", "type": "LAMBDA", "functionArn": "PatchHook"},
     "windows[0].tasks[0].functionArn: 'PatchHook' names a function without its ARN, and the service role is granted "
     "lambda:InvokeFunction on exactly that function"),
    ("windows.0.tasks.0", {"name": "Invoke", "type": "LAMBDA",
                           "functionArn": "arn:aws:lambda:us-east-1:42:function:Patch"},
     "windows[0].tasks[0].functionArn: 'arn:aws:lambda:us-east-1:42:function:Patch': its account '42' is not an AWS "
     "account ID"),
    ("windows.0.tasks.0", {"name": "Invoke", "type": "LAMBDA",
                           "functionArn": "arn:aws:lambda:us-esat-1:123456789012:function:Patch"},
     "names a region AWS does not have: 'us-esat-1' is not an AWS region"),
    ("windows.0.tasks.0", {"name": "Invoke", "type": "LAMBDA",
                           "functionArn": "arn:aws:sns:us-east-1:123456789012:function:Patch"},
     "windows[0].tasks[0].functionArn: 'arn:aws:sns:us-east-1:123456789012:function:Patch' is not a Lambda function"),
    ("windows.0.tasks.0", {"name": "Flow", "type": "STEP_FUNCTIONS", "stateMachineArn": "arn:aws:states:*:*:stateMachine:*"},
     "windows[0].tasks[0].stateMachineArn: 'arn:aws:states:*:*:stateMachine:*' has a wildcard in its region"),
    ("windows.0.tasks.0", {"name": "Flow", "type": "STEP_FUNCTIONS", "stateMachineArn": "SSMFlow"},
     "windows[0].tasks[0].stateMachineArn: 'SSMFlow' is not a Step Functions state machine ARN"),
    ("windows.0.tasks.0", {"name": "Flow", "type": "STEP_FUNCTIONS",
                           "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:"},
     "windows[0].tasks[0].stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:' is not a Step "
     "Functions state machine ARN"),
    ("windows.0.tasks.0", {"name": "Flow", "type": "STEP_FUNCTIONS",
                           "stateMachineArn": "arn:aws-mars:states:us-east-1:123456789012:stateMachine:Flow"},
     "windows[0].tasks[0].stateMachineArn: 'arn:aws-mars:states:us-east-1:123456789012:stateMachine:Flow': "
     "'aws-mars' is not an AWS partition (allowed: aws, aws-cn, "),
    ("windows.0.tasks.0.notifications", {"topicArn": "arn:aws-cn:sns:us-east-1:123456789012:alerts"},
     "windows[0].tasks[0].notifications.topicArn: 'arn:aws-cn:sns:us-east-1:123456789012:alerts': region us-east-1 "
     "is in partition aws, not aws-cn"),
    ("windows.0.tasks.0.serviceRoleArn", "arn:aws:iam:us-east-1:123456789012:role/Ops",
     "windows[0].tasks[0].serviceRoleArn: 'arn:aws:iam:us-east-1:123456789012:role/Ops' names a region, which IAM "
     "role ARNs never do"),
    ("windows.0.tasks.0.notifications", {"topicArn": "*"},
     "windows[0].tasks[0].notifications.topicArn: '*' is not an SNS topic ARN"),
    ("windows.0.tasks.0.notifications", {"topicArn": "arn:aws:sns:*:*:*"},
     "windows[0].tasks[0].notifications.topicArn: 'arn:aws:sns:*:*:*' has a wildcard in its region"),
    ("windows.0.tasks.0.notifications", {"topicArn": "arn:aws:sns:us-east-1:123456789012:alerts-*"},
     "windows[0].tasks[0].notifications.topicArn: 'arn:aws:sns:us-east-1:123456789012:alerts-*' has a wildcard in "
     "the resource's name"),
    ("windows.0.tasks.0.outputS3", {"bucket": "*"}, "windows[0].tasks[0].outputS3.bucket: '*' is 1 character long"),
    ("windows.0.tasks.0.outputS3", {"bucket": "logs-*"}, "windows[0].tasks[0].outputS3.bucket: 'logs-*' is not allowed"),
    # --- Roles the config passes on: exactly one role, always.
    ("windows.0.tasks.0.serviceRoleArn", "arn:aws:iam::123456789012:role/*",
     "windows[0].tasks[0].serviceRoleArn: 'arn:aws:iam::123456789012:role/*' has a wildcard in the resource's name"),
    ("windows.0.tasks.0.serviceRoleArn", "arn:aws:iam::123456789012:user/ops",
     "windows[0].tasks[0].serviceRoleArn: 'arn:aws:iam::123456789012:user/ops' is not an IAM role ARN (allowed: "
     "arn:<partition>:iam::<account>:role/<path/><name>)"),
    ("windows.0.tasks.0.notifications", {"topicArn": "arn:aws:sns:us-east-1:123456789012:t",
                                         "roleArn": "arn:aws:iam::*:role/Admin"},
     "windows[0].tasks[0].notifications.roleArn: 'arn:aws:iam::*:role/Admin' has a wildcard in its account and so "
     "spans every account (allowed: exactly one role, arn:<partition>:iam::<account>:role/<path/><name>; "
     "maintenance-windows:allowWildcards does not apply"),
    ("windows.0.tasks.0", {"name": "Restart", "type": "AUTOMATION", "document": "AWS-RestartEC2Instance",
                           "parameters": {"AutomationAssumeRole": "arn:aws:iam::123456789012:role/?dmin"}},
     "windows[0].tasks[0].parameters.AutomationAssumeRole[0]: 'arn:aws:iam::123456789012:role/?dmin' has a wildcard"),
    ("serviceRole", {"arn": "arn:aws:iam::123456789012:role/Ops?"},
     "serviceRole.arn: 'arn:aws:iam::123456789012:role/Ops?' has a wildcard in the resource's name"),
    ("serviceRole", {"arn": "arn:aws:iam::123456789012:policy/Ops"}, "serviceRole.arn: 'arn:aws:iam::123456789012:"
                                                                     "policy/Ops' is not an IAM role ARN"),
    # --- The service role's own values.
    ("serviceRole", {"sourceAccount": "not an account"},
     "serviceRole.sourceAccount: 'not an account' is not an AWS account ID (allowed: 12 digits"),
    ("serviceRole", {"sourceAccount": "12345678901"}, "serviceRole.sourceAccount: '12345678901' is not an AWS account"),
    ("serviceRole", {"permissionsBoundary": "not-an-arn"},
     "serviceRole.permissionsBoundary: 'not-an-arn' is 10 characters long (allowed: 20 to 2048 characters, "
     "arn:<partition>:iam::<account or aws>:policy/<path/><name>)"),
    ("serviceRole", {"permissionsBoundary": "arn:aws:iam::123456789012:role/Boundary"},
     "serviceRole.permissionsBoundary: 'arn:aws:iam::123456789012:role/Boundary' is not allowed"),
    ("serviceRole", {"trustedServices": ["ssm.amazonaws.com\n"]},
     "serviceRole.trustedServices[0]: 'ssm.amazonaws.com\\n' is not a service principal"),
    # --- S3 lifecycle days: a non-zero positive 32-bit integer (0: no expiration rule).
    ("outputBucket", {"expirationDays": 3e9}, "outputBucket.expirationDays: 3000000000 is out of range (allowed: 1 to "
                                              "2147483647); 0 keeps output forever"),
    ("outputBucket", {"noncurrentVersionExpirationDays": 0},
     "outputBucket.noncurrentVersionExpirationDays: 0 is out of range (allowed: 1 to 2147483647)"),
    ("outputBucket", {"noncurrentVersionExpirationDays": 2**31},
     "outputBucket.noncurrentVersionExpirationDays: 2147483648 is out of range"),
    # --- What the models say themselves: missing keys with what is expected, values of the wrong kind.
    ("windows.0.duration", _DELETE, "windows[0].duration: required key is missing (expected a whole number of hours)"),
    ("windows.0.tasks.0.type", _DELETE, "windows[0].tasks[0].type: required key is missing (expected one of "
                                        "RUN_COMMAND, AUTOMATION, LAMBDA, STEP_FUNCTIONS)"),
    ("windows.0.tasks.0.outputS3", "yes", "windows[0].tasks[0].outputS3: expected true, false or a mapping, got 'yes'"),
    ("windows.0.targets.0.resourceGroup", "web", "windows[0].targets[0].resourceGroup: expected a mapping, got 'web'"),
    ("windows.0.tasks", ["Install"], "windows[0].tasks[0]: expected a mapping, got 'Install'"),
    ("regions", ["us-east-1", 5], "regions[1]: expected an AWS region such as us-east-1, got 5"),
    # A key of another task type says which type takes it, and what this one takes.
    ("windows.0.tasks.0.functionArn", "arn:aws:lambda:us-east-1:123456789012:function:F",
     "windows[0].tasks[0].functionArn: not allowed on a RUN_COMMAND task (it belongs to LAMBDA tasks; RUN_COMMAND "
     "takes: document, documentVersion, parameters, timeoutSeconds, comment, outputS3, cloudWatch, notifications)"),
    ("windows.0.tasks.0.cloudwatch", {}, "windows[0].tasks[0].cloudwatch: unknown key (did you mean 'cloudWatch'?"),
    # A Run Command task's CloudWatch log group is a log group name (CloudWatchLogGroupName, 1-512).
    ("windows.0.tasks.0.cloudWatch", {"logGroup": "g" * 513},
     "windows[0].tasks[0].cloudWatch.logGroup: 'ggg"),
    ("windows.0.tasks.0.cloudWatch", {"logGroup": "g" * 513}, "is 513 characters long (allowed: 1 to 512 characters)"),
    # Baseline names are unique, said where the second one is named.
    ("patchBaselines", [{"name": "Base", "operatingSystem": "WINDOWS", "approvedPatches": ["KB1"]}] * 2,
     "patchBaselines[1].name: 'Base' is already the name of patchBaselines[0]"),
]


@pytest.mark.parametrize(("path", "value", "expected"), BAD, ids=[f"{p}={v!r}"[:60] for p, v, _ in BAD])
def test_bad_config_names_path_value_and_what_is_allowed(path, value, expected):
    found = problems_of(with_(path, value))
    assert any(expected in problem for problem in found), found


def test_unknown_top_level_key_is_reported():
    raw = base()
    raw["windws"] = []
    assert any(p.startswith("windws: unknown key (did you mean 'windows'?") for p in problems_of(raw))


def test_every_problem_is_listed_at_once():
    raw = with_("windows.0.duration", 0)
    raw = with_("windows.0.tasks.0.maxErrors", "lots", raw)
    raw = with_("passRole.users", [1], raw)
    found = problems_of(raw)
    assert sorted(p.split(":")[0] for p in found) == ["passRole.users[0]", "windows[0].duration",
                                                      "windows[0].tasks[0].maxErrors"]


def test_rules_across_parts_hold_whatever_else_is_wrong():
    # A rule across keys waits for nothing else: a task naming a target the window does not have is reported
    # next to a broken value elsewhere in the same task, window and stack.
    raw = with_(f"{W}.description", "d" * 129)
    raw["windows"][0]["targets"].append(copy.deepcopy(raw["windows"][0]["targets"][0]))
    raw["windows"][0]["tasks"] += [
        {"name": "Scan", "type": "RUN_COMMAND", "document": "AWS-RunPatchBaseline", "targets": ["Nope"],
         "maxConcurrency": "lots"},
        {"name": "Direct", "type": "RUN_COMMAND", "document": "AWS RunShellScript"},
        {"name": "Hook", "type": "LAMBDA", "functionArn": "x y", "maxErrors": 1},
    ]
    raw["windows"].append({"name": "Patching", "schedule": "rate(1 day)", "duration": "3"})
    raw["serviceRole"] = {"arn": "arn:aws:iam::123456789012:role/Existing", "name": "Other", "trustedServices": "ssm"}
    found = problems_of(raw)
    assert sorted(p.split(": ")[0] for p in found) == sorted([
        "windows[0].description",
        "windows[0].targets[1].name",            # 'WebServers' twice
        "windows[0].targets[1].name",            # and so the child 'Patching-WebServers' twice
        "windows[0].tasks[1].maxConcurrency",
        "windows[0].tasks[1].targets[0]",        # 'Nope' is not a target of this window
        "windows[0].tasks[2].document",
        "windows[0].tasks[2].targets",           # a RUN_COMMAND task needs targets
        "windows[0].tasks[3].maxErrors",         # not allowed on a task without targets
        "windows[0].tasks[3].functionArn",
        "windows[1].duration",
        "windows[1].name",                       # 'Patching' twice
        "serviceRole.trustedServices",
        "serviceRole.name",                      # not allowed with arn
        "serviceRole.trustedServices",
    ]), found


@pytest.mark.parametrize(("path", "value"), [
    ("windows.0.cutoff", None), ("windows.0.description", None), ("windows.0.enabled", None),
    ("windows.0.tasks.0.priority", None), ("windows.0.tasks.0.maxConcurrency", None), ("serviceRole", None),
    ("passRole", None), ("windows.0.targets.0.tagKeys", None), ("allowWildcards", None),
])
def test_null_is_a_key_not_given(path, value):
    # `cutoff:` with nothing after it is null in YAML: the key's default applies, as when it is left out.
    *parents, key = path.split(".")
    removed = copy.deepcopy(base())
    node: Any = removed
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node.pop(key, None)
    assert config.parse(with_(path, value)) == config.parse(removed)


def test_a_value_out_of_range_is_not_also_compared():
    # 24 hours is no cutoff at all: saying it is not less than the duration too would be noise.
    assert [p for p in problems_of(with_(f"{W}.cutoff", 24)) if p.startswith("windows[0].cutoff")] == [
        "windows[0].cutoff: 24 is out of range (allowed: 0 to 23)"]


def test_a_top_level_value_from_a_stack_file_is_read_as_the_program_reads_it(tmp_path: Path):
    # The CLI hands a program `allowWildcards: true` as the text 'true', and the program reads JSON: so does
    # every reader of the stack file (mw schedule, mw history).
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("config:\n  maintenance-windows:allowWildcards: true\n  maintenance-windows:windows: []\n")
    raw = config.load_stack_file(path)
    assert raw["maintenance-windows:allowWildcards"] == "true"
    assert config.parse(config.namespaced(raw)).allow_wildcards is True


def test_duplicate_names():
    raw = base()
    raw["windows"].append(copy.deepcopy(raw["windows"][0]))
    raw["windows"][0]["targets"].append(copy.deepcopy(raw["windows"][0]["targets"][0]))
    found = problems_of(raw)
    assert "windows[1].name: 'Patching' is already the name of windows[0]" in found
    assert "windows[0].targets[1].name: 'WebServers' is already used by another target" in found


def test_instance_ids_on_a_task_need_unregistered_targets():
    raw = with_(T, {"name": "Direct", "type": "RUN_COMMAND", "document": "AWS-RunShellScript",
                    "instanceIds": ["i-0123456789abcdef0"]})
    assert any("allowUnregisteredTargets: true" in p for p in problems_of(raw))
    raw = with_(f"{W}.allowUnregisteredTargets", True, raw)
    (task,) = config.parse(raw).windows[0].tasks
    assert task.instance_ids == ("i-0123456789abcdef0",)


def test_rate_control_is_not_allowed_without_targets():
    raw = with_(T, {"name": "Invoke", "type": "LAMBDA", "functionArn": "arn:aws:lambda:us-east-1:1:function:SSMx",
                    "maxConcurrency": "1"})
    assert "windows[0].tasks[0].maxConcurrency: '1' is not allowed on a task without targets" in " ".join(
        problems_of(raw))


def test_offset_only_with_cron():
    raw = with_(f"{W}.schedule", "rate(1 day)")
    raw = with_(f"{W}.scheduleOffset", 2, raw)
    assert any("scheduleOffset: 2 is only allowed with a cron() schedule, not rate()" in p for p in problems_of(raw))


def test_start_must_precede_end():
    raw = with_(f"{W}.startDate", "2027-01-01T00:00:00Z")
    raw = with_(f"{W}.endDate", "2026-01-01T00:00:00Z", raw)
    assert any(p.startswith("windows[0].endDate: '2026-01-01T00:00:00Z' must be after startDate") for p in
               problems_of(raw))


@pytest.mark.parametrize("task", [
    {"name": "Patch", "type": RUN_COMMAND, "document": "AWS-RunPatchBaseline", "targets": ["WebServers"],
     "documentVersion": 3, "timeoutSeconds": 600, "comment": "patch", "outputS3": {"bucket": "patch-logs"},
     "cloudWatch": {"logGroup": "/mw/patch"}, "parameters": {"Operation": "Install", "Tags": ["a", "b"]},
     "notifications": {"topicArn": "arn:aws:sns:us-east-1:123456789012:alerts", "events": "Failed"}},
    {"name": "Restart", "type": AUTOMATION, "document": "AWS-RestartEC2Instance", "targets": ["WebServers"],
     "parameters": {"InstanceId": "{{ TARGET_ID }}"}, "documentVersion": "$DEFAULT"},
    {"name": "Invoke", "type": LAMBDA, "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:Tidy",
     "payload": {"b": 1, "a": "x"}, "qualifier": "live", "clientContext": {"custom": {"k": "v"}}},
    {"name": "Flow", "type": STEP_FUNCTIONS, "executionName": "run-1", "input": '{"x": 1}',
     "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Flow"},
])
def test_every_task_type_parses(task):
    (parsed,) = config.parse(with_(T, task)).windows[0].tasks
    assert parsed.type == task["type"]
    assert parsed.task_arn == task.get("document") or task.get("functionArn") or task.get("stateMachineArn")
    params = parsed.invocation_parameters("Patching", "arn:role")
    if parsed.type == RUN_COMMAND:
        rc = params["run_command_parameters"]
        assert rc["document_version"] == "3" and rc["timeout_seconds"] == 600
        assert rc["output_s3_key_prefix"] == "Patching/Patch/"
        assert rc["cloudwatch_config"] == {"cloudwatch_output_enabled": True, "cloudwatch_log_group_name": "/mw/patch"}
        assert rc["notification_config"]["notification_events"] == ["Failed"]
        assert rc["notification_config"]["notification_type"] == "Command"
        assert rc["service_role_arn"] == "arn:role"
        assert rc["parameters"] == [{"name": "Operation", "values": ["Install"]}, {"name": "Tags", "values": ["a", "b"]}]
    elif parsed.type == AUTOMATION:
        assert params == {"automation_parameters": {"document_version": "$DEFAULT", "parameters": [
            {"name": "InstanceId", "values": ["{{ TARGET_ID }}"]}]}}
    elif parsed.type == LAMBDA:
        lam = params["lambda_parameters"]
        assert json.loads(lam["payload"]) == {"a": "x", "b": 1}
        assert json.loads(base64.b64decode(lam["client_context"])) == {"custom": {"k": "v"}}
        assert parsed.rate_control() == (None, None)
    else:
        assert params == {"step_functions_parameters": {"input": '{"x": 1}', "name": "run-1"}}


@pytest.mark.parametrize(("target", "wire", "resource_type"), [
    ({"name": "Tagged", "tags": {"B": ["2", "3"], "A": "1"}, "tagKeys": ["Patch"]},
     [{"key": "tag:A", "values": ["1"]}, {"key": "tag:B", "values": ["2", "3"]}, {"key": "tag-key", "values": ["Patch"]}],
     "INSTANCE"),
    ({"name": "ByIds", "instanceIds": ["i-0123456789abcdef0", "mi-0123456789abcdef0"]},
     [{"key": "InstanceIds", "values": ["i-0123456789abcdef0", "mi-0123456789abcdef0"]}], "INSTANCE"),
    ({"name": "Group", "resourceGroup": {"name": "web", "resourceTypes": ["AWS::EC2::Instance"]}},
     [{"key": "resource-groups:Name", "values": ["web"]},
      {"key": "resource-groups:ResourceTypeFilters", "values": ["AWS::EC2::Instance"]}], "RESOURCE_GROUP"),
])
def test_every_target_mode(target, wire, resource_type):
    raw = with_("windows.0.targets.0", target)
    raw = with_(f"{T}.targets", [target["name"]], raw)
    (parsed,) = config.parse(raw).windows[0].targets
    assert parsed.wire_targets() == wire
    assert parsed.resource_type == resource_type


def test_bring_your_own_role():
    parsed = config.parse(with_("serviceRole", {"arn": "arn:aws:iam::123456789012:role/Existing"}))
    assert parsed.service_role is None
    assert parsed.service_role_arn == "arn:aws:iam::123456789012:role/Existing"


def test_namespaced_keeps_only_this_project():
    assert config.namespaced({"aws:region": "x", "maintenance-windows:windows": [], "other:windows": 1}) == {
        "windows": []}


@pytest.mark.parametrize(("text", "expected"), [
    ("config: [1]\n", "config (line 1, column 9): expected a mapping, got a list of 1"),
    ("- 1\n", "line 1, column 1: expected a mapping with a 'config' key, got a list of 1"),
    ("config: {a: [}\n", "line 1, column 14: not valid YAML: did not find expected node content"),
    ("config:\n  maintenance-window:windows: []\n",
     "config.maintenance-window:windows (line 2, column 3): namespace 'maintenance-window' is not this project's: "
     "did you mean 'maintenance-windows:windows'?"),
])
def test_stack_file_errors_name_the_file_line_and_column(tmp_path: Path, text: str, expected: str):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        config.load_stack_file(path)
    assert str(caught.value).startswith(f"invalid stack file {path}: 1 problem\n  - {expected}")


def test_missing_stack_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="no such stack file"):
        config.load_stack_file(tmp_path / "Pulumi.nope.yaml")


def test_load_stack_file_gives_the_config_as_pulumi_hands_it_on(tmp_path: Path):
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("config:\n  aws:region: us-east-1\n  maintenance-windows:config:windows: [{name: a, enabled: yes}]\n")
    # The old <namespace>:config:<name> key is <namespace>:<name>; `yes` is text in YAML 1.2 (yaml.v3).
    assert config.load_stack_file(path) == {"aws:region": "us-east-1",
                                            "maintenance-windows:windows": [{"name": "a", "enabled": "yes"}]}
    problems = problems_of(config.namespaced(config.load_stack_file(path)))
    assert "windows[0].enabled: expected true or false, got 'yes' (YAML 1.2 reads it as text; write true or false)" in problems


def test_stack_resources_become_task_defaults():
    raw = base()
    raw["outputBucket"] = {}
    raw["notifications"] = {"events": ["Failed"], "type": "Invocation"}
    raw["cloudWatchOutput"] = {"retentionInDays": 30}
    parsed = config.parse(raw, stack="qa")
    (task,) = parsed.windows[0].tasks
    # None means "the stack's own", filled in by the program.
    assert task.output_s3 is not None and task.output_s3.bucket is None
    assert task.notifications is not None and task.notifications.topic_arn is None
    assert (task.notifications.events, task.notifications.type) == (("Failed",), "Invocation")
    assert task.cloudwatch is not None and task.cloudwatch.log_group is None
    assert parsed.cloudwatch is not None and parsed.cloudwatch.log_group_name == "/maintenance-windows/qa"


def test_a_task_can_turn_stack_defaults_off():
    raw = base()
    raw["outputBucket"] = {}
    raw["notifications"] = {}
    raw["windows"][0]["tasks"][0].update({"outputS3": False, "notifications": False, "cloudWatch": False})
    (task,) = config.parse(raw).windows[0].tasks
    assert (task.output_s3, task.notifications, task.cloudwatch) == (None, None, None)


def test_without_stack_resources_nothing_is_added():
    (task,) = config.parse(base()).windows[0].tasks
    assert (task.output_s3, task.notifications, task.cloudwatch) == (None, None, None)


# ------------------------------------------------------------------------------- values that must pass

LAMBDA_ANYWHERE = "arn:aws:lambda:*:*:function:*"


def lambda_task(function: str, **extra: Any) -> dict[str, Any]:
    return {"name": "Invoke", "type": LAMBDA, "functionArn": function, **extra}


@pytest.mark.parametrize("region", ["eusc-de-east-1", "cn-north-1", "us-gov-west-1", "us-isob-east-1", "me-central-1"])
def test_every_region_aws_has_is_accepted(region):
    # eusc-de-east-1 (the European Sovereign Cloud) did not fit the pattern that used to stand in for the list.
    assert config.parse(with_("regions", [region])).regions == (region,)


def test_a_target_may_name_a_tag_aws_sets_itself():
    # AWS sets aws:autoscaling:groupName on an Auto Scaling group's instances: targeting it is legitimate, so the
    # reserved prefix is refused in the tags the stack sets, not in tag conditions.
    raw = with_("windows.0.targets.0.tags", {"aws:autoscaling:groupName": "web-asg", "AWS:cloudformation:stack-name": "x"})
    (target,) = config.parse(raw).windows[0].targets
    assert [t["key"] for t in target.wire_targets()] == ["tag:AWS:cloudformation:stack-name",
                                                         "tag:aws:autoscaling:groupName"]
    found = problems_of(with_("windows.0.tags", {"aws:autoscaling:groupName": "web-asg"}))
    assert found == ["windows[0].tags.aws:autoscaling:groupName: 'aws:autoscaling:groupName' starts with 'aws:', "
                     "which AWS reserves for its own tags"]


def test_a_target_value_may_hold_any_character_ec2_allows():
    # "Although EC2 allows for any character in its tags, other AWS services are more restrictive" (EC2 User Guide).
    raw = with_("windows.0.targets.0.tags", {"Owner": ["a#b", "c,d!", "名前", ""]})
    (target,) = config.parse(raw).windows[0].targets
    assert target.tags["Owner"] == ("a#b", "c,d!", "名前", "")


def test_tags_of_letters_and_numbers_of_any_script_are_accepted():
    raw = with_("windows.0.tags", {"名前": "値", "Patch Group": "prod fleet", "Ünïcode": "k" * 256, "a:b/c=d+e-f@g_h.": ""})
    assert config.parse(raw).windows[0].tags["名前"] == "値"


@pytest.mark.parametrize("boundary", ["arn:aws:iam::aws:policy/PowerUserAccess",
                                      "arn:aws:iam::123456789012:policy/boundaries/MaintenanceBoundary",
                                      "arn:aws-us-gov:iam::aws:policy/service-role/AmazonSSMMaintenanceWindowRole"])
def test_a_managed_policy_bounds_the_role(boundary):
    parsed = config.parse(with_("serviceRole", {"name": "MwRole", "permissionsBoundary": boundary}))
    assert parsed.service_role is not None and parsed.service_role.permissions_boundary == boundary


def test_another_account_as_source_account_is_left_to_the_pack():
    # Which account deploys is not known here; the pack's iam-confused-deputy rule compares it.
    parsed = config.parse(with_("serviceRole", {"sourceAccount": "999999999999"}))
    assert parsed.service_role is not None and parsed.service_role.source_account == "999999999999"


@pytest.mark.parametrize("task", [
    lambda_task("SSMPatchHook"),  # the managed policy covers SSM* in the window's account and region
    lambda_task("PatchHook", serviceRoleArn="arn:aws:iam::123456789012:role/HookRunner"),  # nothing is granted
    lambda_task("arn:aws:lambda:us-east-1:123456789012:function:PatchHook:live"),
    lambda_task("arn:aws-cn:lambda:cn-north-1:123456789012:function:PatchHook"),
    {"name": "Restart", "type": AUTOMATION, "document": "arn:aws:ssm:us-east-1:123456789012:document/Restart",
     "parameters": {"AutomationAssumeRole": "arn:aws:iam::123456789012:role/ops/AutomationRunner"}},
    {"name": "Restart", "type": AUTOMATION, "document": "AWS-RestartEC2Instance",
     "parameters": {"AutomationAssumeRole": "{{ ssm:/automation/role }}"}},  # resolved when it runs
])
def test_task_values_that_pass(task):
    (parsed,) = config.parse(with_(T, task)).windows[0].tasks
    assert parsed.task_arn == task.get("functionArn", task.get("document"))


def test_keeping_output_forever():
    parsed = config.parse(with_("outputBucket", {"expirationDays": 0, "noncurrentVersionExpirationDays": 2**31 - 1}))
    assert parsed.output_bucket is not None and parsed.output_bucket.expiration_days == 0


# ------------------------------------------------------------------------------- allowWildcards


@pytest.mark.parametrize(("path", "value"), [
    (T, lambda_task(LAMBDA_ANYWHERE)),
    (T, lambda_task("arn:aws:lambda:us-east-1:123456789012:function:Patch*")),
    (T, {"name": "Flow", "type": STEP_FUNCTIONS, "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:*"}),
    (f"{T}.notifications", {"topicArn": "arn:aws:sns:*:*:*"}),
])
def test_allow_wildcards_leaves_granted_arns_to_the_pack(path, value):
    raw = with_(path, value)
    assert problems_of(raw)  # refused by default
    raw["allowWildcards"] = True
    parsed = config.parse(raw)
    assert parsed.allow_wildcards is True
    assert parsed.service_role is not None and parsed.service_role.allow_wildcards is True
    assert parsed.windows[0].allow_wildcards is True


def test_allow_wildcards_is_off_by_default():
    parsed = config.parse(base())
    assert parsed.allow_wildcards is False and parsed.windows[0].allow_wildcards is False


@pytest.mark.parametrize(("path", "value", "expected"), [
    # Roles are assumed or passed as exactly one role: allowWildcards does not apply.
    (f"{T}.serviceRoleArn", "arn:aws:iam::123456789012:role/*",
     "windows[0].tasks[0].serviceRoleArn: 'arn:aws:iam::123456789012:role/*' has a wildcard in the resource's name "
     "and so can match other resources (allowed: exactly one role, arn:<partition>:iam::<account>:role/<path/><name>; "
     "maintenance-windows:allowWildcards does not apply, as Systems Manager assumes exactly the role named)"),
    (f"{T}.notifications", {"topicArn": "arn:aws:sns:us-east-1:123456789012:t", "roleArn": "arn:aws:iam::*:role/A"},
     "windows[0].tasks[0].notifications.roleArn: 'arn:aws:iam::*:role/A' has a wildcard in its account"),
    ("serviceRole", {"arn": "arn:aws:iam::123456789012:role/*"},
     "serviceRole.arn: 'arn:aws:iam::123456789012:role/*' has a wildcard"),
    (T, {"name": "Restart", "type": AUTOMATION, "document": "AWS-RestartEC2Instance",
         "parameters": {"AutomationAssumeRole": ["arn:aws:iam::123456789012:role/*"]}},
     "windows[0].tasks[0].parameters.AutomationAssumeRole[0]: 'arn:aws:iam::123456789012:role/*' has a wildcard"),
    # Not an ARN at all: nothing to hand to the pack.
    (T, lambda_task("*"), "windows[0].tasks[0].functionArn: '*' is not a Lambda function ARN"),
    (f"{T}.notifications", {"topicArn": "*"}, "windows[0].tasks[0].notifications.topicArn: '*' is not an SNS topic"),
    (f"{T}.outputS3", {"bucket": "*"}, "windows[0].tasks[0].outputS3.bucket: '*' is 1 character long"),
    # Wildcards in the fields do not excuse the others.
    (T, lambda_task("arn:aws:lambda::*:function:*"), "windows[0].tasks[0].functionArn: "
                                                     "'arn:aws:lambda::*:function:*' names no region"),
    (T, lambda_task("arn:aws:lambda:*:12:function:*"), "windows[0].tasks[0].functionArn: "
                                                       "'arn:aws:lambda:*:12:function:*': its account '12' is not"),
])
def test_allow_wildcards_never_lets_these_through(path, value, expected):
    raw = with_(path, value)
    raw["allowWildcards"] = True
    found = problems_of(raw)
    assert any(expected in problem for problem in found), found
