"""The whole program (`__main__.py`) under the engine stand-in, for the stacks in the repo and others."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT, STACKS, by_type, one, stack_config

from mw_config import parse_stack
from mw_core.errors import ConfigError
from mw_engine.engine import run_program

ROLE = "aws:iam/role:Role"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws:iam/policy:Policy"
GROUP_ATTACH = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
WINDOW = "aws:ssm/maintenanceWindow:MaintenanceWindow"
TARGET = "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget"
TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"


def run(stack: str):
    return run_program(ROOT, project="maintenance-windows", stack=stack, config=stack_config(stack))


@pytest.fixture(scope="module")
def dev():
    return run("dev")


def test_dev_service_role_is_the_labs(dev):
    role = one(dev, ROLE)
    assert role.inputs["name"] == "SSMMaintenanceWindowRole"
    assert role.inputs["description"] == "Role for Amazon SSMMaintenanceWindow"
    trust = json.loads(role.inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    assert sorted(statement["Principal"]["Service"]) == ["ec2.amazonaws.com", "sns.amazonaws.com", "ssm.amazonaws.com"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    attachment = one(dev, ATTACH)
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonSSMMaintenanceWindowRole"
    assert attachment.inputs["role"] == "SSMMaintenanceWindowRole"


def test_dev_pass_role_is_the_labs(dev):
    policy = one(dev, POLICY)
    assert policy.inputs["name"] == "SSMMaintenanceWindowPassRole"
    document = json.loads(policy.inputs["policy"])
    passes = [s for s in document["Statement"] if s["Action"] == "iam:PassRole"]
    assert passes == [{
        "Sid": "PassMaintenanceWindowRole", "Effect": "Allow", "Action": "iam:PassRole",
        "Resource": "arn:aws:iam::123456789012:role/SSMMaintenanceWindowRole",
        "Condition": {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}},
    }]
    # Only iam:ListRoles is on "*": AWS cannot scope it to roles (no resource type in the authorization reference).
    assert [s["Action"] for s in document["Statement"] if s["Resource"] == "*"] == ["iam:ListRoles"]
    group = one(dev, GROUP_ATTACH)
    assert group.inputs["group"] == "Administrators"
    assert group.inputs["policyArn"] == "arn:aws:iam::123456789012:policy/SSMMaintenanceWindowPassRole"


def test_dev_window_target_and_task_are_the_labs(dev):
    window = one(dev, WINDOW)
    assert {k: window.inputs.get(k) for k in ("name", "schedule", "duration", "cutoff", "allowUnassociatedTargets")} == {
        "name": "PatchTestWorkloadWebServers", "schedule": "cron(0 2 ? * * *)", "duration": 3, "cutoff": 1,
        "allowUnassociatedTargets": False,
    }
    target = one(dev, TARGET)
    assert target.inputs["name"] == "TestWebServers"
    assert target.inputs["resourceType"] == "INSTANCE"
    assert target.inputs["targets"] == [{"key": "tag:InstanceRole", "values": ["WebServer"]},
                                        {"key": "tag:Workload", "values": ["Test"]}]
    assert target.inputs["windowId"] == window.id
    task = one(dev, TASK)
    expected = {"name": "PatchTestWorkloadWebServers", "taskType": "RUN_COMMAND", "taskArn": "AWS-RunPatchBaseline",
                "priority": 1, "maxConcurrency": "1", "maxErrors": "1", "windowId": window.id,
                "serviceRoleArn": "arn:aws:iam::123456789012:role/SSMMaintenanceWindowRole",
                "targets": [{"key": "WindowTargetIds", "values": [target.id]}]}
    assert {k: task.inputs.get(k) for k in expected} == expected
    params = task.inputs["taskInvocationParameters"]["runCommandParameters"]
    assert params["parameters"] == [{"name": "Operation", "values": ["Install"]}]
    # The lab leaves S3 output and SNS notifications off.
    assert "outputS3Bucket" not in params and "notificationConfig" not in params


def test_dev_children_are_parented_to_their_components(dev):
    parents = {r.urn: r for r in dev.resources}
    for resource in dev.resources:
        if resource.custom:
            parent = parents.get(resource.parent)
            assert parent is not None and not parent.custom, f"{resource.name} is not a component's child"
    components = {r.type for r in dev.resources if not r.custom}
    assert components == {"maintenance-windows:iam:ServiceRole", "maintenance-windows:iam:PassRolePolicy",
                          "maintenance-windows:ssm:MaintenanceWindow"}


def test_dev_outputs(dev):
    window = one(dev, WINDOW)
    target = one(dev, TARGET)
    task = one(dev, TASK)
    assert dev.outputs["serviceRoleArn"] == "arn:aws:iam::123456789012:role/SSMMaintenanceWindowRole"
    assert dev.outputs["passRolePolicyArn"] == "arn:aws:iam::123456789012:policy/SSMMaintenanceWindowPassRole"
    assert dev.outputs["windows"] == {"PatchTestWorkloadWebServers": {
        "id": window.id, "targetIds": {"TestWebServers": target.id},
        "taskIds": {"PatchTestWorkloadWebServers": task.id}}}


def placed_windows(config: dict) -> list[dict]:
    """Each window of a stack's config once per account and region it is created in."""
    parsed = parse_stack(config)
    windows = {w["name"]: w for w in config.get("maintenance-windows:windows", [])}
    if not parsed.accounts:
        return [w for w in windows.values() for _ in parsed.regions or (None,)]
    return [windows[name] for account in parsed.accounts for name in account.windows for _ in account.regions]


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_in_the_repo_runs(stack):
    result = run(stack)
    windows = placed_windows(stack_config(stack))
    assert len(by_type(result, WINDOW)) == len(windows)
    assert len(by_type(result, TARGET)) == sum(len(w.get("targets", [])) for w in windows)
    assert len(by_type(result, TASK)) == sum(len(w.get("tasks", [])) for w in windows)


