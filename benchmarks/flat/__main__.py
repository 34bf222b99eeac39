"""Benchmark baseline: the resources the real program registers for the benchmark stacks, written flat.

One file, no components, no validation, no defaults beyond what the benchmark's configs need: it reads the
same ``maintenance-windows:*`` config and registers the same ``aws`` resources with the same inputs, so
``run_program`` of this file against ``run_program`` of the real ``__main__.py`` is the cost of the
project's structure (components, validation, config parsing). It covers the subset of the schema the
benchmark and the dev stack use (tag targets; RUN_COMMAND and AUTOMATION tasks); it is not a program to deploy.
"""

import json

import pulumi
import pulumi_aws as aws

config = pulumi.Config("maintenance-windows")
role_cfg = config.get_object("serviceRole") or {}
pass_cfg = config.get_object("passRole") or {}
windows_cfg = config.get_object("windows") or []


def dumps(document: dict) -> str:
    return json.dumps(document, separators=(",", ":"))


account = aws.get_caller_identity_output().account_id
services = sorted(role_cfg.get("trustedServices") or ["ssm.amazonaws.com"])
role = aws.iam.Role(
    "service-role",
    name=role_cfg.get("name"),
    description=role_cfg.get("description") or "Lets Systems Manager run maintenance window tasks",
    assume_role_policy=account.apply(lambda acct: dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": services}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": acct}}}]})),
)
aws.iam.RolePolicyAttachment(
    "service-role-managed-policy",
    role=role.name,
    policy_arn=role.arn.apply(
        lambda arn: f"arn:{arn.split(':')[1]}:iam::aws:policy/service-role/AmazonSSMMaintenanceWindowRole"),
)


def pass_role_document(arn: str) -> str:
    return dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "PassMaintenanceWindowRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": arn,
         "Condition": {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}},
        {"Sid": "ListRolesForConsole", "Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]})


policy = aws.iam.Policy(
    "pass-role",
    name=pass_cfg.get("policyName"),
    description=pass_cfg.get("description")
    or "Lets its holders pass the maintenance window service role to Systems Manager",
    policy=role.arn.apply(pass_role_document),
)
for group in pass_cfg.get("groups") or []:
    aws.iam.GroupPolicyAttachment(f"pass-role-group-{group}", policy_arn=policy.arn, group=group)


def values(value: object) -> list:
    return list(value) if isinstance(value, list) else [str(value)]


exported = {}
for w in windows_cfg:
    name = w["name"]
    window = aws.ssm.MaintenanceWindow(
        name, name=name, description=w.get("description"), schedule=w["schedule"],
        schedule_timezone=w.get("scheduleTimezone"), schedule_offset=w.get("scheduleOffset"),
        duration=w["duration"], cutoff=w.get("cutoff", 0),
        allow_unassociated_targets=w.get("allowUnregisteredTargets", False), enabled=w.get("enabled", True),
    )
    targets = {}
    for t in w.get("targets") or []:
        targets[t["name"]] = aws.ssm.MaintenanceWindowTarget(
            f"{name}-{t['name']}", window_id=window.id, name=t["name"], resource_type="INSTANCE",
            targets=[{"key": f"tag:{k}", "values": values(v)} for k, v in sorted(t["tags"].items())],
        )
    tasks = {}
    for k in w.get("tasks") or []:
        parameters = [{"name": p, "values": values(v)} for p, v in (k.get("parameters") or {}).items()]
        if k["type"] == "RUN_COMMAND":
            invocation = {"run_command_parameters": {"parameters": parameters} if parameters else {}}
        else:
            invocation = {"automation_parameters": {"parameters": parameters}}
        tasks[k["name"]] = aws.ssm.MaintenanceWindowTask(
            f"{name}-{k['name']}", window_id=window.id, name=k["name"], description=k.get("description"),
            task_type=k["type"], task_arn=k["document"], priority=k.get("priority", 1),
            targets=[{"key": "WindowTargetIds", "values": [targets[t].id for t in k["targets"]]}],
            max_concurrency=str(k.get("maxConcurrency", 1)), max_errors=str(k.get("maxErrors", 1)),
            cutoff_behavior=k.get("cutoffBehavior"), service_role_arn=role.arn, task_invocation_parameters=invocation,
        )
    exported[name] = {"id": window.id, "targetIds": {n: t.id for n, t in targets.items()},
                      "taskIds": {n: t.id for n, t in tasks.items()}}

pulumi.export("serviceRoleArn", role.arn)
pulumi.export("passRolePolicyArn", policy.arn)
pulumi.export("windows", exported)
