"""`mw plan`: the real program and the real policy pack, offline, for every stack and broken copies."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest
from conftest import ROOT, STACKS, edit_stack

from mw import plan as planning
from mw.cli import main
from mw_core.errors import ConfigError


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_in_the_repo_plans_without_a_mandatory_violation(capsys, stack, repo_plans):
    code, out, _ = run_cli(capsys, "plan", "--stack", stack, "--project-dir", str(ROOT), "--json")
    document = json.loads(out)
    assert code == 0, document["violations"]
    assert document["summary"]["mandatory"] == 0
    # An explicit provider per member account is created first: one layer more (issue 16 allows 4).
    assert document["summary"]["depth"] == (4 if stack == "org" else 3)


def test_json_shape(capsys, repo_plans):
    code, out, _ = run_cli(capsys, "plan", "--stack", "dev", "--project-dir", str(ROOT), "--json")
    document = json.loads(out)
    assert code == 0
    assert set(document) == {"stack", "resources", "violations", "summary", "warnings", "policyConfig"}
    assert document["warnings"] == []
    assert document["policyConfig"]["path"] == "policies/config/dev.json"
    assert document["stack"] == "dev"
    assert set(document["summary"]) == {"resources", "depth", "mandatory", "advisory"}
    assert document["summary"]["resources"] == len(document["resources"]) == 11
    for resource in document["resources"]:
        assert set(resource) == {"urn", "type", "name", "parent", "provider", "account", "region", "inputs",
                                 "dependencies"}
        # One account, one region: the default provider's (aws:region; no aws:allowedAccountIds in dev).
        placed = resource["type"].startswith("aws:")
        assert (resource["account"], resource["region"]) == (("123456789012", "us-east-1") if placed else (None, None))
        assert resource["provider"] == ("urn:pulumi:dev::maintenance-windows::pulumi:providers:aws::default_7_51_1"
                                        if placed else None)
    stack, *rest = document["resources"]
    assert stack["type"] == "pulumi:pulumi:Stack" and stack["parent"] is None
    urns = {r["urn"] for r in document["resources"]}
    assert all(r["parent"] in urns for r in rest)
    task = next(r for r in rest if r["type"] == "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask")
    window = next(r for r in rest if r["type"] == "aws:ssm/maintenanceWindow:MaintenanceWindow")
    assert window["urn"] in task["dependencies"]
    assert task["inputs"]["taskInvocationParameters"]["runCommandParameters"]["parameters"] == [
        {"name": "Operation", "values": ["Install"]}]
    # The lab's extra trusted services are reported, advisory in dev.
    levels = {(v["policy"], v["level"]) for v in document["violations"]}
    assert ("iam-trusted-principals", "advisory") in levels
    assert document["summary"]["advisory"] == len(document["violations"])
    for violation in document["violations"]:
        assert set(violation) == {"policy", "level", "urn", "message"}


def test_text_preview(capsys, repo_plans):
    code, out, _ = run_cli(capsys, "plan", "--project-dir", str(ROOT))
    assert code == 0
    assert " +   pulumi:pulumi:Stack " in out
    assert "└─ maintenance-windows:ssm:MaintenanceWindow       PatchTestWorkloadWebServers" in out
    assert "schedule=cron(0 2 ? * * *) duration=3h cutoff=1h allowUnassociatedTargets=false" in out
    assert "INSTANCE: InstanceRole=WebServer AND Workload=Test" in out
    assert "RUN_COMMAND AWS-RunPatchBaseline priority=1 targets=[TestWebServers] maxConcurrency=1 maxErrors=1" in out
    assert "+ 11 to create" in out
    assert "Deploy depth: 3" in out
    assert "Next 3 openings:" in out
    assert "Policy violations, advisory (2):" in out and "[iam-trusted-principals] service-role" in out
    assert "[stack-account-pinned]" in out  # the lab's stack does not pin its account


def test_openings_are_the_next_three(capsys):
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    result = planning.plan("prod", project_dir=ROOT, policies=False, now=now)
    canary = result.openings["PatchProdCanary"]
    assert [o.opens.isoformat() for o in canary] == [
        "2026-12-10T02:00:00-05:00", "2027-01-14T02:00:00-05:00", "2027-02-11T02:00:00-05:00"]
    assert canary[0].closes.isoformat() == "2026-12-10T06:00:00-05:00"
    assert canary[0].stops_starting.isoformat() == "2026-12-10T05:00:00-05:00"


def test_a_mandatory_violation_exits_1_and_names_the_rule(capsys, project):
    def loosen(config):
        config["maintenance-windows:windows"][1]["tasks"][0]["maxConcurrency"] = "50%"

    edit_stack(project, "prod", loosen)
    code, out, _ = run_cli(capsys, "plan", "--stack", "prod", "--project-dir", str(project))
    assert code == 1
    assert "Policy violations, mandatory" in out
    assert "PatchProdFleet-InstallPatchesWeb" in out and "50%" in out


def test_the_same_stack_with_the_dev_policy_config_is_advisory(capsys, project):
    def loosen(config):
        config["maintenance-windows:windows"][1]["tasks"][0]["maxConcurrency"] = "50%"

    edit_stack(project, "prod", loosen)
    code, out, _ = run_cli(capsys, "plan", "--stack", "prod", "--project-dir", str(project), "--json",
                           "--policy-config", str(project / "policies" / "config" / "dev.json"))
    assert code == 0
    assert json.loads(out)["summary"]["mandatory"] == 0


def test_invalid_config_exits_2_with_the_programs_message(capsys, project):
    def break_it(config):
        config["maintenance-windows:windows"][0]["cutoff"] = 5

    edit_stack(project, "dev", break_it)
    code, out, err = run_cli(capsys, "plan", "--project-dir", str(project))
    assert code == 2
    assert out == ""
    assert "windows[0].cutoff: 5 must be less than duration (3)" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("argv", "message"), [
    (["--stack", "nope"], "no such stack file"),
    (["--policy-config", "/nonexistent.json"], "--policy-config: no such file"),
])
def test_usage_errors_exit_2(capsys, argv, message):
    code, _, err = run_cli(capsys, "plan", "--project-dir", str(ROOT), *argv)
    assert code == 2
    assert message in err


def test_no_project_here(capsys, tmp_path):
    code, _, err = run_cli(capsys, "plan", "--project-dir", str(tmp_path))
    assert code == 2
    assert "no Pulumi project here" in err


def test_no_policy_skips_the_pack(capsys, repo_plans):
    code, out, _ = run_cli(capsys, "plan", "--project-dir", str(ROOT), "--no-policy")
    assert code == 0
    assert "Policies: not checked (--no-policy)" in out


def test_two_policy_pack_processes_find_what_one_finds(monkeypatch, project):
    def loosen(config):
        config["maintenance-windows:windows"][1]["tasks"][0]["maxConcurrency"] = "50%"

    edit_stack(project, "prod", loosen)
    one = planning.plan("prod", project_dir=project, policies=True)
    monkeypatch.setattr(planning, "SECOND_PACK_FROM", 1)
    two = planning.plan("prod", project_dir=project, policies=True)
    assert one.violations and two.violations == one.violations


def test_a_config_error_in_a_config_too_large_for_the_environment_is_reported(capsys, project):
    # The CLI passes the stack config to policy packs in one environment variable, which Linux caps at
    # 128 KiB; the stand-in sends a large config over gRPC only, and the program's error is what is shown.
    def huge(config):
        window = config["maintenance-windows:windows"][0]
        config["maintenance-windows:windows"] = [
            {**window, "name": f"Window{i:03d}", "description": "x" * 200} for i in range(1400)]

    edit_stack(project, "dev", huge)
    for extra in ([], ["--no-policy"]):
        code, _, err = run_cli(capsys, "plan", "--project-dir", str(project), *extra)
        assert code == 2, err
        assert "windows[0].description: " in err and "Traceback" not in err


def test_a_stack_without_windows_says_so(capsys, project):
    (project / "Pulumi.bare.yaml").write_text('config:\n  aws:region: us-east-1\n  aws:allowedAccountIds: ["123456789012"]\n',
                                              encoding="utf-8")
    code, out, _ = run_cli(capsys, "plan", "--stack", "bare", "--project-dir", str(project))
    assert code == 0
    assert "warning: stack 'bare' has no maintenance windows" in out
    code, out, _ = run_cli(capsys, "plan", "--stack", "bare", "--project-dir", str(project), "--json")
    assert json.loads(out)["warnings"] == [
        "stack 'bare' has no maintenance windows: only the service role and the PassRole policy would be created "
        "(add windows under 'maintenance-windows:windows')"]


def _pack_rules() -> list[str]:
    """The pack's rules (the count changes as rules are added; prod.json sets every one)."""
    return list(json.loads((ROOT / "policies" / "config" / "prod.json").read_text()))


