"""Configs written to widen access, each planned as prod: every one is a config error or fails the plan.

One test per thing an attacker (or a hurried colleague) tries. A config error stops the program before
anything is registered (exit 2); what only the policy pack can judge (other accounts, the deploying account)
is a mandatory violation with prod's policy config (exit 1) and at least advisory with dev's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import edit_stack

from mw.cli import main

OTHER = "999999999999"
OWN = "123456789012"
Edit = Callable[[dict[str, Any]], None]


def windows(config: dict[str, Any]) -> list[dict[str, Any]]:
    return config["maintenance-windows:windows"]


def add_task(**task: Any) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        windows(config)[0]["tasks"].append({"name": "Extra", "priority": 3, **task})

    return edit


def lambda_task(arn: str) -> Edit:
    return add_task(type="LAMBDA", functionArn=arn)


def machine_task(arn: str) -> Edit:
    return add_task(type="STEP_FUNCTIONS", stateMachineArn=arn)


def canary(**changes: Any) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        windows(config)[0]["tasks"][0].update(changes)

    return edit


def both(*edits: Edit) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        for each in edits:
            each(config)

    return edit


def allow_wildcards(config: dict[str, Any]) -> None:
    config["maintenance-windows:allowWildcards"] = True


def service_role(**changes: Any) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        config["maintenance-windows:serviceRole"].update(changes)

    return edit


def plan(capsys: pytest.CaptureFixture[str], project: Path, edit: Edit, level: str = "prod") -> tuple[int, Any, str]:
    edit_stack(project, "prod", edit)
    code = main(["plan", "--stack", "prod", "--project-dir", str(project), "--json",
                 "--policy-config", str(project / "policies" / "config" / f"{level}.json")])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else None, err


# ------------------------------------------------------------------------------------- config errors

REFUSED_BY_CONFIG: dict[str, tuple[Edit, str]] = {
    # Wildcards in an ARN the program turns into a grant (without allowWildcards).
    "invoke-every-lambda-function": (lambda_task("*"), "windows[0].tasks[1].functionArn: '*'"),
    "invoke-functions-in-every-account-and-region": (
        lambda_task("arn:aws:lambda:*:*:function:*"), "windows[0].tasks[1].functionArn: "),
    "start-every-state-machine": (
        machine_task("arn:aws:states:*:*:stateMachine:*"), "windows[0].tasks[1].stateMachineArn: "),
    "publish-to-every-topic": (canary(notifications={"topicArn": "*"}), "windows[0].tasks[0].notifications.topicArn"),
    "publish-to-topics-in-every-account": (
        canary(notifications={"topicArn": "arn:aws:sns:*:*:*"}), "windows[0].tasks[0].notifications.topicArn"),
    "write-output-to-every-bucket": (canary(outputS3={"bucket": "*"}), "windows[0].tasks[0].outputS3.bucket"),
    "run-as-any-role": (
        canary(serviceRoleArn=f"arn:aws:iam::{OWN}:role/*"), "windows[0].tasks[0].serviceRoleArn"),
    "notify-as-any-role-of-any-account": (
        canary(notifications={"roleArn": "arn:aws:iam::*:role/Admin"}), "windows[0].tasks[0].notifications.roleArn"),
    # The confused-deputy condition must name an account.
    "source-account-that-is-no-account": (service_role(sourceAccount="not an account"), "serviceRole.sourceAccount"),
    # Values AWS would reject.
    "window-tag-with-the-reserved-aws-prefix": (
        lambda c: windows(c)[0].update(tags={"aws:owner": "me"}), "windows[0].tags"),
    "window-tag-key-of-129-characters": (lambda c: windows(c)[0].update(tags={"k" * 129: "v"}), "windows[0].tags"),
    "window-tag-with-a-nul": (lambda c: windows(c)[0].update(tags={"Env": "prod\x00"}), "windows[0].tags"),
    "target-tag-key-of-129-characters": (
        lambda c: windows(c)[0]["targets"][0]["tags"].update({"k" * 129: "v"}), "windows[0].targets[0].tags"),
    "target-tag-with-a-control-character": (
        lambda c: windows(c)[0]["targets"][0]["tags"].update({"Env\x07": "v"}), "windows[0].targets[0].tags"),
    "document-name-with-a-space": (canary(document="AWS RunPatchBaseline"), "windows[0].tasks[0].document"),
    "document-name-of-dots": (canary(document=".."), "windows[0].tasks[0].document"),
    "priority-beyond-32-bits": (canary(priority=2**31), "windows[0].tasks[0].priority"),
    "priority-of-1e308": (canary(priority=1e308), "windows[0].tasks[0].priority"),
    "permissions-boundary-that-is-no-policy": (
        service_role(permissionsBoundary="not-an-arn"), "serviceRole.permissionsBoundary"),
    "lifecycle-of-3e9-days": (
        lambda c: c["maintenance-windows:outputBucket"].update(expirationDays=3e9), "outputBucket.expirationDays"),
    "a-region-aws-does-not-have": (
        lambda c: c.update({"maintenance-windows:regions": ["zz-nowhere-9"]}), "regions[0]"),
}


@pytest.mark.parametrize("attack", sorted(REFUSED_BY_CONFIG))
def test_refused_by_the_config(capsys, project, attack):
    edit, where = REFUSED_BY_CONFIG[attack]
    code, _, err = plan(capsys, project, edit)
    assert code == 2, err
    assert where in err, err
    assert "Traceback" not in err


# ------------------------------------------------------------------------------------- the policy pack

JUDGED_BY_THE_PACK: dict[str, tuple[Edit, str]] = {
    # allowWildcards lets a wildcard through the config; the pack still judges the grant.
    "invoke-every-lambda-function-with-wildcards-allowed": (
        both(allow_wildcards, lambda_task("arn:aws:lambda:*:*:function:*")), "iam-resource-scope"),
    "start-every-state-machine-with-wildcards-allowed": (
        both(allow_wildcards, machine_task(f"arn:aws:states:us-east-1:{OWN}:stateMachine:*")), "iam-resource-scope"),
    "publish-to-topics-in-every-account-with-wildcards-allowed": (
        both(allow_wildcards, canary(notifications={"topicArn": "arn:aws:sns:*:*:*"})), "iam-resource-scope"),
    # Other accounts.
    "invoke-a-function-in-another-account": (
        lambda_task(f"arn:aws:lambda:us-east-1:{OTHER}:function:Patch"), "iam-cross-account"),
    "start-a-state-machine-in-another-account": (
        machine_task(f"arn:aws:states:us-east-1:{OTHER}:stateMachine:Patch"), "iam-cross-account"),
    "notify-a-topic-in-another-account": (
        canary(notifications={"topicArn": f"arn:aws:sns:us-east-1:{OTHER}:alerts"}), "iam-cross-account"),
    "write-output-to-a-bucket-the-stack-does-not-own": (
        canary(outputS3={"bucket": "someone-elses-bucket"}), "stack-task-output-bucket"),
    "trust-ssm-acting-for-another-account": (service_role(sourceAccount=OTHER), "iam-confused-deputy"),
    "notify-as-an-admin-role": (
        canary(notifications={"roleArn": f"arn:aws:iam::{OWN}:role/Admin"}), "stack-task-service-role"),
    # The stack's own role, matched by full ARN and not by name.
    "run-as-a-same-named-role-in-another-account": (
        canary(serviceRoleArn=f"arn:aws:iam::{OTHER}:role/ProdMaintenanceWindowRole"), "stack-task-service-role"),
    "run-as-a-same-named-role-under-another-path": (
        canary(serviceRoleArn=f"arn:aws:iam::{OWN}:role/evil/ProdMaintenanceWindowRole"), "stack-task-service-role"),
}


@pytest.mark.parametrize("attack", sorted(JUDGED_BY_THE_PACK))
def test_fails_the_prod_plan(capsys, project, attack):
    edit, rule = JUDGED_BY_THE_PACK[attack]
    code, document, err = plan(capsys, project, edit)
    assert document is not None, err
    found = {(v["policy"], v["level"]) for v in document["violations"]}
    assert (rule, "mandatory") in found, found
    assert code == 1


@pytest.mark.slow  # a second plan of every attack; the prod plans run in make test
@pytest.mark.parametrize("attack", sorted(JUDGED_BY_THE_PACK))
def test_is_reported_in_dev(capsys, project, attack):
    edit, rule = JUDGED_BY_THE_PACK[attack]
    _, document, err = plan(capsys, project, edit, level="dev")
    assert document is not None, err
    assert rule in {v["policy"] for v in document["violations"]}
