"""``mw history``: every AWS call goes through botocore's Stubber, which checks each request and each canned
response against the real SSM and S3 service models; nothing reaches AWS and no credentials are needed.

The error paths that start inside botocore (no credentials, no region, an unknown profile) run the real
client path with an empty AWS environment. The real client is driven over HTTP against a tiny SSM stand-in on
127.0.0.1 (``AWS_ENDPOINT_URL``) too: that is where corrupt replies, endless page tokens and a silent endpoint
are tried, since the Stubber refuses to hand out a reply the model does not allow and never waits.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import botocore.exceptions
import botocore.session
import pytest
from aws_stubs import BOTOCORE, StubClients
from botocore.response import StreamingBody
from botocore.stub import Stubber

import mw._aws
import mw.cli
from mw import history
from mw._aws import Clients, Waits, iam_action, reply_problem
from mw_core.errors import MWError

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "history"
PATCH_LOG = (FIXTURES / "patch-linux-stdout.txt").read_text(encoding="utf-8")

WINDOW_ID = "mw-0123456789abcdef0"
OTHER_WINDOW_ID = "mw-0fedcba9876543210"
EXECUTION = "518d5565-5969-4cca-8f0e-da3b2a638355"
OLDER_EXECUTION = "6c1f0a4e-2b7d-4e59-9a3c-0d8e7f6a5b41"
OLDEST_EXECUTION = "7d2a1b5f-3c8e-4f6a-8b4d-1e9f8a7b6c52"
TASK = "ac0c6ae1-daa3-4a89-832e-d384503b6586"
INVOCATION = "e274b6e1-fe56-4e32-bd2a-8073c6381d8b"
OLD_INVOCATION = "f385c7f2-0f67-4f43-ae3b-9184d7492e9c"
COMMAND = "03b6baa0-5460-4e15-83f2-ea6850000001"
OLD_COMMAND = "03b6baa0-5460-4e15-83f2-ea6850000002"
INSTANCE = "i-0abcdef1234567890"
OTHER_INSTANCE = "i-0123456789abcdef0"
BUCKET = "mw-output-123456789012"
T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)


# --- harness -----------------------------------------------------------------------------------------------


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run(argv: list[str], clients: Clients | None = None, stderr: io.StringIO | None = None) -> Result:
    """``mw`` as :func:`mw.cli.main` runs it, with only ``history`` registered and ``clients`` injected."""
    parser = argparse.ArgumentParser(prog="mw")
    history.register(parser.add_subparsers(dest="command", required=True),
                     clients=(lambda region, profile, timeout: clients) if clients is not None else None)
    out, err = io.StringIO(), stderr if stderr is not None else io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        args = parser.parse_args(argv)
        try:
            code = args.handler(args)
        except MWError as error:
            print(f"error: {error}", file=sys.stderr)
            code = error.exit_code
    return Result(code, out.getvalue(), err.getvalue())


def failed(result: Result) -> str:
    """The error message of a run that must fail the way a user's mistake does: exit 2, one line, no traceback."""
    assert result.code == 2, result
    assert "Traceback" not in result.err
    assert result.err.startswith("error: ")
    return result.err


def window_execution(execution_id: str, status: str, start: datetime, minutes: float | None,
                     details: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"WindowId": WINDOW_ID, "WindowExecutionId": execution_id, "Status": status,
                            "StartTime": start}
    if minutes is not None:
        item["EndTime"] = start + timedelta(minutes=minutes)
    if details:
        item["StatusDetails"] = details
    return item


def expect_window_by_id(stubber: Stubber, window_id: str = WINDOW_ID, name: str = "PatchTestWorkloadWebServers") -> None:
    stubber.add_response("get_maintenance_window", {"WindowId": window_id, "Name": name}, {"WindowId": window_id})


def expect_executions(stubber: Stubber, executions: list[dict[str, Any]], window_id: str = WINDOW_ID,
                      filters: list[dict[str, Any]] | None = None, next_token: str | None = None,
                      token: str | None = None) -> None:
    params: dict[str, Any] = {"WindowId": window_id, "MaxResults": 100}
    if filters is not None:
        params["Filters"] = filters
    if token is not None:
        params["NextToken"] = token
    response: dict[str, Any] = {"WindowExecutions": executions}
    if next_token is not None:
        response["NextToken"] = next_token
    stubber.add_response("describe_maintenance_window_executions", response, params)


def expect_windows_named(stubber: Stubber, name: str, windows: list[dict[str, Any]]) -> None:
    stubber.add_response("describe_maintenance_windows", {"WindowIdentities": windows},
                         {"Filters": [{"Key": "Name", "Values": [name]}], "MaxResults": 100})


# --- arguments ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "ago"), [
    ("30m", timedelta(minutes=30)), ("12h", timedelta(hours=12)), ("7d", timedelta(days=7)),
    ("2w", timedelta(weeks=2)), ("7D", timedelta(days=7)),
])
def test_since_accepts_spans_back_from_now(text: str, ago: timedelta) -> None:
    assert history.parse_since(text).resolve(T0) == T0 - ago


@pytest.mark.parametrize(("text", "at"), [
    ("2024-04-24", datetime(2024, 4, 24, tzinfo=UTC)),
    ("2024-04-24T05:00:00Z", datetime(2024, 4, 24, 5, tzinfo=UTC)),
    ("2024-04-24T07:00:00+02:00", datetime(2024, 4, 24, 5, tzinfo=UTC)),
    ("2024-04-24T05:00", datetime(2024, 4, 24, 5, tzinfo=UTC)),  # no offset: UTC
])
def test_since_accepts_iso_8601(text: str, at: datetime) -> None:
    assert history.parse_since(text).resolve(T0) == at


@pytest.mark.parametrize("text", ["7", "0d", "7y", "yesterday", "2024-13-01", "999999w"])
def test_since_rejects_anything_else_and_says_what_is_allowed(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"allowed: a span back from now \(30m, 12h, 7d, 2w\)"):
        history.parse_since(text)


def test_a_wrong_status_is_refused_with_the_allowed_values() -> None:
    stderr = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        run(["history", "--window", WINDOW_ID, "--status", "broken"], stderr=stderr)
    assert exit_.value.code == 2
    assert ("argument --status: 'broken' is not a window execution status; allowed: PENDING, IN_PROGRESS, SUCCESS, "
            "FAILED, TIMED_OUT, CANCELLING, CANCELLED, SKIPPED_OVERLAPPING") in stderr.getvalue()


def test_status_is_case_insensitive() -> None:
    assert history.parse_status("timed-out") == "TIMED_OUT"


def test_a_since_in_the_future_is_refused(stubbed: StubClients) -> None:
    assert "--since '2999-01-01' is in the future" in failed(run(["history", "--window", WINDOW_ID, "--since",
                                                                  "2999-01-01"], stubbed))


@pytest.mark.parametrize(("text", "message"), [
    ("0001-01-01", "--since '0001-01-01' is before 1970 (0001-01-01T00:00:00Z)"),
    ("1969-12-31T23:59:59Z", "--since '1969-12-31T23:59:59Z' is before 1970 (1969-12-31T23:59:59Z)"),
    ("99999w", "--since '99999w' is before 1970 (0107-10-26T02:00:00Z)"),  # 5 digits: the most a span takes
    ("2024-05-01T02:00:01Z", "--since '2024-05-01T02:00:01Z' is in the future (2024-05-01T02:00:01Z)"),
])
def test_a_since_outside_1970_to_now_is_refused_with_the_range(text: str, message: str, stubbed: StubClients,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "_now", lambda: T0)
    assert failed(run(["history", "--window", WINDOW_ID, "--since", text], stubbed)) == (
        f"error: {message}; allowed: from 1970-01-01T00:00:00Z to now\n")


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_since_beyond_what_a_time_can_hold_is_refused_with_the_range(text: str) -> None:
    stderr = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        run(["history", "--window", WINDOW_ID, "--since", text], stderr=stderr)
    assert exit_.value.code == 2
    assert f"argument --since: {text!r} is out of range; allowed: from 1970-01-01T00:00:00Z to now" \
        in stderr.getvalue()
    assert "Traceback" not in stderr.getvalue()


def test_a_since_of_1970_is_the_earliest_accepted(stubbed: StubClients, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "_now", lambda: T0)
    ssm = stubbed.stub()
    expect_window_by_id(ssm)
    expect_executions(ssm, [], filters=[{"Key": "ExecutedAfter", "Values": ["1970-01-01T00:00:00Z"]}])

    assert run(["history", "--window", WINDOW_ID, "--since", "1970-01-01"], stubbed).code == 0


@pytest.mark.parametrize("text", ["0", "-1", "abc", "nan", "inf", "3601", ""])
def test_a_timeout_that_is_not_seconds_is_refused(text: str) -> None:
    stderr = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        run(["history", "--window", WINDOW_ID, "--timeout", text], stderr=stderr)
    assert exit_.value.code == 2
    assert (f"argument --timeout: {text!r} is not a timeout; allowed: seconds, more than 0 and at most 3600 "
            "(default 10)") in stderr.getvalue()