def test_the_plan_names_the_policy_config_and_where_each_level_came_from(capsys, project):
    rules = len(_pack_rules())
    code, out, _ = run_cli(capsys, "plan", "--stack", "prod", "--project-dir", str(project))
    assert f"Policy config: policies/config/prod.json ({rules} of {rules} rules set there;" in out
    # Without a file of its own, a stack gets the pack's defaults, and the plan says so.
    (project / "policies" / "config" / "prod.json").unlink()
    code, out, _ = run_cli(capsys, "plan", "--stack", "prod", "--project-dir", str(project), "--json")
    report = json.loads(out)["policyConfig"]
    assert report["path"] is None and report["searched"] == "policies/config/prod.json"
    assert {entry["from"] for entry in report["levels"].values()} == {"pack default"}
    assert report["levels"]["window-duration"] == {"level": "mandatory", "from": "pack default"}
    code, out, _ = run_cli(capsys, "plan", "--stack", "prod", "--project-dir", str(project))
    assert code == 0
    assert f"Policy config: none (policies/config/prod.json does not exist); all {rules} rules at the pack's " \
           "default levels" in out


def test_a_partial_policy_config_lists_the_rules_left_at_their_defaults(capsys, project, tmp_path_factory):
    partial = tmp_path_factory.mktemp("elsewhere") / "partial.json"
    partial.write_text(json.dumps({"task-rate-control": "advisory", "window-task-time": {"minimumTaskHours": 1}}))
    code, out, _ = run_cli(capsys, "plan", "--stack", "dev", "--project-dir", str(project), "--json",
                           "--policy-config", str(partial))
    levels = json.loads(out)["policyConfig"]["levels"]
    assert levels["task-rate-control"] == {"level": "advisory", "from": "config"}
    # Properties without a level leave the level at the pack's default.
    assert levels["window-task-time"]["from"] == "pack default"
    code, out, _ = run_cli(capsys, "plan", "--stack", "dev", "--project-dir", str(project),
                           "--policy-config", str(partial))
    assert code == 1  # the rules left at the pack defaults are mandatory: the lab trusts ec2 and sns
    assert f"Policy config: {partial} (1 of {len(_pack_rules())} rules set there;" in out
    assert "    at the pack's default level: aws-region, aws-tags, cloudwatch-log-retention, " in out