def test_prod_tasks_reference_the_stacks_bucket_topic_and_log_group():
    prod = run("prod")
    bucket = one(prod, "aws:s3/bucket:Bucket")
    topic = one(prod, "aws:sns/topic:Topic")
    group = one(prod, "aws:cloudwatch/logGroup:LogGroup")
    role_policy = one(prod, "aws:iam/rolePolicy:RolePolicy")
    # The service role may publish to the stack's topic, and to nothing else.
    assert json.loads(role_policy.inputs["policy"])["Statement"] == [{
        "Sid": "PublishTaskNotifications", "Effect": "Allow", "Action": "sns:Publish",
        "Resource": [topic.outputs["arn"]]}]
    role_arn = prod.outputs["serviceRoleArn"]
    tasks = by_type(prod, TASK)
    assert len(tasks) == 4
    for task in tasks:
        params = task.inputs["taskInvocationParameters"]["runCommandParameters"]
        assert params["outputS3Bucket"] == bucket.id
        # One key prefix per task: logs of two tasks never mix.
        assert params["outputS3KeyPrefix"] == f"{task.name.split('-')[0]}/{task.inputs['name']}/"
        assert params["cloudwatchConfig"] == {"cloudwatchOutputEnabled": True,
                                              "cloudwatchLogGroupName": group.inputs["name"]}
        if task.inputs["name"] == "ScanAfterPatching":
            assert "notificationConfig" not in params  # `notifications: false`
            continue
        assert params["notificationConfig"] == {"notificationArn": topic.outputs["arn"],
                                                "notificationEvents": ["Failed", "TimedOut", "Cancelled"],
                                                "notificationType": "Command"}
        # Run Command's notification role is the service role, which holds sns:Publish on the topic.
        assert params["serviceRoleArn"] == role_arn
        # The task waits for what it references.
        referenced = {u for urns in task.property_dependencies.values() for u in urns}
        assert {bucket.urn, topic.urn} <= referenced


@pytest.mark.parametrize("stack", STACKS)
def test_same_config_gives_same_inputs(stack):
    first, second = run(stack), run(stack)
    assert {r.urn: r.inputs for r in first.resources} == {r.urn: r.inputs for r in second.resources}


def test_invalid_config_registers_nothing_and_lists_every_problem(run_stack):
    windows = [{"name": "Window1", "schedule": "cron(0 2 * * * *)", "duration": 0, "cutoff": 1,
                "targets": [{"name": "Targets1", "tags": {"Env": "x"}}],
                "tasks": [{"name": "Task1", "type": "RUN_COMMAND", "document": "AWS-RunPatchBaseline",
                           "targets": ["WebServers"]}]}]
    with pytest.raises(ConfigError) as caught:
        run_stack({"windows": windows})
    paths = {p.path for p in caught.value.problems}
    assert paths == {"windows[0].schedule", "windows[0].duration", "windows[0].tasks[0].targets[0]"}
    assert "'WebServers' is not a target of this window (its targets: Targets1)" in str(caught.value)


def test_main_turns_a_config_error_into_a_clean_run_error(run_stack):
    """`pulumi up` prints a RunError's message without a traceback; the cause stays for the stand-in."""
    import pulumi

    from mw_engine import engine as _engine

    with pytest.raises(ConfigError) as caught:
        run_stack({"windows": [{"name": "Window1", "schedule": "rate(1 days)", "duration": 2}]})
    assert "windows[0].schedule" in str(caught.value)
    source = (ROOT / "__main__.py").read_text()
    assert "raise pulumi.RunError(str(err)) from err" in source
    assert issubclass(pulumi.RunError, Exception) and _engine is not None