@pytest.mark.parametrize(("argv", "env", "timeout", "attempts"), [
    ([], {}, 10.0, 2),  # botocore's own: 60 s and 3 attempts, 3 minutes of silence
    (["--timeout", "2.5"], {}, 2.5, 2),
    ([], {"MW_AWS_TIMEOUT": "30"}, 30.0, 2),
    (["--timeout", "4"], {"MW_AWS_TIMEOUT": "30"}, 4.0, 2),  # the flag wins
    ([], {"AWS_MAX_ATTEMPTS": "5"}, 10.0, 5),  # the SDK's own setting is honoured
])
def test_clients_wait_briefly_by_default_and_the_wait_can_be_changed(
        argv: list[str], env: dict[str, str], timeout: float, attempts: int, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    made: list[Clients] = []

    def factory(region: str | None, profile: str | None, timeout: float | None) -> Clients:
        made.append(Clients(region, profile, timeout))
        return made[-1]

    parser = argparse.ArgumentParser(prog="mw")
    history.register(parser.add_subparsers(dest="command", required=True), clients=factory)
    args = parser.parse_args(["history", "show", EXECUTION, "--region", "us-east-1", *argv])
    with pytest.raises(MWError, match="no AWS credentials found"):  # the client is made, then the call fails
        args.handler(args)
    config = made[0].ssm().meta.config
    assert (config.connect_timeout, config.read_timeout, config.retries) == (
        timeout, timeout, {"mode": "standard", "total_max_attempts": attempts})


@pytest.mark.parametrize(("name", "value", "message"), [
    ("MW_AWS_TIMEOUT", "soon", "MW_AWS_TIMEOUT 'soon' is not a timeout; allowed: seconds, more than 0 and at most "
                               "3600 (default 10)"),
    ("AWS_MAX_ATTEMPTS", "many", "AWS_MAX_ATTEMPTS 'many' is not a number of attempts; allowed: a whole number, "
                                 "1 or more"),
    ("AWS_MAX_ATTEMPTS", "0", "AWS_MAX_ATTEMPTS '0' is not a number of attempts; allowed: a whole number, 1 or more"),
])
def test_a_wrong_wait_setting_in_the_environment_is_named(name: str, value: str, message: str,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(name, value)
    assert failed(cli(["history", "show", EXECUTION, "--region", "us-east-1"], monkeypatch, capsys)) == \
        f"error: {message}\n"


REGION_RULE = ("a region name is letters, digits and hyphens, at most 63, not only digits and without a hyphen "
               "first or last, such as us-east-1, eu-west-1 or ap-southeast-2")


@pytest.mark.parametrize("region", ["us east 1", "us-east-1;", "-us-east-1", "us-east-1-", "123", "a" * 64,
                                    "us-east-1\n", "eu_west_1", "us-east-1.evil.example"])
def test_a_region_that_is_not_a_region_name_is_refused(region: str, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    message = failed(cli(["history", "show", EXECUTION, f"--region={region}"], monkeypatch, capsys))
    assert message == f"error: --region {region!r} is not an AWS region: {REGION_RULE}\n"


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "us-gov-west-1", "cn-north-1", "eusc-de-east-1",
                                    "ap-southeast-5"])
def test_region_names_of_every_partition_are_accepted(region: str) -> None:
    assert mw._aws.check_region(region, "--region") == region


def test_a_wrong_max_attempts_in_the_profile_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "aws-config"
    config.write_text("[default]\nmax_attempts = twice\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    assert failed(cli(["history", "show", EXECUTION, "--region", "us-east-1"], monkeypatch, capsys)) == (
        f"error: {config}: max_attempts 'twice' is not a number of attempts; allowed: a whole number, 1 or more\n")


def test_a_bad_region_is_named_by_where_it_came_from(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us east 1")
    assert failed(cli(["history", "show", EXECUTION], monkeypatch, capsys)) == \
        f"error: AWS_REGION 'us east 1' is not an AWS region: {REGION_RULE}\n"
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us;east")
    assert failed(cli(["history", "show", EXECUTION], monkeypatch, capsys)) == \
        f"error: AWS_DEFAULT_REGION 'us;east' is not an AWS region: {REGION_RULE}\n"
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    config = tmp_path / "aws-config"
    config.write_text("[profile ops]\nregion = eu west 1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    assert failed(cli(["history", "show", EXECUTION, "--profile", "ops"], monkeypatch, capsys)) == (
        f"error: {config}: [profile ops] region 'eu west 1' is not an AWS region: {REGION_RULE}\n")


@pytest.mark.parametrize(("lines", "where"), [
    ("  aws:region: us east 1\n", "aws:region"),
    ("  aws:region: us-east-1\n  maintenance-windows:regions: [us-east-1, 'eu-west-1;']\n",
     "maintenance-windows:regions[1]"),
])
def test_a_bad_region_in_the_stack_is_named_by_file_and_key(lines: str, where: str, tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: maintenance-windows\n")
    (tmp_path / "__main__.py").write_text("")
    (tmp_path / "Pulumi.bad.yaml").write_text("config:\n" + lines + "  maintenance-windows:windows:\n"
                                              "    - name: Canary\n")
    clients = StubClients(region=None)

    message = failed(run(["history", "--project-dir", str(tmp_path), "--stack", "bad"], clients))

    bad = "us east 1" if where == "aws:region" else "eu-west-1;"
    assert message == f"error: {tmp_path / 'Pulumi.bad.yaml'}: {where} {bad!r} is not an AWS region: {REGION_RULE}\n"
    assert clients.asked == []  # nothing was called


# --- mw history --------------------------------------------------------------------------------------------


def test_executions_of_a_window_by_id_come_from_every_page_newest_first(stubbed: StubClients) -> None:
    ssm = stubbed.stub()
    expect_window_by_id(ssm)
    expect_executions(ssm, [window_execution(OLDEST_EXECUTION, "SUCCESS", T0 - timedelta(days=2), 3),
                            window_execution(EXECUTION, "FAILED", T0, 2.5, "One or more tasks failed.")],
                      next_token="page-2")
    expect_executions(ssm, [window_execution(OLDER_EXECUTION, "SUCCESS", T0 - timedelta(days=1), 61)], token="page-2")

    result = run(["history", "--window", WINDOW_ID, "--json"], stubbed)

    assert result.code == 0
    assert result.json() == {
        "filters": {"since": None, "status": None},
        "windows": [{"window_id": WINDOW_ID, "name": "PatchTestWorkloadWebServers", "account": None,
                     "account_name": None, "region": "us-east-1", "executions": [
                         {"execution_id": EXECUTION, "status": "FAILED", "status_details": "One or more tasks failed.",
                          "start_time": "2024-05-01T02:00:00Z", "end_time": "2024-05-01T02:02:30Z",
                          "duration_seconds": 150.0},
                         {"execution_id": OLDER_EXECUTION, "status": "SUCCESS", "status_details": None,
                          "start_time": "2024-04-30T02:00:00Z", "end_time": "2024-04-30T03:01:00Z",
                          "duration_seconds": 3660.0},
                         {"execution_id": OLDEST_EXECUTION, "status": "SUCCESS", "status_details": None,
                          "start_time": "2024-04-29T02:00:00Z", "end_time": "2024-04-29T02:03:00Z",
                          "duration_seconds": 180.0}]}]}


def test_a_window_name_resolves_to_every_window_of_exactly_that_name(stubbed: StubClients) -> None:
    ssm = stubbed.stub()
    expect_windows_named(ssm, "PatchTestWorkloadWebServers", [
        {"WindowId": WINDOW_ID, "Name": "PatchTestWorkloadWebServers"},
        {"WindowId": "mw-0aaaaaaaaaaaaaaaa", "Name": "PatchTestWorkloadWebServers-old"},
        {"WindowId": OTHER_WINDOW_ID, "Name": "PatchTestWorkloadWebServers"},
    ])
    expect_executions(ssm, [window_execution(EXECUTION, "SUCCESS", T0, 3, "")])
    expect_executions(ssm, [], window_id=OTHER_WINDOW_ID)

    result = run(["history", "--window", "PatchTestWorkloadWebServers"], stubbed)

    assert result.code == 0
    assert result.out == (
        f"PatchTestWorkloadWebServers ({WINDOW_ID}, us-east-1): 1 execution\n"
        "  EXECUTION                             STATUS   START                 END                   DURATION  DETAILS\n"
        f"  {EXECUTION}  SUCCESS  2024-05-01 02:00:00Z  2024-05-01 02:03:00Z  3m 00s\n"
        "\n"
        f"PatchTestWorkloadWebServers ({OTHER_WINDOW_ID}, us-east-1): 0 executions\n"
        "\n"
        "An execution's tasks and instances: mw history show EXECUTION_ID\n")


def test_an_unknown_window_name_lists_close_names(stubbed: StubClients) -> None:
    ssm = stubbed.stub()
    expect_windows_named(ssm, "PatchTestWorkloadWebServer", [])
    ssm.add_response("describe_maintenance_windows", {"WindowIdentities": [
        {"WindowId": WINDOW_ID, "Name": "PatchTestWorkloadWebServers"},
        {"WindowId": OTHER_WINDOW_ID, "Name": "PatchProdWorkloadWebServers"},
        {"WindowId": "mw-0aaaaaaaaaaaaaaaa", "Name": "Backups"}]}, {"MaxResults": 100})

    message = failed(run(["history", "--window", "PatchTestWorkloadWebServer"], stubbed))

    assert message == ("error: no maintenance window named 'PatchTestWorkloadWebServer' in us-east-1; close names: "
                       "PatchTestWorkloadWebServers, PatchProdWorkloadWebServers\n")


def test_an_unknown_window_id_lists_the_windows_there(stubbed: StubClients) -> None:
    ssm = stubbed.stub()
    ssm.add_client_error("get_maintenance_window", "DoesNotExistException", "Maintenance window not found",
                         expected_params={"WindowId": "mw-00000000000000000"})
    ssm.add_response("describe_maintenance_windows", {"WindowIdentities": [
        {"WindowId": WINDOW_ID, "Name": "PatchTestWorkloadWebServers"}]}, {"MaxResults": 100})

    message = failed(run(["history", "--window", "mw-00000000000000000"], stubbed))

    assert message == ("error: no maintenance window with ID 'mw-00000000000000000' in us-east-1; windows there: "
                       f"PatchTestWorkloadWebServers ({WINDOW_ID})\n")


def test_since_and_status_filter_the_executions(stubbed: StubClients) -> None:
    ssm = stubbed.stub()
    expect_window_by_id(ssm)
    # AWS filters by start time (ExecutedAfter); it has no status filter for executions, so mw applies it.
    expect_executions(ssm, [window_execution(EXECUTION, "FAILED", T0, 2.5, "One or more tasks failed."),
                            window_execution(OLDER_EXECUTION, "SUCCESS", T0 - timedelta(days=1), 3)],
                      filters=[{"Key": "ExecutedAfter", "Values": ["2024-04-24T05:00:00Z"]}])

    result = run(["history", "--window", WINDOW_ID, "--since", "2024-04-24T07:00:00+02:00", "--status", "failed",
                  "--json"], stubbed)

    assert result.json()["filters"] == {"since": "2024-04-24T05:00:00Z", "status": "FAILED"}
    assert [e["execution_id"] for e in result.json()["windows"][0]["executions"]] == [EXECUTION]


def test_a_relative_since_is_counted_back_from_now(stubbed: StubClients, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "_now", lambda: T0)
    ssm = stubbed.stub()
    expect_window_by_id(ssm)
    expect_executions(ssm, [], filters=[{"Key": "ExecutedAfter", "Values": ["2024-04-24T02:00:00Z"]}])

    result = run(["history", "--window", WINDOW_ID, "--since", "7d"], stubbed)

    assert result.out.startswith(f"PatchTestWorkloadWebServers ({WINDOW_ID}, us-east-1): 0 executions since "
                                 "2024-04-24T02:00:00Z\n")


def test_without_window_the_stack_names_the_windows_and_their_region(monkeypatch: pytest.MonkeyPatch) -> None:
    clients = StubClients(region=None)  # no --region, no AWS_REGION: the stack's aws:region must be used
    ssm = clients.stub(region="us-east-1")
    expect_windows_named(ssm, "PatchTestWorkloadWebServers",
                         [{"WindowId": WINDOW_ID, "Name": "PatchTestWorkloadWebServers"}])
    expect_executions(ssm, [])

    result = run(["history", "--project-dir", str(ROOT), "--stack", "dev", "--json"], clients)

    assert result.code == 0
    assert clients.asked == [("ssm", "us-east-1")]
    assert [w["name"] for w in result.json()["windows"]] == ["PatchTestWorkloadWebServers"]
    ssm.assert_no_pending_responses()


def multi_region_project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: maintenance-windows\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("")
    (tmp_path / "Pulumi.multi.yaml").write_text(
        "config:\n"
        "  aws:region: us-east-1\n"
        "  maintenance-windows:regions: [us-east-1, eu-west-1]\n"
        "  maintenance-windows:windows:\n"
        "    - name: Canary\n"
        "      schedule: cron(0 2 ? * TUE#2 *)\n"
        "      duration: 2\n")
    return tmp_path


def test_a_window_deployed_to_several_regions_is_looked_up_in_each(tmp_path: Path) -> None:
    clients = StubClients(region=None)
    for region, window_id in (("us-east-1", WINDOW_ID), ("eu-west-1", OTHER_WINDOW_ID)):
        ssm = clients.stub(region=region)
        expect_windows_named(ssm, "Canary", [{"WindowId": window_id, "Name": "Canary"}])
        expect_executions(ssm, [], window_id=window_id)

    result = run(["history", "--project-dir", str(multi_region_project(tmp_path)), "--stack", "multi", "--json"],
                 clients)

    assert [(w["region"], w["window_id"]) for w in result.json()["windows"]] == [("us-east-1", WINDOW_ID),
                                                                                ("eu-west-1", OTHER_WINDOW_ID)]
    for stubber in clients.stubbers.values():
        stubber.assert_no_pending_responses()


def test_region_flag_narrows_a_multi_region_stack(tmp_path: Path) -> None:
    clients = StubClients(region="eu-west-1")
    ssm = clients.stub(region="eu-west-1")
    expect_windows_named(ssm, "Canary", [{"WindowId": OTHER_WINDOW_ID, "Name": "Canary"}])
    expect_executions(ssm, [], window_id=OTHER_WINDOW_ID)

    result = run(["history", "--project-dir", str(multi_region_project(tmp_path)), "--stack", "multi",
                  "--region", "eu-west-1", "--json"], clients)

    assert [w["region"] for w in result.json()["windows"]] == ["eu-west-1"]
    ssm.assert_no_pending_responses()


def test_a_stack_without_windows_asks_for_window(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: maintenance-windows\n")
    (tmp_path / "__main__.py").write_text("")
    (tmp_path / "Pulumi.empty.yaml").write_text("config:\n  aws:region: us-east-1\n")

    message = failed(run(["history", "--project-dir", str(tmp_path), "--stack", "empty"], StubClients()))

    assert "names no windows (maintenance-windows:windows[].name): pass --window NAME or mw-ID" in message


# --- mw history show ---------------------------------------------------------------------------------------


def expect_execution(stubber: Stubber) -> None:
    stubber.add_response("get_maintenance_window_execution", {
        "WindowExecutionId": EXECUTION, "TaskIds": [TASK], "Status": "FAILED",
        "StatusDetails": "One or more tasks failed.", "StartTime": T0, "EndTime": T0 + timedelta(minutes=4)},
        {"WindowExecutionId": EXECUTION})


def expect_invocations(stubber: Stubber, invocations: list[dict[str, Any]]) -> None:
    stubber.add_response("describe_maintenance_window_execution_tasks", {"WindowExecutionTaskIdentities": [
        {"WindowExecutionId": EXECUTION, "TaskExecutionId": TASK, "Status": "FAILED",
         "StatusDetails": "One or more invocations failed.", "StartTime": T0 + timedelta(seconds=5),
         "EndTime": T0 + timedelta(minutes=4), "TaskArn": "AWS-RunPatchBaseline", "TaskType": "RUN_COMMAND"}]},
        {"WindowExecutionId": EXECUTION, "MaxResults": 100})
    stubber.add_response("describe_maintenance_window_execution_task_invocations",
                         {"WindowExecutionTaskInvocationIdentities": invocations},
                         {"WindowExecutionId": EXECUTION, "TaskId": TASK, "MaxResults": 100})


def invocation(invocation_id: str, command_id: str, instance_id: str, status: str, offset: int) -> dict[str, Any]:
    parameters = {"documentName": "AWS-RunPatchBaseline", "instanceIds": [instance_id], "maxConcurrency": "1",
                  "maxErrors": "1", "parameters": {"Operation": ["Install"]}, "timeoutSeconds": 600}
    return {"WindowExecutionId": EXECUTION, "TaskExecutionId": TASK, "InvocationId": invocation_id,
            "ExecutionId": command_id, "TaskType": "RUN_COMMAND", "Parameters": json.dumps(parameters),
            "Status": status, "StatusDetails": "Failed" if status == "FAILED" else "Success",
            "StartTime": T0 + timedelta(seconds=offset), "EndTime": T0 + timedelta(seconds=offset + 90),
            "WindowTargetId": "4f2e8c1a-9b3d-4e5f-a6b7-c8d9e0f1a2b3"}


def test_show_drills_into_tasks_invocations_and_instances(stubbed: StubClients) -> None:
    ssm = stubbed.stub()
    expect_execution(ssm)
    expect_invocations(ssm, [invocation(INVOCATION, COMMAND, INSTANCE, "FAILED", 10),
                             invocation(OLD_INVOCATION, OLD_COMMAND, OTHER_INSTANCE, "SUCCESS", 100)])
    ssm.add_response("list_command_invocations", {"CommandInvocations": [
        {"CommandId": COMMAND, "InstanceId": INSTANCE, "InstanceName": "web-1", "Status": "Failed",
         "StatusDetails": "Failed"}]}, {"CommandId": COMMAND, "MaxResults": 50})
    # Run Command has forgotten this one: the invocation's parameters still name its instance.
    ssm.add_client_error("list_command_invocations", "InvalidCommandId", "",
                         expected_params={"CommandId": OLD_COMMAND, "MaxResults": 50})

    result = run(["history", "show", EXECUTION, "--json"], stubbed)

    assert result.code == 0
    shown = result.json()
    assert shown["execution"] == {"execution_id": EXECUTION, "status": "FAILED",
                                  "status_details": "One or more tasks failed.", "start_time": "2024-05-01T02:00:00Z",
                                  "end_time": "2024-05-01T02:04:00Z", "duration_seconds": 240.0}
    [task] = shown["tasks"]
    assert (task["task_execution_id"], task["task_arn"], task["task_type"], task["duration_seconds"]) == \
        (TASK, "AWS-RunPatchBaseline", "RUN_COMMAND", 235.0)
    assert task["invocations"][0] == {
        "invocation_id": INVOCATION, "execution_id": COMMAND, "command_id": COMMAND,
        "document": "AWS-RunPatchBaseline", "window_target_id": "4f2e8c1a-9b3d-4e5f-a6b7-c8d9e0f1a2b3",
        "owner_information": None, "status": "FAILED", "status_details": "Failed",
        "start_time": "2024-05-01T02:00:10Z", "end_time": "2024-05-01T02:01:40Z", "duration_seconds": 90.0,
        "instances": [{"instance_id": INSTANCE, "instance_name": "web-1", "status": "Failed",
                       "status_details": "Failed"}]}
    assert task["invocations"][1]["instances"] == [{"instance_id": OTHER_INSTANCE, "instance_name": None,
                                                    "status": None, "status_details": None}]


def test_show_as_text_is_a_table_per_task_and_points_at_the_output(stubbed: StubClients) -> None:
    ssm = stubbed.stub()
    expect_execution(ssm)
    expect_invocations(ssm, [invocation(INVOCATION, COMMAND, INSTANCE, "FAILED", 10)])
    ssm.add_response("list_command_invocations", {"CommandInvocations": [
        {"CommandId": COMMAND, "InstanceId": INSTANCE, "InstanceName": "web-1", "Status": "Failed",
         "StatusDetails": "Failed"}]}, {"CommandId": COMMAND, "MaxResults": 50})

    result = run(["history", "show", EXECUTION], stubbed)

    assert result.out == (
        f"execution {EXECUTION} (us-east-1): FAILED, 2024-05-01 02:00:00Z to 2024-05-01 02:04:00Z (4m 00s)\n"
        "  One or more tasks failed.\n"
        "\n"
        f"task {TASK}: RUN_COMMAND AWS-RunPatchBaseline, FAILED, 2024-05-01 02:00:05Z to 2024-05-01 02:04:00Z "
        "(3m 55s)\n"
        "  One or more invocations failed.\n"
        "  INVOCATION                            STATUS  COMMAND                               INSTANCE"
        "                     ON INSTANCE  DETAILS\n"
        f"  {INVOCATION}  FAILED  {COMMAND}  {INSTANCE} (web-1)  Failed\n"
        "\n"
        f"Each step's output: mw history output {COMMAND}\n")


def test_show_draws_progress_on_a_terminal_and_clears_it() -> None:
    clients = StubClients()
    ssm = clients.stub()
    expect_execution(ssm)
    expect_invocations(ssm, [invocation(INVOCATION, COMMAND, INSTANCE, "SUCCESS", 10),
                             invocation(OLD_INVOCATION, OLD_COMMAND, OTHER_INSTANCE, "SUCCESS", 100)])
    for command in (COMMAND, OLD_COMMAND):
        ssm.add_response("list_command_invocations", {"CommandInvocations": []}, {"CommandId": command,
                                                                                  "MaxResults": 50})
    terminal = Tty()

    result = run(["history", "show", EXECUTION], clients, stderr=terminal)

    assert result.code == 0
    assert terminal.getvalue() == ("\rreading command instances 1/2\rreading command instances 2/2"
                                   "\r" + " " * len("reading command instances 2/2") + "\r")
    ssm.assert_no_pending_responses()


def test_progress_is_silent_off_a_terminal() -> None:
    stream = io.StringIO()
    with history.Progress("reading", 10, stream=stream) as progress:
        for _ in range(10):
            progress.tick()
    assert (progress.done, stream.getvalue()) == (10, "")


def test_an_unknown_execution_is_reported(stubbed: StubClients) -> None:
    stubbed.stub().add_client_error("get_maintenance_window_execution", "DoesNotExistException",
                                f"Window execution {EXECUTION} does not exist", expected_params={
                                    "WindowExecutionId": EXECUTION})

    message = failed(run(["history", "show", EXECUTION], stubbed))

    assert message == (f"error: no maintenance window execution {EXECUTION} in us-east-1: `mw history` lists "
                       "executions (check --region)\n")


def test_a_malformed_execution_id_is_refused_before_calling_aws(stubbed: StubClients) -> None:
    message = failed(run(["history", "show", "mw-0123456789abcdef0"], stubbed))
    assert "EXECUTION_ID 'mw-0123456789abcdef0' is not an ID of the form" in message


# --- mw history output -------------------------------------------------------------------------------------


def expect_command(stubber: Stubber, command_id: str = COMMAND, bucket: str = "", prefix: str = "",
                   cloudwatch: dict[str, Any] | None = None) -> None:
    command: dict[str, Any] = {"CommandId": command_id, "DocumentName": "AWS-RunPatchBaseline", "Status": "Failed",
                               "OutputS3KeyPrefix": prefix,
                               "CloudWatchOutputConfig": cloudwatch or {"CloudWatchOutputEnabled": False}}
    if bucket:  # AWS answers "" without a bucket, but the model's minimum length is 3: the Stubber refuses ""
        command["OutputS3BucketName"] = bucket
    stubber.add_response("list_commands", {"Commands": [command]}, {"CommandId": command_id})


def plugin(name: str, status: str, code: int, output: str = "") -> dict[str, Any]:
    return {"Name": name, "Status": status, "StatusDetails": status, "ResponseCode": code,
            "ResponseStartDateTime": T0 + timedelta(seconds=20), "ResponseFinishDateTime": T0 + timedelta(seconds=80),
            "Output": output}


SKIPPED = "Step execution skipped due to unsatisfied preconditions: '\"StringEquals\": [platformType, Windows]'."


def expect_command_invocations(stubber: Stubber, plugins: list[dict[str, Any]], command_id: str = COMMAND,
                               instance: str | None = None) -> None:
    params: dict[str, Any] = {"CommandId": command_id, "Details": True, "MaxResults": 50}
    if instance is not None:
        params["InstanceId"] = instance
    stubber.add_response("list_command_invocations", {"CommandInvocations": [{
        "CommandId": command_id, "InstanceId": INSTANCE, "InstanceName": "web-1", "DocumentName": "AWS-RunPatchBaseline",
        "Status": "Failed", "StatusDetails": "Failed", "CommandPlugins": plugins}]}, params)


def s3_object(text: str) -> dict[str, Any]:
    data = text.encode()
    return {"Body": StreamingBody(io.BytesIO(data), len(data)), "ContentLength": len(data)}


def test_output_reads_each_step_in_full_from_s3(stubbed: StubClients) -> None:
    ssm, s3 = stubbed.stub(), stubbed.stub("s3")
    expect_command(ssm, bucket=BUCKET, prefix="PatchTestWorkloadWebServers/PatchTestWorkloadWebServers/")
    expect_command_invocations(ssm, [plugin("PatchWindows", "Success", 0, SKIPPED),
                                     plugin("PatchLinux", "Failed", 1, PATCH_LOG[:2500]),
                                     plugin("PatchMacOS", "Success", 0, SKIPPED.replace("Windows", "MacOS"))])
    prefix = f"PatchTestWorkloadWebServers/PatchTestWorkloadWebServers/{COMMAND}/{INSTANCE}/"
    s3.add_response("list_objects_v2", {"Contents": [
        {"Key": f"{prefix}awsrunShellScript/PatchLinux/stderr"},
        {"Key": f"{prefix}awsrunShellScript/PatchLinux/stdout"}]}, {"Bucket": BUCKET, "Prefix": prefix})
    s3.add_response("get_object", s3_object(PATCH_LOG),
                    {"Bucket": BUCKET, "Key": f"{prefix}awsrunShellScript/PatchLinux/stdout"})
    s3.add_response("get_object", s3_object("Reboot requested by the patch operation.\n"),
                    {"Bucket": BUCKET, "Key": f"{prefix}awsrunShellScript/PatchLinux/stderr"})

    result = run(["history", "output", COMMAND], stubbed)

    assert result.code == 0
    assert len(PATCH_LOG) > 2500 and PATCH_LOG.rstrip("\n") in result.out  # the whole log, not the console's cut
    assert result.out.startswith(
        f"command {COMMAND} (AWS-RunPatchBaseline, us-east-1)\n"
        f"output: s3://{BUCKET}/PatchTestWorkloadWebServers/PatchTestWorkloadWebServers/{COMMAND}/ (complete)\n"
        "\n"
        f"=== {INSTANCE} (web-1): Failed\n"
        "--- Step 1 - PatchWindows: Success, exit 0\n"
        f"{SKIPPED}\n"
        f"--- Step 2 - PatchLinux: Failed, exit 1 [s3://{BUCKET}/{prefix}awsrunShellScript/PatchLinux/stdout]\n"
        "/usr/bin/python3\n")
    assert result.out.endswith("END OF PATCH LOG\n"
                               "--- Step 2 - PatchLinux: stderr\n"
                               "Reboot requested by the patch operation.\n"
                               "--- Step 3 - PatchMacOS: Success, exit 0\n"
                               f"{SKIPPED.replace('Windows', 'MacOS')}\n")
    assert "[output cut" not in result.out and "note:" not in result.out


def test_output_as_json_says_where_each_step_came_from(stubbed: StubClients) -> None:
    ssm, s3 = stubbed.stub(), stubbed.stub("s3")
    expect_command(ssm, bucket=BUCKET, prefix="")
    expect_command_invocations(ssm, [plugin("PatchLinux", "Success", 0, PATCH_LOG[:2500])], instance=INSTANCE)
    prefix = f"{COMMAND}/{INSTANCE}/"
    s3.add_response("list_objects_v2", {"Contents": [{"Key": f"{prefix}awsrunShellScript/PatchLinux/stdout"}]},
                    {"Bucket": BUCKET, "Prefix": prefix})
    s3.add_response("get_object", s3_object(PATCH_LOG), {"Bucket": BUCKET,
                                                         "Key": f"{prefix}awsrunShellScript/PatchLinux/stdout"})

    result = run(["history", "output", COMMAND, "--instance", INSTANCE, "--json"], stubbed)

    shown = result.json()
    assert {k: v for k, v in shown.items() if k != "instances"} == {
        "region": "us-east-1", "command_id": COMMAND, "invocation_id": None, "document": "AWS-RunPatchBaseline",
        "output_s3": {"bucket": BUCKET, "key_prefix": ""}, "truncated": False, "notes": []}
    [step] = shown["instances"][0]["steps"]
    assert step == {"step": 1, "name": "PatchLinux", "status": "Success", "status_details": "Success",
                    "response_code": 0, "start_time": "2024-05-01T02:00:20Z", "end_time": "2024-05-01T02:01:20Z",
                    "duration_seconds": 60.0, "source": "s3", "stdout": PATCH_LOG, "stderr": "", "truncated": False,
                    "s3_keys": {"stdout": f"{prefix}awsrunShellScript/PatchLinux/stdout", "stderr": None}}


def test_output_without_s3_says_it_was_cut_and_where_the_rest_is(stubbed: StubClients) -> None:
    ssm = stubbed.stub()
    expect_command(ssm, cloudwatch={"CloudWatchOutputEnabled": True})
    expect_command_invocations(ssm, [plugin("PatchWindows", "Success", 0, SKIPPED),
                                     plugin("PatchLinux", "Success", 0, PATCH_LOG[:2500])])
    for name, stdout in (("PatchWindows", SKIPPED), ("PatchLinux", "x" * 24_000)):
        ssm.add_response("get_command_invocation", {
            "CommandId": COMMAND, "InstanceId": INSTANCE, "PluginName": name, "Status": "Success",
            "StandardOutputContent": stdout, "StandardErrorContent": ""},
            {"CommandId": COMMAND, "InstanceId": INSTANCE, "PluginName": name})

    result = run(["history", "output", COMMAND], stubbed)

    assert result.out.splitlines()[1] == ("output: Systems Manager only, no S3 output configured (at most 24,000 "
                                          "characters of stdout and 8,000 of stderr per step)")
    assert ("note: the output of 1 step was cut by Systems Manager (it keeps 24,000 characters of stdout and 8,000 "
            "of stderr per step) and this command has no S3 output: give the task an outputS3 location (or set "
            "maintenance-windows:outputBucket) to keep the complete output; the complete output is also in "
            "CloudWatch Logs group /aws/ssm/AWS-RunPatchBaseline\n") in result.out
    assert result.out.endswith("x" * 24_000 + "\n[output cut by Systems Manager at 24,000 characters of stdout / "
                               "8,000 of stderr; no S3 output is configured]\n")


def test_output_falls_back_to_systems_manager_when_s3_is_denied(stubbed: StubClients) -> None:
    ssm, s3 = stubbed.stub(), stubbed.stub("s3")
    expect_command(ssm, bucket=BUCKET, prefix="logs")
    expect_command_invocations(ssm, [plugin("PatchLinux", "Failed", 1, "short")])
    s3.add_client_error("list_objects_v2", "AccessDenied", "Access Denied", http_status_code=403,
                        expected_params={"Bucket": BUCKET, "Prefix": f"logs/{COMMAND}/{INSTANCE}/"})
    ssm.add_response("get_command_invocation", {"StandardOutputContent": "partial\n",
                                                "StandardErrorContent": "boom\n"},
                     {"CommandId": COMMAND, "InstanceId": INSTANCE, "PluginName": "PatchLinux"})

    result = run(["history", "output", COMMAND, "--json"], stubbed)

    shown = result.json()
    assert shown["notes"] == [
        f"cannot list s3://{BUCKET}/logs/{COMMAND}/{INSTANCE}/ (access denied: ListObjectsV2 needs the IAM "
        "permission s3:ListBucket; grant it to the identity in use (AWS said: Access Denied)); showing what "
        "Systems Manager keeps instead"]
    [step] = shown["instances"][0]["steps"]
    assert (step["source"], step["stdout"], step["stderr"], step["truncated"]) == ("ssm", "partial\n", "boom\n", False)


def test_output_accepts_a_task_invocation_id_with_its_execution(stubbed: StubClients) -> None:
    ssm = stubbed.stub()
    expect_invocations(ssm, [invocation(OLD_INVOCATION, OLD_COMMAND, OTHER_INSTANCE, "SUCCESS", 100),
                             invocation(INVOCATION, COMMAND, INSTANCE, "FAILED", 10)])
    expect_command(ssm)
    expect_command_invocations(ssm, [plugin("PatchLinux", "Pending", -1)])

    result = run(["history", "output", INVOCATION, "--execution", EXECUTION, "--json"], stubbed)

    shown = result.json()
    assert (shown["command_id"], shown["invocation_id"]) == (COMMAND, INVOCATION)
    assert shown["instances"][0]["steps"][0]["source"] == "none"  # not run yet: nothing to fetch


def test_an_unknown_command_explains_both_kinds_of_id(stubbed: StubClients) -> None:
    stubbed.stub().add_client_error("list_commands", "InvalidCommandId", "", expected_params={"CommandId": INVOCATION})

    message = failed(run(["history", "output", INVOCATION], stubbed))

    assert message == (f"error: no Run Command command {INVOCATION} in us-east-1: Run Command forgets commands after "
                       "a while (their S3 output stays), and a task invocation ID needs --execution "
                       "WINDOW_EXECUTION_ID\n")


def test_an_instance_that_did_not_run_the_command_is_reported(stubbed: StubClients) -> None:
    ssm = stubbed.stub()
    expect_command(ssm)
    ssm.add_response("list_command_invocations", {"CommandInvocations": []},
                     {"CommandId": COMMAND, "Details": True, "MaxResults": 50, "InstanceId": OTHER_INSTANCE})

    message = failed(run(["history", "output", COMMAND, "--instance", OTHER_INSTANCE], stubbed))

    assert f"instance {OTHER_INSTANCE} has no invocation of command {COMMAND}" in message


@pytest.mark.parametrize(("parts", "key"), [
    (("PatchTestWorkloadWebServers/PatchTestWorkloadWebServers/", COMMAND, INSTANCE),
     f"PatchTestWorkloadWebServers/PatchTestWorkloadWebServers/{COMMAND}/{INSTANCE}"),
    (("", COMMAND, INSTANCE), f"{COMMAND}/{INSTANCE}"),
    (("logs//daily", COMMAND), f"logs/daily/{COMMAND}"),
])
def test_s3_keys_are_joined_the_way_the_agent_joins_them(parts: tuple[str, ...], key: str) -> None:
    assert history._s3_join(*parts) == key


# --- odd replies, stubbed (valid by the model, not what mw can use) ----------------------------------------


@pytest.mark.parametrize("tokens", [["page-2", "page-2"], ["page-2", "page-3", "page-2"]])
def test_a_page_token_sent_again_is_an_error_not_an_endless_listing(tokens: list[str], stubbed: StubClients) -> None:
    ssm = stubbed.stub()
    expect_window_by_id(ssm)
    for index, token in enumerate(tokens):
        expect_executions(ssm, [window_execution(f"{EXECUTION[:-2]}{index:02d}", "SUCCESS", T0, 3)],
                          next_token=token, token=tokens[index - 1] if index else None)

    message = failed(run(["history", "--window", WINDOW_ID, "--json"], stubbed))

    assert message == (f"error: unreadable reply to DescribeMaintenanceWindowExecutions from ssm.us-east-1: page "
                       f"{len(tokens)} offers the NextToken of an earlier page again ('page-2'): the listing would "
                       "never end; nothing was read from it (a proxy or the endpoint AWS_ENDPOINT_URL names may have "
                       "answered instead of AWS)\n")


def test_a_listing_stops_with_an_error_at_the_page_cap(stubbed: StubClients, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mw._aws, "MAX_PAGES", 3)
    ssm = stubbed.stub()
    expect_window_by_id(ssm)
    for page in range(3):  # a 4th request would find no stubbed answer
        expect_executions(ssm, [window_execution(f"{EXECUTION[:-2]}{page:02d}", "SUCCESS", T0, 3)],
                          next_token=f"page-{page + 2}", token=f"page-{page + 1}" if page else None)

    message = failed(run(["history", "--window", WINDOW_ID, "--json"], stubbed))

    assert message == ("error: DescribeMaintenanceWindowExecutions in ssm.us-east-1 still offers more after 3 pages "
                       "(3 items): mw reads at most 3 pages per listing and does not show a cut list; --since "
                       "narrows it to recent executions\n")


def test_a_listing_of_exactly_the_page_cap_is_read_whole(stubbed: StubClients, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mw._aws, "MAX_PAGES", 3)
    ssm = stubbed.stub()
    expect_window_by_id(ssm)
    for page in range(3):
        expect_executions(ssm, [window_execution(f"{EXECUTION[:-2]}{page:02d}", "SUCCESS", T0, 3)],
                          next_token=f"page-{page + 2}" if page < 2 else None, token=f"page-{page + 1}" if page else None)

    result = run(["history", "--window", WINDOW_ID, "--json"], stubbed)

    assert result.code == 0
    assert len(result.json()["windows"][0]["executions"]) == 3


def test_the_default_page_cap_is_documented() -> None:
    assert mw._aws.MAX_PAGES == 500
    assert "A listing reads at most 500 pages" in " ".join((history.__doc__ or "").split())


def _without(item: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != key}


def _show_without_task_id(ssm: Stubber, s3: Stubber) -> None:
    expect_execution(ssm)
    ssm.add_response("describe_maintenance_window_execution_tasks", {"WindowExecutionTaskIdentities": [
        {"WindowExecutionId": EXECUTION, "Status": "FAILED", "TaskArn": "AWS-RunPatchBaseline"}]},
        {"WindowExecutionId": EXECUTION, "MaxResults": 100})


def _show_without_invocation_id(ssm: Stubber, s3: Stubber) -> None:
    expect_execution(ssm)
    expect_invocations(ssm, [_without(invocation(INVOCATION, COMMAND, INSTANCE, "FAILED", 10), "InvocationId")])


def _show_without_instance_id(ssm: Stubber, s3: Stubber) -> None:
    expect_execution(ssm)
    expect_invocations(ssm, [invocation(INVOCATION, COMMAND, INSTANCE, "FAILED", 10)])
    ssm.add_response("list_command_invocations", {"CommandInvocations": [{"CommandId": COMMAND, "Status": "Failed"}]},
                     {"CommandId": COMMAND, "MaxResults": 50})


def _window_name_without_id(ssm: Stubber, s3: Stubber) -> None:
    expect_windows_named(ssm, "PatchTestWorkloadWebServers", [{"Name": "PatchTestWorkloadWebServers"}])


def _output_without_instance_id(ssm: Stubber, s3: Stubber) -> None:
    expect_command(ssm)
    ssm.add_response("list_command_invocations", {"CommandInvocations": [{"CommandId": COMMAND, "CommandPlugins": []}]},
                     {"CommandId": COMMAND, "Details": True, "MaxResults": 50})


def _output_step_without_name(ssm: Stubber, s3: Stubber) -> None:
    expect_command(ssm)
    expect_command_invocations(ssm, [_without(plugin("PatchLinux", "Failed", 1), "Name")])


def _output_object_without_key(ssm: Stubber, s3: Stubber) -> None:
    expect_command(ssm, bucket=BUCKET)
    expect_command_invocations(ssm, [plugin("PatchLinux", "Failed", 1)])
    s3.add_response("list_objects_v2", {"Contents": [{"Size": 3}]}, {"Bucket": BUCKET, "Prefix": f"{COMMAND}/{INSTANCE}/"})


@pytest.mark.parametrize(("argv", "stub", "message"), [
    (["show", EXECUTION], _show_without_task_id,
     "DescribeMaintenanceWindowExecutionTasks from ssm.us-east-1: page 1, WindowExecutionTaskIdentities[0] has no "
     "TaskExecutionId"),
    (["show", EXECUTION], _show_without_invocation_id,
     "DescribeMaintenanceWindowExecutionTaskInvocations from ssm.us-east-1: page 1, "
     "WindowExecutionTaskInvocationIdentities[0] has no InvocationId"),
    (["show", EXECUTION], _show_without_instance_id,
     "ListCommandInvocations from ssm.us-east-1: page 1, CommandInvocations[0] has no InstanceId"),
    (["--window", "PatchTestWorkloadWebServers"], _window_name_without_id,
     "DescribeMaintenanceWindows from ssm.us-east-1: page 1, WindowIdentities[0] has no WindowId"),
    (["output", COMMAND], _output_without_instance_id,
     "ListCommandInvocations from ssm.us-east-1: page 1, CommandInvocations[0] has no InstanceId"),
    (["output", COMMAND], _output_step_without_name,
     f"ListCommandInvocations from ssm.us-east-1: the invocation on {INSTANCE} has a step without Name (step 1)"),
    (["output", COMMAND], _output_object_without_key,
     "ListObjectsV2 from s3.us-east-1: page 1, Contents[0] has no Key"),
])
def test_an_item_without_the_id_mw_needs_is_an_unreadable_reply(argv: list[str], stub: Any, message: str,
                                                               stubbed: StubClients) -> None:
    stub(stubbed.stub(), stubbed.stub("s3"))

    result = run(["history", *argv, "--json"], stubbed)

    assert failed(result).startswith(f"error: unreadable reply to {message}; nothing was read from it")
    assert result.out == ""


def test_invocation_parameters_of_an_odd_shape_are_ignored_not_fatal(stubbed: StubClients) -> None:
    ssm = stubbed.stub()
    expect_execution(ssm)
    odd = {**invocation(INVOCATION, COMMAND, INSTANCE, "SUCCESS", 10),
           "Parameters": json.dumps({"instanceIds": 5, "documentName": {"name": "AWS-RunPatchBaseline"}})}
    expect_invocations(ssm, [odd])
    ssm.add_client_error("list_command_invocations", "InvalidCommandId", "",
                         expected_params={"CommandId": COMMAND, "MaxResults": 50})

    result = run(["history", "show", EXECUTION, "--json"], stubbed)

    assert result.code == 0, result.err
    shown = result.json()["tasks"][0]["invocations"][0]
    assert (shown["document"], shown["instances"]) == (None, [])


def test_times_without_an_offset_are_read_as_utc(stubbed: StubClients) -> None:
    ssm = stubbed.stub()
    expect_window_by_id(ssm)
    expect_executions(ssm, [window_execution(EXECUTION, "SUCCESS", T0.replace(tzinfo=None), 3),
                            window_execution(OLDER_EXECUTION, "SUCCESS", T0 - timedelta(days=1), 3)])

    result = run(["history", "--window", WINDOW_ID, "--json"], stubbed)

    assert [(e["execution_id"], e["start_time"]) for e in result.json()["windows"][0]["executions"]] == [
        (EXECUTION, "2024-05-01T02:00:00Z"), (OLDER_EXECUTION, "2024-04-30T02:00:00Z")]


def _s3_list_objects_model() -> Any:
    return BOTOCORE.get_service_model("s3").operation_model("ListObjectsV2")


@pytest.mark.parametrize(("body", "problem"), [
    (b"", "the body is empty (allowed: an XML document)"),
    (b"<ListBucketResult><Contents><Key>a", "botocore cannot parse it (ResponseParserError: Unable to parse "),
    (b"<ListBucketResult><KeyCount>many</KeyCount></ListBucketResult>", "botocore cannot parse it (ValueError: "),
])
def test_an_xml_reply_botocore_cannot_read_is_named(body: bytes, problem: str) -> None:
    found = reply_problem(_s3_list_objects_model(), {"status_code": 200, "headers": {}, "body": body})
    assert found is not None and found.startswith(problem)


def test_an_honest_xml_reply_passes() -> None:
    body = (b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><KeyCount>0</KeyCount>'
            b"<IsTruncated>false</IsTruncated></ListBucketResult>")
    assert reply_problem(_s3_list_objects_model(), {"status_code": 200, "headers": {}, "body": body}) is None


class _Stderr(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(("tty", "shown"), [
    # A terminal gets one line, counting seconds, cleared when the answer comes.
    (True, "\rwaiting for ssm.us-east-1 (GetMaintenanceWindow)... 3 s" + "\r" + " " * 55 + "\r"),
    # A log gets one line per attempt, kept.
    (False, "waiting for ssm.us-east-1 (GetMaintenanceWindow)...\n"),
])
def test_the_waiting_notice_is_stderr_only_and_a_late_one_is_dropped(tty: bool, shown: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    stream = _Stderr(tty)
    monkeypatch.setattr(sys, "stderr", stream)
    waits = Waits(after=3600)  # its own timer never fires here: the test draws the notice itself
    waits.start("ssm.us-east-1", "GetMaintenanceWindow", "waiting for ssm.us-east-1 (GetMaintenanceWindow)")
    call = waits._call
    waits._show(call, stream, "waiting for ssm.us-east-1 (GetMaintenanceWindow)", time.monotonic() - 3)
    waits.answered()
    waits._show(call, stream, "waiting for ssm.us-east-1 (GetMaintenanceWindow)", time.monotonic())  # too late

    assert stream.getvalue() == shown
    assert waits.last == ("ssm.us-east-1", "GetMaintenanceWindow")


# --- errors from AWS and the environment -------------------------------------------------------------------


def test_access_denied_names_the_action_aws_named(stubbed: StubClients) -> None:
    stubbed.stub().add_client_error(
        "describe_maintenance_windows", "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ssm:DescribeMaintenanceWindows on "
        "resource: arn:aws:ssm:us-east-1:123456789012:* because no identity-based policy allows the "
        "ssm:DescribeMaintenanceWindows action",
        expected_params={"Filters": [{"Key": "Name", "Values": ["Nightly"]}], "MaxResults": 100})

    message = failed(run(["history", "--window", "Nightly"], stubbed))

    assert message.startswith("error: access denied: DescribeMaintenanceWindows needs the IAM permission "
                              "ssm:DescribeMaintenanceWindows; grant it to the identity in use (AWS said: User: ")


def test_access_denied_without_details_names_the_action_of_the_call(stubbed: StubClients) -> None:
    stubbed.stub().add_client_error("get_maintenance_window_execution", "AccessDeniedException", "",
                                expected_params={"WindowExecutionId": EXECUTION})

    message = failed(run(["history", "show", EXECUTION], stubbed))

    assert message == ("error: access denied: GetMaintenanceWindowExecution needs the IAM permission "
                       "ssm:GetMaintenanceWindowExecution; grant it to the identity in use\n")


@pytest.mark.parametrize(("operation", "action"), [
    ("DescribeMaintenanceWindowExecutions", "ssm:DescribeMaintenanceWindowExecutions"),
    ("ListObjectsV2", "s3:ListBucket"), ("GetObject", "s3:GetObject"),
])
def test_operations_map_to_iam_actions(operation: str, action: str) -> None:
    assert iam_action(operation) == action


def cli(argv: list[str], monkeypatch: pytest.MonkeyPatch | None, capsys: pytest.CaptureFixture[str]) -> Result:
    """The real ``mw`` entry point and the real boto3 clients."""
    assert "mw.history" in mw.cli.COMMANDS
    code = mw.cli.main(argv)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def test_no_credentials_says_how_to_configure_them(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    message = failed(cli(["history", "--window", WINDOW_ID, "--region", "us-east-1"], monkeypatch, capsys))
    assert message == ("error: no AWS credentials found: set AWS_PROFILE or pass --profile (after `aws configure` or "
                       "`aws configure sso` and `aws sso login`), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n")


def test_no_region_says_how_to_give_one(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    message = failed(cli(["history", "show", EXECUTION], monkeypatch, capsys))
    assert message == "error: no AWS region: pass --region, set AWS_REGION, or set a region in your AWS profile\n"


def test_an_unknown_profile_is_named(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    message = failed(cli(["history", "show", EXECUTION, "--profile", "nope", "--region", "us-east-1"],
                         monkeypatch, capsys))
    assert message == "error: AWS profile 'nope' not found: check --profile or AWS_PROFILE against ~/.aws/config\n"


# --- the real client path, over HTTP -----------------------------------------------------------------------


SILENT = "silent"
"""An answer that never comes: the stand-in holds the connection open until the test ends."""


class _SsmStandIn(BaseHTTPRequestHandler):
    """Answers SSM's JSON protocol (``X-Amz-Target: AmazonSSM.<Operation>``) from the server's ``answers``.

    An answer is ``(status, JSON value)``, ``(status, raw bytes)``, a function of the request body returning
    either, or :data:`SILENT`.
    """

    server: Any

    def do_POST(self) -> None:
        operation = self.headers["X-Amz-Target"].removeprefix("AmazonSSM.")
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        self.server.requests.append((operation, body, self.headers.get("Authorization", "")))
        answer = self.server.answers[operation]
        if answer == SILENT:
            self.server.release.wait(30)
            return
        status, reply = answer(body) if callable(answer) else answer
        data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:  # keep pytest's output clean
        pass


@pytest.fixture
def ssm_endpoint(serve_aws: Callable[..., ThreadingHTTPServer], monkeypatch: pytest.MonkeyPatch) -> ThreadingHTTPServer:
    server = serve_aws(_SsmStandIn)
    server.requests, server.answers, server.release = [], {}, threading.Event()
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    return server


def bounded(call: Any, seconds: float = 20) -> Any:
    """Run ``call`` in a thread and fail the test, rather than hang, if it takes longer than ``seconds``."""
    outcome: list[Any] = []
    worker = threading.Thread(target=lambda: outcome.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"no answer within {seconds} s"
    return outcome[0]


def test_the_real_client_lists_executions_over_http(ssm_endpoint: ThreadingHTTPServer) -> None:
    start = T0.timestamp()
    ssm_endpoint.answers.update({
        "GetMaintenanceWindow": (200, {"WindowId": WINDOW_ID, "Name": "PatchTestWorkloadWebServers"}),
        "DescribeMaintenanceWindowExecutions": (200, {"WindowExecutions": [
            {"WindowId": WINDOW_ID, "WindowExecutionId": EXECUTION, "Status": "SUCCESS", "StartTime": start,
             "EndTime": start + 190.5}]}),
    })

    result = bounded(lambda: run(["history", "--window", WINDOW_ID, "--since", "2024-04-24", "--json"]))

    assert result.code == 0, result.err
    assert result.json()["windows"][0]["executions"] == [
        {"execution_id": EXECUTION, "status": "SUCCESS", "status_details": None, "start_time": "2024-05-01T02:00:00Z",
         "end_time": "2024-05-01T02:03:10Z", "duration_seconds": 190.5}]
    assert [(operation, body) for operation, body, _ in ssm_endpoint.requests] == [
        ("GetMaintenanceWindow", {"WindowId": WINDOW_ID}),
        ("DescribeMaintenanceWindowExecutions", {"WindowId": WINDOW_ID, "MaxResults": 100, "Filters": [
            {"Key": "ExecutedAfter", "Values": ["2024-04-24T00:00:00Z"]}]})]
    assert all(auth.startswith("AWS4-HMAC-SHA256 Credential=testing/") for _, _, auth in ssm_endpoint.requests)


def test_the_real_client_turns_access_denied_into_the_missing_action(ssm_endpoint: ThreadingHTTPServer) -> None:
    ssm_endpoint.answers["GetMaintenanceWindowExecution"] = (400, {
        "__type": "AccessDeniedException",
        "message": "User: arn:aws:sts::123456789012:assumed-role/ci/run is not authorized to perform: "
                   "ssm:GetMaintenanceWindowExecution on resource: arn:aws:ssm:us-east-1:123456789012:*"})

    result = bounded(lambda: run(["history", "show", EXECUTION]))

    assert "access denied: GetMaintenanceWindowExecution needs the IAM permission ssm:GetMaintenanceWindowExecution" \
        in failed(result)
    assert len(ssm_endpoint.requests) == 1  # an access error is not retried


def test_listing_commands_does_not_import_the_sdk_machinery() -> None:
    # `mw --help` registers every command; only a command that calls AWS should pay for botocore's session and
    # parsers (~150 ms), or boto3.
    script = ("import argparse, sys, mw.history\n"
              "mw.history.register(argparse.ArgumentParser().add_subparsers())\n"
              "print(sorted({'boto3', 'botocore.session', 'botocore.parsers', 'botocore.utils'} & set(sys.modules)))")
    found = subprocess.run([sys.executable, "-c", script], cwd=ROOT, timeout=60, capture_output=True, text=True)
    assert (found.returncode, found.stdout) == (0, "[]\n"), found.stderr


def operations(server: ThreadingHTTPServer) -> list[str]:
    return [operation for operation, _, _ in server.requests]


def unreadable(server: ThreadingHTTPServer, operation: str, problem: str) -> str:
    return (f"error: unreadable reply to {operation} from ssm.us-east-1 (http://127.0.0.1:{server.server_address[1]}, "
            f"HTTP 200): {problem}; nothing was read from it (a proxy or the endpoint AWS_ENDPOINT_URL names may "
            "have answered instead of AWS)\n")


WINDOW_REPLY = (200, {"WindowId": WINDOW_ID, "Name": "PatchTestWorkloadWebServers"})
AN_EXECUTION = {"WindowId": WINDOW_ID, "WindowExecutionId": EXECUTION, "Status": "SUCCESS",
                "StartTime": T0.timestamp()}


@pytest.mark.parametrize(("body", "problem"), [
    (b'{"WindowExecutions": [{"WindowId": "mw-0123', "the body is not JSON (Unterminated string starting at: line 1 "
                                                     "column 36 (char 35)): '{\"WindowExecutions\": [{\"WindowId\": "
                                                     "\"mw-0123'"),
    (b"<html><body><h1>502 Bad Gateway</h1></body></html>",
     "the body is not JSON (Expecting value: line 1 column 1 (char 0)): '<html><body><h1>502 Bad Gateway</h1>"
     "</body></html>'"),
    (b"", "the body is empty (allowed: a JSON object)"),
    (b"\xff\xfe{}", "the body is not UTF-8 text (4 bytes; allowed: a JSON object)"),
    (b"null", "the body is null, not a JSON object"),
    (b"[]", "the body is a list of 0, not a JSON object"),
    (b'{"WindowExecutions": [{"StartTime": NaN}]}',
     "the body is not JSON (NaN is not a JSON value): '{\"WindowExecutions\": [{\"StartTime\": NaN}]}'"),
    ({"WindowExecutions": "none"}, "WindowExecutions: 'none' is not a list"),
    ({"WindowExecutions": ["x"]}, "WindowExecutions[0]: 'x' is not an object"),  # was an AttributeError
    ({"WindowExecutions": [None]}, "WindowExecutions[0]: null"),
    ({"WindowExecutions": [{**AN_EXECUTION, "StartTime": "yesterday"}]},  # was a ValueError
     "WindowExecutions[0].StartTime: 'yesterday' is not a time (allowed: seconds since 1970 or an ISO 8601 time)"),
    ({"WindowExecutions": [{**AN_EXECUTION, "EndTime": 1e20}]},
     "WindowExecutions[0].EndTime: 100000000000000000000 is not a time (allowed: seconds since 1970 or an ISO 8601 time)"),
    ({"WindowExecutions": [{**AN_EXECUTION, "StartTime": True}]},
     "WindowExecutions[0].StartTime: true is not a time (allowed: seconds since 1970 or an ISO 8601 time)"),
    ({"WindowExecutions": [{**AN_EXECUTION, "StartTime": "9999-12-31T23:59:59-01:00"}]},
     "WindowExecutions[0].StartTime: '9999-12-31T23:59:59-01:00' is not a time (allowed: seconds since 1970 or an "
     "ISO 8601 time)"),
    ({"WindowExecutions": [{**AN_EXECUTION, "Status": 5}]}, "WindowExecutions[0].Status: 5 is not a string"),
    ({"WindowExecutions": [], "NextToken": 5}, "NextToken: 5 is not a string"),
    ({"WindowExecutions": [_without(AN_EXECUTION, "WindowExecutionId")]},
     "page 1, WindowExecutions[0] has no WindowExecutionId"),
])
def test_a_corrupt_reply_is_an_error_never_an_empty_list(body: Any, problem: str,
                                                         ssm_endpoint: ThreadingHTTPServer) -> None:
    ssm_endpoint.answers.update({"GetMaintenanceWindow": WINDOW_REPLY,
                                 "DescribeMaintenanceWindowExecutions": (200, body)})

    result = bounded(lambda: run(["history", "--window", WINDOW_ID, "--json"]))

    message = failed(result)
    if problem.startswith("page 1"):  # found by paginate() once the page is read: where names no endpoint
        assert message == (f"error: unreadable reply to DescribeMaintenanceWindowExecutions from ssm.us-east-1: "
                           f"{problem}; nothing was read from it (a proxy or the endpoint AWS_ENDPOINT_URL names may "
                           "have answered instead of AWS)\n")
    else:
        assert message == unreadable(ssm_endpoint, "DescribeMaintenanceWindowExecutions", problem)
    assert result.out == ""
    assert operations(ssm_endpoint) == ["GetMaintenanceWindow", "DescribeMaintenanceWindowExecutions"]  # no retry


@pytest.mark.parametrize("body", [{"WindowExecutions": []}, {}])
def test_an_honestly_empty_reply_still_reads_as_empty(body: dict[str, Any], ssm_endpoint: ThreadingHTTPServer) -> None:
    ssm_endpoint.answers.update({"GetMaintenanceWindow": WINDOW_REPLY,
                                 "DescribeMaintenanceWindowExecutions": (200, body)})

    result = bounded(lambda: run(["history", "--window", WINDOW_ID]))

    assert result.code == 0, result.err
    assert result.out == f"PatchTestWorkloadWebServers ({WINDOW_ID}, us-east-1): 0 executions\n"


def test_a_malformed_command_output_is_an_error_not_no_output(ssm_endpoint: ThreadingHTTPServer) -> None:
    ssm_endpoint.answers.update({
        "ListCommands": (200, {"Commands": [{"CommandId": COMMAND, "DocumentName": "AWS-RunPatchBaseline"}]}),
        "ListCommandInvocations": (200, {"CommandInvocations": [{
            "CommandId": COMMAND, "InstanceId": INSTANCE, "Status": "Success",
            "CommandPlugins": [{"Name": "PatchLinux", "Status": "Success", "Output": "x" * 2500}]}]}),
        "GetCommandInvocation": (200, b'{"StandardOutputContent": "Installed 3 packa'),
    })

    result = bounded(lambda: run(["history", "output", COMMAND]))

    assert failed(result) == unreadable(ssm_endpoint, "GetCommandInvocation", (
        "the body is not JSON (Unterminated string starting at: line 1 column 27 (char 26)): "
        "'{\"StandardOutputContent\": \"Installed 3 packa'"))
    assert "(no output)" not in result.out


def _endless(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """A new page token on every page, for ever."""
    page = int(body.get("NextToken", "page-1").removeprefix("page-"))
    return 200, {"WindowExecutions": [{**AN_EXECUTION, "WindowExecutionId": f"{EXECUTION[:-4]}{page:04d}"}],
                 "NextToken": f"page-{page + 1}"}


@pytest.mark.slow  # 500 pages over HTTP
def test_an_endless_listing_stops_at_the_page_cap(ssm_endpoint: ThreadingHTTPServer) -> None:
    ssm_endpoint.answers.update({"GetMaintenanceWindow": WINDOW_REPLY, "DescribeMaintenanceWindowExecutions": _endless})

    result = bounded(lambda: run(["history", "--window", WINDOW_ID, "--json"]), seconds=120)

    assert failed(result) == ("error: DescribeMaintenanceWindowExecutions in ssm.us-east-1 still offers more after "
                              "500 pages (500 items): mw reads at most 500 pages per listing and does not show a cut "
                              "list; --since narrows it to recent executions\n")
    assert operations(ssm_endpoint).count("DescribeMaintenanceWindowExecutions") == 500  # a bound, not for ever
    assert result.out == ""


def test_a_page_token_repeated_over_http_ends_the_listing(ssm_endpoint: ThreadingHTTPServer) -> None:
    ssm_endpoint.answers.update({"GetMaintenanceWindow": WINDOW_REPLY, "DescribeMaintenanceWindowExecutions": (
        200, {"WindowExecutions": [AN_EXECUTION], "NextToken": "again"})})

    result = bounded(lambda: run(["history", "--window", WINDOW_ID]))

    assert "page 2 offers the NextToken of an earlier page again ('again'): the listing would never end" \
        in failed(result)
    assert operations(ssm_endpoint).count("DescribeMaintenanceWindowExecutions") == 2


@pytest.mark.slow  # waits out a real 1 s timeout twice
def test_a_silent_endpoint_times_out_saying_what_it_waited_for(ssm_endpoint: ThreadingHTTPServer,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mw._aws, "WAIT_NOTICE", 0.05)  # say so at once, well before the timeout
    ssm_endpoint.answers.update({"GetMaintenanceWindow": WINDOW_REPLY, "DescribeMaintenanceWindowExecutions": SILENT})

    result = bounded(lambda: run(["history", "--window", WINDOW_ID, "--json", "--timeout", "1"]))

    port = ssm_endpoint.server_address[1]
    assert result.code == 2 and "Traceback" not in result.err
    assert result.err == (
        "waiting for ssm.us-east-1 (DescribeMaintenanceWindowExecutions)...\n"
        "waiting for ssm.us-east-1 (DescribeMaintenanceWindowExecutions), attempt 2 of 2...\n"
        f"error: no answer from ssm.us-east-1 (DescribeMaintenanceWindowExecutions) at http://127.0.0.1:{port}/ "
        "within 1 s, 2 attempts: check the network, the region and AWS_ENDPOINT_URL, or allow longer with "
        "--timeout SECONDS or MW_AWS_TIMEOUT\n")
    assert result.out == ""  # --json output is not mixed with notices
    assert operations(ssm_endpoint) == ["GetMaintenanceWindow"] + ["DescribeMaintenanceWindowExecutions"] * 2


def test_a_bad_region_is_refused_before_any_request(ssm_endpoint: ThreadingHTTPServer,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "us east 1")

    result = bounded(lambda: run(["history", "--window", WINDOW_ID]))

    assert failed(result) == f"error: AWS_REGION 'us east 1' is not an AWS region: {REGION_RULE}\n"
    assert ssm_endpoint.requests == []


# --- across accounts ---------------------------------------------------------------------------------------


HOME = "123456789012"
MEMBER = "111111111111"
ROLE = f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole"
MEMBER_KEY = "ASIAMEMBEREXAMPLE0001"
EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)
CANARY_ID, FLEET_US_ID, FLEET_EU_ID = "mw-0aaaaaaaaaaaaaaa1", "mw-0bbbbbbbbbbbbbbb2", "mw-0ccccccccccccccc3"
DENIED = (f"User: arn:aws:sts::{HOME}:assumed-role/ci/run is not authorized to perform: sts:AssumeRole on "
          f"resource: {ROLE}")
ORG_STACK = f"""config:
  aws:region: us-east-1
  aws:allowedAccountIds: ["{HOME}"]
  maintenance-windows:accounts:
    - id: "{HOME}"
      name: platform
      windows: [Canary]
    - id: "{MEMBER}"
      name: workloads-dev
      roleArn: {ROLE}
      regions: [us-east-1, eu-west-1]
      windows: [Fleet]
  maintenance-windows:windows:
    - name: Canary
      schedule: cron(0 2 ? * TUE#2 *)
      duration: 2
    - name: Fleet
      schedule: cron(0 2 ? * TUE#2 *)
      duration: 2
"""


def org_project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: maintenance-windows\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("")
    (tmp_path / "Pulumi.org.yaml").write_text(ORG_STACK)
    return tmp_path


def sts_client() -> Any:
    return BOTOCORE.create_client("sts", region_name="us-east-1", aws_access_key_id="testing",
                                   aws_secret_access_key="testing")


@pytest.mark.parametrize(("duration", "sent"), [(None, {}), (900, {"DurationSeconds": 900})])
def test_assume_role_sends_the_role_the_session_name_and_a_duration_only_when_set(duration: int | None,
                                                                                   sent: dict[str, Any]) -> None:
    sts = sts_client()
    with Stubber(sts) as stub:
        stub.add_response("assume_role", {"Credentials": {
            "AccessKeyId": MEMBER_KEY, "SecretAccessKey": "member-secret", "SessionToken": "member-token",
            "Expiration": EXPIRES}}, {"RoleArn": ROLE, "RoleSessionName": "mw-history", **sent})

        credentials = mw._aws.assume_role(sts, ROLE, duration_seconds=duration)

        stub.assert_no_pending_responses()
    assert credentials == {"aws_access_key_id": MEMBER_KEY, "aws_secret_access_key": "member-secret",
                           "aws_session_token": "member-token"}


@pytest.mark.parametrize(("message", "caller"), [
    (DENIED, f"arn:aws:sts::{HOME}:assumed-role/ci/run"),
    ("", "the identity in use (AWS did not say which)"),
])
def test_a_role_sts_refuses_names_the_role_the_caller_and_both_grants(message: str, caller: str) -> None:
    sts = sts_client()
    with Stubber(sts) as stub:
        stub.add_client_error("assume_role", "AccessDenied", message, http_status_code=403,
                              expected_params={"RoleArn": ROLE, "RoleSessionName": "mw-history"})
        with pytest.raises(mw._aws.RoleDenied) as denied:
            mw._aws.assume_role(sts, ROLE)
    said = f" (AWS said: {message})" if message else ""
    assert str(denied.value) == (
        f"cannot assume role {ROLE}: access denied to {caller}. Both are needed: the caller's IAM policy must allow "
        f"sts:AssumeRole on {ROLE}, and that role's trust policy must admit the caller (a statement allowing "
        "sts:AssumeRole to it or its account); check too that the role exists and that no service control policy "
        f"denies it{said}")
    assert denied.value.exit_code == 2


def test_other_sts_errors_pass_through_to_the_usual_handling() -> None:
    sts = sts_client()
    with Stubber(sts) as stub:
        stub.add_client_error("assume_role", "RegionDisabledException", "STS is not activated in us-east-1",
                              http_status_code=403)
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            mw._aws.assume_role(sts, ROLE)
    assert mw._aws.translate(raised.value).args[0] == (
        "AssumeRole failed: RegionDisabledException: STS is not activated in us-east-1")


_SIGNED = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


class _AccountsStandIn(BaseHTTPRequestHandler):
    """STS (query protocol) and SSM (JSON) for several accounts on one endpoint: each call is answered for the
    account whose access key signed it, in the region of its signature. ``server.sts`` is the AssumeRole answer,
    ``(status, XML)``; ``server.windows[(access key, region)]`` the windows there, ``{name: ID}``."""

    server: Any

    def do_POST(self) -> None:
        key, region, service = _SIGNED.search(self.headers.get("Authorization", "")).groups()
        body = self.rfile.read(int(self.headers["Content-Length"]))
        token = self.headers.get("X-Amz-Security-Token")
        if service == "sts":
            form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
            self.server.requests.append(("sts", form.pop("Action"), form, key, region, token))
            status, reply = self.server.sts
            self._send(status, reply.encode(), "text/xml")
            return
        operation = self.headers["X-Amz-Target"].removeprefix("AmazonSSM.")
        params = json.loads(body or b"{}")
        self.server.requests.append(("ssm", operation, params, key, region, token))
        windows = self.server.windows.get((key, region), {})
        if operation == "DescribeMaintenanceWindows":
            (name,) = params["Filters"][0]["Values"]
            reply: Any = {"WindowIdentities": [{"WindowId": windows[name], "Name": name}] if name in windows else []}
        else:  # DescribeMaintenanceWindowExecutions: one run per window, started at T0
            reply = {"WindowExecutions": [{"WindowId": params["WindowId"], "WindowExecutionId": EXECUTION,
                                           "Status": "SUCCESS", "StartTime": T0.timestamp()}]}
        self._send(200, json.dumps(reply).encode(), "application/x-amz-json-1.1")

    def _send(self, status: int, data: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


ASSUMED = f"""<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>{MEMBER_KEY}</AccessKeyId><SecretAccessKey>member-secret</SecretAccessKey>
<SessionToken>member-token</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:mw-history</AssumedRoleId>
<Arn>arn:aws:sts::{MEMBER}:assumed-role/OrganizationAccountAccessRole/mw-history</Arn></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>"""


def sts_error(code: str, message: str) -> tuple[int, str]:
    return 403, (f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                 f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>1</RequestId></ErrorResponse>")


@pytest.fixture
def accounts_endpoint(serve_aws: Callable[..., ThreadingHTTPServer]) -> ThreadingHTTPServer:
    server = serve_aws(_AccountsStandIn)
    server.requests, server.sts = [], (200, ASSUMED)
    server.windows = {("testing", "us-east-1"): {"Canary": CANARY_ID},
                      (MEMBER_KEY, "us-east-1"): {"Fleet": FLEET_US_ID},
                      (MEMBER_KEY, "eu-west-1"): {"Fleet": FLEET_EU_ID}}
    return server


def calls(server: ThreadingHTTPServer) -> list[tuple[str, str, str, str]]:
    """``(service, operation, access key, region)`` of each request, in order."""
    return [(service, operation, key, region) for service, operation, _, key, region, _ in server.requests]


def test_history_walks_every_account_and_region_assuming_member_roles(
        tmp_path: Path, accounts_endpoint: ThreadingHTTPServer) -> None:
    result = bounded(lambda: run(["history", "--project-dir", str(org_project(tmp_path)), "--stack", "org",
                                  "--json"]))

    assert result.code == 0, result.err
    assert [(w["name"], w["window_id"], w["account"], w["account_name"], w["region"], len(w["executions"]))
            for w in result.json()["windows"]] == [
        ("Canary", CANARY_ID, HOME, "platform", "us-east-1", 1),
        ("Fleet", FLEET_US_ID, MEMBER, "workloads-dev", "us-east-1", 1),
        ("Fleet", FLEET_EU_ID, MEMBER, "workloads-dev", "eu-west-1", 1)]
    # The member role is assumed once, first, with the run's own credentials; its calls are signed with the
    # role's credentials (and session token), the deploying account's with the run's own.
    assert calls(accounts_endpoint) == [
        ("sts", "AssumeRole", "testing", "us-east-1"),
        ("ssm", "DescribeMaintenanceWindows", "testing", "us-east-1"),
        ("ssm", "DescribeMaintenanceWindowExecutions", "testing", "us-east-1"),
        ("ssm", "DescribeMaintenanceWindows", MEMBER_KEY, "us-east-1"),
        ("ssm", "DescribeMaintenanceWindowExecutions", MEMBER_KEY, "us-east-1"),
        ("ssm", "DescribeMaintenanceWindows", MEMBER_KEY, "eu-west-1"),
        ("ssm", "DescribeMaintenanceWindowExecutions", MEMBER_KEY, "eu-west-1")]
    _, _, sent, _, _, token = accounts_endpoint.requests[0]
    assert (sent, token) == ({"Version": "2011-06-15", "RoleArn": ROLE, "RoleSessionName": "mw-history"}, None)
    assert {token for service, _, _, key, _, token in accounts_endpoint.requests if key == MEMBER_KEY} == {
        "member-token"}


def test_history_text_labels_each_window_with_its_account_and_region(
        tmp_path: Path, accounts_endpoint: ThreadingHTTPServer) -> None:
    result = bounded(lambda: run(["history", "--project-dir", str(org_project(tmp_path)), "--stack", "org"]))

    assert result.code == 0, result.err
    assert [line for line in result.out.splitlines() if "execution" in line and ":" in line][:3] == [
        f"Canary ({CANARY_ID}, us-east-1, account {HOME} platform): 1 execution",
        f"Fleet ({FLEET_US_ID}, us-east-1, account {MEMBER} workloads-dev): 1 execution",
        f"Fleet ({FLEET_EU_ID}, eu-west-1, account {MEMBER} workloads-dev): 1 execution"]


MEMBER_PLACES = [(MEMBER, "us-east-1"), (MEMBER, "eu-west-1")]


@pytest.mark.parametrize(("account", "places", "assumed"), [
    ("workloads-dev", MEMBER_PLACES, True),
    (MEMBER, MEMBER_PLACES, True),
    ("platform", [(HOME, "us-east-1")], False),
    (HOME, [(HOME, "us-east-1")], False),
])
def test_account_picks_one_account_by_name_or_id(account: str, places: list[tuple[str, str]], assumed: bool,
                                                 tmp_path: Path, accounts_endpoint: ThreadingHTTPServer) -> None:
    result = bounded(lambda: run(["history", "--project-dir", str(org_project(tmp_path)), "--stack", "org",
                                  "--account", account, "--json"]))

    assert result.code == 0, result.err
    assert [(w["account"], w["region"]) for w in result.json()["windows"]] == places
    # Only the account picked is called; the deploying account's with the run's own credentials.
    assert {key for service, _, key, _ in calls(accounts_endpoint) if service == "ssm"} == {
        MEMBER_KEY if assumed else "testing"}
    assert (("sts", "AssumeRole") in [call[:2] for call in calls(accounts_endpoint)]) is assumed


@pytest.mark.parametrize(("stack", "message"), [
    ("org", f"--account 'nope' is not an account of stack 'org' (accounts: platform ({HOME}), "
            f"workloads-dev ({MEMBER}))"),
    ("multi", "--account 'nope': stack 'multi' names no account (no maintenance-windows:accounts, no single "
              "aws:allowedAccountIds)"),
])
def test_an_unknown_account_lists_the_accounts_before_calling_aws(stack: str, message: str, tmp_path: Path) -> None:
    org_project(tmp_path)
    multi_region_project(tmp_path)
    clients = StubClients(region=None)

    result = run(["history", "--project-dir", str(tmp_path), "--stack", stack, "--account", "nope"], clients)

    assert failed(result) == f"error: {message}\n"
    assert clients.asked == []


def test_a_role_that_cannot_be_assumed_stops_the_run_before_any_listing(
        tmp_path: Path, accounts_endpoint: ThreadingHTTPServer) -> None:
    accounts_endpoint.sts = sts_error("AccessDenied", DENIED)

    result = bounded(lambda: run(["history", "--project-dir", str(org_project(tmp_path)), "--stack", "org"]))

    assert failed(result) == (
        f"error: cannot assume role {ROLE} for account workloads-dev ({MEMBER}): access denied to "
        f"arn:aws:sts::{HOME}:assumed-role/ci/run. Both are needed: the caller's IAM policy must allow "
        f"sts:AssumeRole on {ROLE}, and that role's trust policy must admit the caller (a statement allowing "
        "sts:AssumeRole to it or its account); check too that the role exists and that no service control policy "
        f"denies it (AWS said: {DENIED})\n")
    assert result.out == ""
    assert calls(accounts_endpoint) == [("sts", "AssumeRole", "testing", "us-east-1")]  # an access error: no retry


@pytest.mark.parametrize(("code", "message"), [
    ("ExpiredToken", "error: AWS credentials have expired (AssumeRole): refresh them (`aws sso login`, or new "
                     "keys) and try again\n"),
    ("RegionDisabledException", "error: AssumeRole failed: RegionDisabledException: STS is not activated\n"),
])
def test_other_sts_errors_are_reported_as_other_aws_errors(code: str, message: str, tmp_path: Path,
                                                           accounts_endpoint: ThreadingHTTPServer) -> None:
    accounts_endpoint.sts = sts_error(code, "STS is not activated" if code != "ExpiredToken" else "expired")

    result = bounded(lambda: run(["history", "--project-dir", str(org_project(tmp_path)), "--stack", "org",
                                  "--account", "workloads-dev"]))

    assert failed(result) == message
    assert [call[0] for call in calls(accounts_endpoint)] == ["sts"]


def test_window_with_account_looks_the_window_up_in_that_account(
        tmp_path: Path, accounts_endpoint: ThreadingHTTPServer) -> None:
    result = bounded(lambda: run(["history", "--project-dir", str(org_project(tmp_path)), "--stack", "org",
                                  "--account", "workloads-dev", "--window", "Fleet", "--region", "eu-west-1",
                                  "--json"]))

    assert result.code == 0, result.err
    assert [(w["window_id"], w["account"], w["region"]) for w in result.json()["windows"]] == [
        (FLEET_EU_ID, MEMBER, "eu-west-1")]