def test_an_all_entry_sets_every_level(capsys, project, tmp_path):
    every = tmp_path / "all.json"
    every.write_text(json.dumps({"all": "advisory"}))
    code, out, _ = run_cli(capsys, "plan", "--stack", "dev", "--project-dir", str(project), "--json",
                           "--policy-config", str(every))
    assert code == 0
    levels = json.loads(out)["policyConfig"]["levels"]
    assert {(e["level"], e["from"]) for e in levels.values()} == {("advisory", "config")}


def test_no_policy_has_no_policy_config(capsys, repo_plans):
    code, out, _ = run_cli(capsys, "plan", "--project-dir", str(ROOT), "--no-policy", "--json")
    assert code == 0
    assert json.loads(out)["policyConfig"] is None


def test_long_type_names_keep_the_name_column_aligned(capsys, repo_plans):
    code, out, _ = run_cli(capsys, "plan", "--stack", "prod", "--project-dir", str(ROOT), "--no-policy")
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith(" +   ")]
    header = next(line for line in out.splitlines() if line.lstrip().startswith("Type "))
    column = header.index("Name")
    assert any("BucketServerSideEncryptionConfiguration" in row for row in rows)
    for row in rows:
        # Every name starts in the Name column, after at least one space.
        assert row[column - 1] == " " and row[column] != " ", row


def test_an_internal_failure_exits_3_apart_from_a_verdict(capsys, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("the pack died")

    monkeypatch.setattr(planning, "plan", crash)
    code, out, err = run_cli(capsys, "plan", "--project-dir", str(ROOT))
    assert code == 3
    assert out == ""
    assert "RuntimeError: the pack died" in err and "internal error: this is a bug in maintenance-windows" in err


def test_a_program_error_does_not_wait_for_the_pack_to_start(project, monkeypatch):
    """The pack starts while the program runs; when the program fails, a pack still starting is stopped, not
    waited for. Here it would never start: its process never prints a port (start_timeout is 60 s)."""
    def break_it(config):
        config["maintenance-windows:windows"][0]["cutoff"] = 5

    edit_stack(project, "dev", break_it)
    real, spawned = subprocess.Popen, []

    def popen(args, **kwargs):
        spawned.append(real([sys.executable, "-c", "import time; time.sleep(300)"], **kwargs))
        return spawned[-1]

    monkeypatch.setattr(subprocess, "Popen", popen)
    errors = []

    def attempt():
        try:
            planning.plan("dev", project_dir=project)
        except Exception as exc:  # handed to the test
            errors.append(exc)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(30)  # half the pack's start_timeout: only stopping the pack ends the plan this soon
    assert not thread.is_alive()
    assert [type(e) for e in errors] == [ConfigError]
    assert "windows[0].cutoff: 5 must be less than duration (3)" in str(errors[0])
    assert spawned and all(p.poll() is not None for p in spawned)