def test_bring_your_own_role_creates_no_role(run_stack):
    arn = "arn:aws:iam::111122223333:role/Existing"
    result = run_stack({"serviceRole": {"arn": arn}, "windows": [{
        "name": "Window1", "schedule": "rate(1 day)", "duration": 2,
        "targets": [{"name": "Targets1", "instanceIds": ["i-0123456789abcdef0"]}],
        "tasks": [{"name": "Task1", "type": "RUN_COMMAND", "document": "AWS-RunShellScript", "targets": ["Targets1"]}]}]})
    assert by_type(result, ROLE) == []
    assert one(result, TASK).inputs["serviceRoleArn"] == arn
    document = json.loads(one(result, POLICY).inputs["policy"])
    assert document["Statement"][0]["Resource"] == arn
    assert result.outputs["serviceRoleArn"] == arn


def test_defaults_with_minimal_config(run_stack):
    result = run_stack({"windows": [{"name": "Window1", "schedule": "rate(1 day)", "duration": 2,
                                     "targets": [{"name": "Targets1", "tags": {"Env": "dev"}}],
                                     "tasks": [{"name": "Task1", "type": "RUN_COMMAND",
                                                "document": "AWS-RunPatchBaseline", "targets": ["Targets1"]}]}]})
    role = one(result, ROLE)
    assert re.fullmatch(r"service-role-[0-9a-f]{7}", role.inputs["name"])  # pulumi-aws's Check auto-names it
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"]["Service"] == ["ssm.amazonaws.com"]
    window = one(result, WINDOW)
    assert window.inputs["cutoff"] == 0 and window.inputs["allowUnassociatedTargets"] is False
    assert window.inputs["enabled"] is True
    task = one(result, TASK)
    assert (task.inputs["priority"], task.inputs["maxConcurrency"], task.inputs["maxErrors"]) == (1, "1", "1")
    assert by_type(result, GROUP_ATTACH) == []  # PassRole policy exists, attached to no one
    assert len(by_type(result, POLICY)) == 1


def test_regions_create_windows_and_regional_resources_in_each(run_stack):
    window = {"name": "Nightly", "schedule": "rate(1 day)", "duration": 2,
              "targets": [{"name": "Servers", "tags": {"Env": "qa"}}],
              "tasks": [{"name": "Patch", "type": "RUN_COMMAND", "document": "AWS-RunPatchBaseline",
                         "targets": ["Servers"]}]}
    baseline = {"name": "Base", "operatingSystem": "AMAZON_LINUX_2023", "approvedPatches": ["kernel"],
                "patchGroups": ["qa"]}
    result = run_stack({"regions": ["us-east-1", "eu-west-1"], "windows": [window], "outputBucket": {},
                        "cloudWatchOutput": {}, "patchBaselines": [baseline]})
    for kind in (WINDOW, TARGET, TASK, "aws:cloudwatch/logGroup:LogGroup", "aws:ssm/patchBaseline:PatchBaseline",
                 "aws:ssm/patchGroup:PatchGroup"):
        assert sorted(r.inputs.get("region") for r in by_type(result, kind)) == ["eu-west-1", "us-east-1"], kind
    # The provider's own region (aws:region, us-east-1 here) keeps the plain name: adding regions renames nothing.
    assert sorted(r.name for r in by_type(result, WINDOW)) == ["Nightly", "Nightly-eu-west-1"]
    assert {r.inputs["name"] for r in by_type(result, WINDOW)} == {"Nightly"}
    # IAM is global, and one bucket serves every region.
    assert "region" not in one(result, ROLE).inputs
    assert len(by_type(result, "aws:s3/bucket:Bucket")) == 1
    assert set(result.outputs["windows"]) == {"Nightly-eu-west-1", "Nightly-us-east-1"}


INLINE = "aws:iam/rolePolicy:RolePolicy"


def _lambda_window(function: str) -> dict:
    return {"name": "Hooks", "schedule": "rate(1 day)", "duration": 2,
            "tasks": [{"name": "Invoke", "type": "LAMBDA", "functionArn": function}]}


def test_allow_wildcards_reaches_the_service_role(run_stack):
    # The role is checked again when it is created, with the tasks' grants: without the flag it would refuse
    # them then, after other resources were registered.
    result = run_stack({"allowWildcards": True, "windows": [_lambda_window("arn:aws:lambda:*:*:function:*")]})
    (statement,) = json.loads(one(result, INLINE).inputs["policy"])["Statement"]
    assert statement["Resource"] == ["arn:aws:lambda:*:*:function:*", "arn:aws:lambda:*:*:function:*:*"]
    with pytest.raises(ConfigError, match=r"windows\[0\]\.tasks\[0\]\.functionArn: .*allowWildcards: true"):
        run_stack({"windows": [_lambda_window("arn:aws:lambda:*:*:function:*")]})


def test_a_function_named_ssm_by_name_is_left_to_the_managed_policy(run_stack):
    result = run_stack({"windows": [_lambda_window("SSMPatchHook")]})
    assert by_type(result, INLINE) == []  # a grant on the bare name would be a malformed policy
    assert one(result, TASK).inputs["taskArn"] == "SSMPatchHook"
