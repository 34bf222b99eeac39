"""``mw history``: what a maintenance window ran, reviewed from the terminal or in CI.

The console's History drill-down, one level per command:

- ``mw history``: the executions of windows (default: every window named in ``Pulumi.<stack>.yaml``).
- ``mw history show EXECUTION_ID``: an execution's tasks, their invocations and each instance's status.
- ``mw history output ID``: each step's stdout and stderr on each instance of a Run Command invocation,
  complete from the task's S3 output when it has one. Without S3, Systems Manager keeps the first 24,000
  characters of stdout and 8,000 of stderr per step (the console shows 2,500); cut output is marked.

``ID`` of ``output`` is a Run Command **command ID**: the ``COMMAND`` column of ``mw history show``, a Run
Command task invocation's ``ExecutionId``, the "Command ID" of Run Command's own history. A window task
**invocation ID** (``InvocationId``) works with ``--execution WINDOW_EXECUTION_ID``: AWS looks invocations up
only within their execution. Run Command forgets commands after a while; their S3 output stays.

Calling AWS: ``--timeout SECONDS`` (default 10, or the ``MW_AWS_TIMEOUT`` environment variable) bounds the wait
to connect and then for each read of an answer, per attempt; each call is tried at most twice (``AWS_MAX_ATTEMPTS``
or the profile's ``max_attempts`` change that), throttling and transient errors retried with backoff. Once an
answer takes longer than a second, stderr says what is waited for (``waiting for ssm.eu-west-1
(DescribeMaintenanceWindowExecutions)...``); stdout stays the result alone. A listing reads at most 500 pages
(50,000 executions of a window, 25,000 instances of a command) and stops with an error rather than show a cut list.

Every reply is checked against botocore's model of the API before it is read: a body that is not JSON
(truncated, HTML, empty), a member of the wrong type, a time that is not one, an item without the ID ``mw``
needs, a page token sent twice are errors, never "0 executions" or "(no output)". An honestly empty
listing still reads as empty.

Exit status: 0 when the command printed its result; 2 on anything the user can act on, printed as one
``error: ...`` line without a traceback: bad arguments (``--since`` outside 1970-01-01 to now, a region that is
not a region name, a ``--timeout`` that is not seconds), no credentials or region, access denied (naming the IAM
action), something not found, a timeout (naming the endpoint and the operation), an unreadable reply.

``--json`` prints one object per command; times are ISO 8601 UTC, durations seconds, absent values null:

- ``mw history``: ``{"filters": {"since", "status"}, "windows": [{"window_id", "name", "region",
  "executions": [{"execution_id", "status", "status_details", "start_time", "end_time", "duration_seconds"}]}]}``
- ``show``: ``{"region", "execution": {<an execution, as above>}, "tasks": [{"task_execution_id", "task_arn",
  "task_type", "status", "status_details", "start_time", "end_time", "duration_seconds", "invocations":
  [{"invocation_id", "execution_id", "command_id", "document", "window_target_id", "owner_information",
  "status", "status_details", "start_time", "end_time", "duration_seconds", "instances": [{"instance_id",
  "instance_name", "status", "status_details"}]}]}]}`` (``command_id`` only for Run Command tasks; an
  instance's status is null once Run Command has forgotten the command).
- ``output``: ``{"region", "command_id", "invocation_id", "document", "output_s3": {"bucket", "key_prefix"} or
  null, "truncated", "notes": [str], "instances": [{"instance_id", "instance_name", "status", "status_details",
  "steps": [{"step", "name", "status", "status_details", "response_code", "start_time", "end_time",
  "duration_seconds", "source" ("s3", "ssm" or "none"), "stdout", "stderr", "truncated", "s3_keys": {"stdout",
  "stderr"}}]}]}``
"""

from __future__ import annotations

import argparse
import difflib
import json
import posixpath
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from botocore.exceptions import ClientError

# mw._aws imports botocore's session and parsers only when a client is made: `mw --help` does not pay for them.
from mw._aws import (
    ACCESS_DENIED,
    DEFAULT_ATTEMPTS,
    DEFAULT_TIMEOUT,
    MAX_TIMEOUT,
    TIMEOUT_ENV,
    Clients,
    ClientsFactory,
    NotFound,
    ReplyError,
    RoleDenied,
    as_utc,
    aws_errors,
    check_region,
    default_clients,
    error_code,
    paginate,
    parse_timeout_arg,
    translate,
)
from mw.plan import find_project
from mw_core.errors import MWError
from mw_core.limits import describe_value

STATUSES = ("PENDING", "IN_PROGRESS", "SUCCESS", "FAILED", "TIMED_OUT", "CANCELLING", "CANCELLED",
            "SKIPPED_OVERLAPPING")
SSM_STDOUT_LIMIT = 24_000  # GetCommandInvocation's StandardOutputContent: "the first 24,000 characters"
SSM_STDERR_LIMIT = 8_000  # ... StandardErrorContent: "the first 8,000 characters"
LISTED_OUTPUT_LIMIT = 2_500  # ListCommandInvocations' CommandPlugins[].Output, what the console shows
WINDOW_PAGE = 100  # the largest MaxResults of the maintenance-window Describe* calls
COMMAND_PAGE = 50  # ... of ListCommandInvocations
CLOSE_NAMES = 5

_WINDOW_ID = re.compile(r"mw-[0-9a-f]{17}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_INSTANCE_ID = re.compile(r"i-(\w{8}|\w{17})|mi-\w{17}")
_RELATIVE = re.compile(r"(\d{1,5})([mhdw])")  # 99999 weeks still ends after year 1: a range error, no overflow
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# AWS times are Unix time, and the ExecutedAfter filter takes "a valid ISO 8601 date/time format, such as
# 2024-11-04T05:00:00Z" (https://docs.aws.amazon.com/systems-manager/latest/APIReference/
# API_DescribeMaintenanceWindowExecutions.html): nothing ran before 1970, and year 1 is no such time.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
SINCE_RANGE = "allowed: from 1970-01-01T00:00:00Z to now"
_UNFINISHED = ("Pending", "InProgress", "Delayed")


# --- arguments ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Since:
    """``--since``: a moment, or a span back from when the command runs."""

    text: str
    at: datetime | None = None
    ago: timedelta | None = None

    def resolve(self, now: datetime) -> datetime:
        return self.at if self.at is not None else now - (self.ago or timedelta())


def parse_since(text: str) -> Since:
    """``30m``, ``12h``, ``7d``, ``2w`` or an ISO 8601 date or time (UTC unless it has an offset)."""
    value = text.strip()
    relative = _RELATIVE.fullmatch(value.lower())
    if relative and int(relative.group(1)) > 0:
        return Since(text, ago=timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))}))
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time; allowed: a span back from now (30m, 12h, 7d, 2w) or an ISO 8601 "
            "date or time (2024-05-01, 2024-05-01T02:00:00Z)") from None
    try:
        return Since(text, at=as_utc(at))
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise argparse.ArgumentTypeError(f"{text!r} is out of range; {SINCE_RANGE}") from None


def check_since(since: Since, now: datetime) -> datetime:
    """The moment ``since`` names, when it is from 1970 to ``now``; else an :class:`MWError` with the range."""
    moment = since.resolve(now)
    if moment > now:
        raise MWError(f"--since {describe_value(since.text)} is in the future ({_iso(moment)}); {SINCE_RANGE}")
    if moment < EARLIEST:
        raise MWError(f"--since {describe_value(since.text)} is before 1970 ({_iso(moment)}); {SINCE_RANGE}")
    return moment


def parse_status(text: str) -> str:
    """A window execution status, case-insensitive."""
    value = text.strip().upper().replace("-", "_")
    if value not in STATUSES:
        raise argparse.ArgumentTypeError(f"{text!r} is not a window execution status; allowed: {', '.join(STATUSES)}")
    return value


def register(commands: argparse._SubParsersAction, clients: ClientsFactory | None = None) -> None:
    """Add ``mw history``, ``mw history show`` and ``mw history output``; ``clients`` replaces boto3 in tests."""
    factory = clients or default_clients
    parser = commands.add_parser(
        "history", help="a window's executions, tasks, invocations and full output (calls AWS)",
        description="List maintenance window executions; `show` drills into one, `output` prints its steps' output.")
    parser.add_argument("--stack", default="dev",
                        help="read the windows to list from Pulumi.<stack>.yaml (default: dev; unused with --window)")
    parser.add_argument("--window", metavar="NAME|mw-ID", help="one window, by name or ID (default: the stack's)")
    parser.add_argument("--account", metavar="NAME|ID",
                        help="only this account of the stack's maintenance-windows:accounts, by name or 12-digit ID "
                             "(default: every account; its roleArn is assumed through STS unless it is the deploying "
                             "account); with --window, the account to look the window up in")
    parser.add_argument("--since", type=parse_since, metavar="WHEN",
                        help="executions started since: 30m, 12h, 7d, 2w or an ISO 8601 time (UTC by default)")
    parser.add_argument("--status", type=parse_status, metavar="STATUS",
                        help=f"only executions with this status: {', '.join(STATUSES)}")
    parser.add_argument("--project-dir", type=Path, metavar="DIR",
                        help="the Pulumi project (default: the working directory or a parent with Pulumi.yaml)")
    _aws_options(parser, nested=False, region="AWS region (default: the stack's aws:region, or each of its "
                                            "maintenance-windows:regions; with --window, AWS_REGION or the profile's)")
    parser.set_defaults(handler=partial(_history_command, factory))
    levels = parser.add_subparsers(dest="history_command", metavar="{show,output}")

    show = levels.add_parser("show", help="an execution's tasks, invocations and instances",
                             description="An execution's tasks, their invocations and each instance's status.")
    show.add_argument("execution_id", metavar="EXECUTION_ID", help="a window execution ID (from `mw history`)")
    _aws_options(show, nested=True)
    show.set_defaults(handler=partial(_show_command, factory))

    output = levels.add_parser(
        "output", help="each step's stdout/stderr of a Run Command invocation, in full from S3 when configured",
        description="Each step's output on each instance: complete from the task's S3 output location when "
                    "there is one, else what Systems Manager keeps (24,000 characters of stdout, 8,000 of stderr).")
    output.add_argument("id", metavar="ID",
                        help="a Run Command command ID (the COMMAND column of `mw history show`), or a task "
                             "invocation ID with --execution")
    output.add_argument("--instance", metavar="INSTANCE_ID", help="only this instance (i-... or mi-...)")
    output.add_argument("--execution", metavar="EXECUTION_ID",
                        help="the window execution of an invocation ID (needed to look an invocation up)")
    _aws_options(output, nested=True)
    output.set_defaults(handler=partial(_output_command, factory))


def _aws_options(parser: argparse.ArgumentParser, *, nested: bool,
                 region: str = "AWS region (default: AWS_REGION, else AWS_DEFAULT_REGION or the profile's)") -> None:
    # On `show`/`output` an absent flag must not reset one given before the subcommand
    # (`mw history --region X show ID`), so their defaults are left out of the namespace there.
    default: dict[str, Any] = {"default": argparse.SUPPRESS} if nested else {}
    parser.add_argument("--region", metavar="REGION", help=region, **default)
    parser.add_argument("--profile", metavar="PROFILE", help="AWS profile (default: AWS_PROFILE)", **default)
    parser.add_argument("--json", action="store_true", help="print one JSON object", **default)
    parser.add_argument("--timeout", type=parse_timeout_arg, metavar="SECONDS",
                        help=f"seconds to wait for AWS to connect, then to answer, per attempt (default: "
                             f"{TIMEOUT_ENV}, else {DEFAULT_TIMEOUT:g}; at most {MAX_TIMEOUT:g}); {DEFAULT_ATTEMPTS} "
                             "attempts per call unless AWS_MAX_ATTEMPTS says otherwise",
                        **default)


def _now() -> datetime:
    return datetime.now(UTC)


def _history_command(factory: ClientsFactory, args: argparse.Namespace) -> int:
    since = check_since(args.since, _now()) if args.since else None
    clients = factory(args.region, args.profile, args.timeout)  # checks --region and the timeout first
    if args.window and not args.account:
        targets = [Target(args.window, args.region)]
    else:
        targets, accounts = stack_places(args.stack, args.project_dir)
        if args.account:
            account = pick_account(accounts, args.account, args.stack)
            targets = ([Target(args.window, args.region, account.id, account.name, account.role_arn)] if args.window
                       else [t for t in targets if t.account == account.id])
        if args.region:  # --region replaces the stack's regions
            targets = list(dict.fromkeys(replace(t, region=args.region) for t in targets))
    with aws_errors(clients):
        result = list_history(clients, targets, since=since, status=args.status)
    _emit(result, args.json, render_history)
    return 0


def _show_command(factory: ClientsFactory, args: argparse.Namespace) -> int:
    clients = factory(args.region, args.profile, args.timeout)
    with aws_errors(clients):
        result = show_execution(clients, args.execution_id)
    _emit(result, args.json, render_show)
    return 0


def _output_command(factory: ClientsFactory, args: argparse.Namespace) -> int:
    clients = factory(args.region, args.profile, args.timeout)
    with aws_errors(clients):
        result = command_output(clients, args.id, instance=args.instance, execution=args.execution)
    _emit(result, args.json, render_output)
    return 0


def _emit(result: dict[str, Any], as_json: bool, render: Callable[[dict[str, Any]], str]) -> None:
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        sys.stdout.write(render(result))


# --- mw history --------------------------------------------------------------------------------------------


def stack_windows(stack: str, project_dir: Path | None = None) -> tuple[list[str], list[str | None]]:
    """The window names of ``Pulumi.<stack>.yaml``, and the regions they are deployed to (None: the default)."""
    # mw_config imports the components, and so pulumi (about half a second): only `--stack` needs it, not `mw --help`.
    from mw_config import load_stack_file, namespaced

    path = find_project(project_dir) / f"Pulumi.{stack}.yaml"
    config = load_stack_file(path)
    values = namespaced(config)
    windows = values.get("windows")
    listed = windows if isinstance(windows, list) else []
    names = [w["name"] for w in listed if isinstance(w, Mapping) and isinstance(w.get("name"), str)]
    if not names:
        raise MWError(f"{path} names no windows (maintenance-windows:windows[].name): pass --window NAME or mw-ID")
    # The program deploys every window to each of `regions` when set, else to the provider's aws:region.
    regions = values.get("regions")
    if isinstance(regions, list) and regions and all(isinstance(r, str) for r in regions):
        for index, region in enumerate(regions):
            check_region(region, f"{path}: maintenance-windows:regions[{index}]")
        return list(dict.fromkeys(names)), list(dict.fromkeys(regions))
    region = config.get("aws:region")
    if isinstance(region, str) and region:
        return list(dict.fromkeys(names)), [check_region(region, f"{path}: aws:region")]
    return list(dict.fromkeys(names)), [None]


@dataclass(frozen=True)
class Target:
    """A window to list (``ref``: a name or an ``mw-`` ID) in a region (None: the clients' default), in an account
    (``account``, ``account_name``: None when the stack does not say), through ``role_arn`` when it is a member
    account (None: the run's own credentials)."""

    ref: str
    region: str | None
    account: str | None = None
    account_name: str | None = None
    role_arn: str | None = None


@dataclass(frozen=True)
class StackAccount:
    """An account of a stack: ``maintenance-windows:accounts`` (``role_arn`` None for the deploying account),
    or, without it, the deploying account of ``aws:allowedAccountIds`` (``name`` None)."""

    id: str
    name: str | None
    role_arn: str | None

    def describe(self) -> str:
        return f"{self.name} ({self.id})" if self.name and self.name != self.id else self.id


def stack_places(stack: str, project_dir: Path | None = None) -> tuple[list[Target], list[StackAccount]]:
    """The windows of ``Pulumi.<stack>.yaml`` in every account and region the program deploys them to, and the
    stack's accounts.

    Without ``maintenance-windows:accounts``: :func:`stack_windows`, in the account of ``aws:allowedAccountIds``
    when it names one. With it: each account's ``windows`` in each of its ``regions`` (a region left to the
    provider is ``aws:region``), through its ``roleArn`` unless it is the deploying account; the config is then
    validated as ``pulumi up`` would (:func:`mw_config.parse_stack`), since the accounts' defaults depend on it.
    """
    from mw_config import load_stack_file, namespaced, parse_stack  # imports pulumi: see stack_windows

    path = find_project(project_dir) / f"Pulumi.{stack}.yaml"
    config = load_stack_file(path)
    if namespaced(config).get("accounts") is None:
        names, regions = stack_windows(stack, project_dir)
        ids = config.get("aws:allowedAccountIds")
        home = ids[0] if isinstance(ids, list) and len(ids) == 1 and isinstance(ids[0], str) else None
        return ([Target(name, region, home) for region in regions for name in names],
                [StackAccount(home, None, None)] if home else [])
    parsed = parse_stack(config, source=f"config of stack {stack!r}", stack=stack)
    region = config.get("aws:region")
    default = check_region(region, f"{path}: aws:region") if isinstance(region, str) and region else None
    accounts = [StackAccount(a.id, a.name, None if a.id == parsed.home_account else a.role_arn)
                for a in parsed.accounts]
    targets = [Target(name, where or default, account.id, account.name, account.role_arn)
               for account, listed in zip(accounts, parsed.accounts, strict=True)
               for where in listed.regions for name in listed.windows]
    if not targets:
        raise MWError(f"{path}: no account of maintenance-windows:accounts has windows: pass --window NAME or mw-ID")
    return targets, accounts


def pick_account(accounts: list[StackAccount], wanted: str, stack: str) -> StackAccount:
    """``--account``: the stack's account with that name or ID; else an :class:`MWError` listing them."""
    for account in accounts:
        if wanted in (account.id, account.name):
            return account
    if not accounts:
        raise MWError(f"--account {wanted!r}: stack {stack!r} names no account (no maintenance-windows:accounts, "
                      "no single aws:allowedAccountIds)")
    listed = ", ".join(a.describe() for a in accounts)
    raise MWError(f"--account {wanted!r} is not an account of stack {stack!r} (accounts: {listed})")


def list_history(clients: Clients, targets: Iterable[Target], *, since: datetime | None = None,
                 status: str | None = None) -> dict[str, Any]:
    """The executions of each window in ``targets``, newest first, labelled with its account and region.

    Every member account's role is assumed first (once per role), so a role that cannot be assumed stops the run
    (:class:`~mw._aws.RoleDenied`) before anything is listed.
    """
    targets = list(targets)
    roles: dict[str, Clients] = {}
    for target in targets:
        if target.role_arn and target.role_arn not in roles:
            try:
                roles[target.role_arn] = clients.for_role(target.role_arn, target.region)
            except RoleDenied as err:
                raise RoleDenied(err.role_arn, err.caller, err.aws_message,
                                 f" for account {target.account_name} ({target.account})") from None
    windows = []
    for target in targets:
        ssm = (roles[target.role_arn] if target.role_arn else clients).ssm(target.region)
        for window in resolve_window(ssm, target.ref):
            params: dict[str, Any] = {"WindowId": window["WindowId"]}
            if since is not None:
                params["Filters"] = [{"Key": "ExecutedAfter", "Values": [_iso(since)]}]
            found = paginate(ssm, "describe_maintenance_window_executions", "WindowExecutions",
                             page_size=WINDOW_PAGE, required=("WindowExecutionId",),
                             hint="--since narrows it to recent executions", **params)
            # DescribeMaintenanceWindowExecutions filters by time only; the status filter is applied here.
            executions = [e for e in found if status is None or e.get("Status") == status]
            executions.sort(key=lambda e: as_utc(e.get("StartTime") or datetime.min.replace(tzinfo=UTC)),
                            reverse=True)
            windows.append({"window_id": window["WindowId"], "name": window.get("Name"), "account": target.account,
                            "account_name": target.account_name, "region": ssm.meta.region_name,
                            "executions": [_execution(e) for e in executions]})
    return {"filters": {"since": _iso(since), "status": status}, "windows": windows}


def resolve_window(ssm: Any, ref: str) -> list[dict[str, Any]]:
    """The windows ``ref`` names: an ``mw-`` ID, or a name (names are not unique in AWS: all that match)."""
    if _WINDOW_ID.fullmatch(ref):
        try:
            window = ssm.get_maintenance_window(WindowId=ref)
        except ClientError as err:
            if error_code(err) != "DoesNotExistException":
                raise
            raise NotFound(_window_not_found(ssm, ref)) from None
        return [{"WindowId": ref, "Name": window.get("Name")}]
    found = [w for w in paginate(ssm, "describe_maintenance_windows", "WindowIdentities", page_size=WINDOW_PAGE,
                                 required=("WindowId",), Filters=[{"Key": "Name", "Values": [ref]}])
             if w.get("Name") == ref]  # exact names only, whatever matching the Name filter does
    if not found:
        raise NotFound(_window_not_found(ssm, ref))
    return found


def _window_not_found(ssm: Any, ref: str) -> str:
    windows = list(paginate(ssm, "describe_maintenance_windows", "WindowIdentities", page_size=WINDOW_PAGE,
                            required=("WindowId",)))
    # A mistyped ID is compared with IDs, a name with names.
    key = "WindowId" if _WINDOW_ID.fullmatch(ref) else "Name"
    where = f"no maintenance window {'with ID' if key == 'WindowId' else 'named'} {ref!r} in {ssm.meta.region_name}"
    if not windows:
        return f"{where}, which has no maintenance windows (check --region and the account)"
    candidates = sorted({w.get(key) or "" for w in windows} - {""})
    close = difflib.get_close_matches(ref, candidates, n=CLOSE_NAMES, cutoff=0.5)
    if close:
        return f"{where}; close {'IDs' if key == 'WindowId' else 'names'}: {', '.join(close)}"
    shown = [f"{w.get('Name')} ({w.get('WindowId')})" for w in windows[:10]]
    more = f" and {len(windows) - 10} more" if len(windows) > 10 else ""
    return f"{where}; windows there: {', '.join(shown)}{more}"


def _execution(e: Mapping[str, Any]) -> dict[str, Any]:
    return {"execution_id": e.get("WindowExecutionId"), "status": e.get("Status"),
            "status_details": e.get("StatusDetails") or None, **_times(e.get("StartTime"), e.get("EndTime"))}


# --- mw history show ---------------------------------------------------------------------------------------


def show_execution(clients: Clients, execution_id: str) -> dict[str, Any]:
    """An execution with its tasks, each task's invocations and, for Run Command, each instance's status."""
    _check_uuid(execution_id, "EXECUTION_ID", "a window execution ID, as `mw history` lists them")
    ssm = clients.ssm()
    try:
        execution = ssm.get_maintenance_window_execution(WindowExecutionId=execution_id)
    except ClientError as err:
        if error_code(err) != "DoesNotExistException":
            raise
        raise NotFound(_no_execution(ssm, execution_id)) from None
    tasks = sorted(_tasks(ssm, execution_id), key=lambda t: (_sort_time(t.get("StartTime")), t["TaskExecutionId"]))
    invocations: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    with Progress("reading task invocations", len(tasks)) as progress:
        for task in tasks:
            found = paginate(ssm, "describe_maintenance_window_execution_task_invocations",
                             "WindowExecutionTaskInvocationIdentities", page_size=WINDOW_PAGE,
                             required=("InvocationId",), WindowExecutionId=execution_id,
                             TaskId=task["TaskExecutionId"])
            invocations.append((task, sorted(found, key=lambda i: (_sort_time(i.get("StartTime")),
                                                                    i.get("InvocationId") or ""))))
            progress.tick()
    commands = sum(1 for _, found in invocations for i in found if _command_id(i))
    out = []
    with Progress("reading command instances", commands) as progress:
        for task, found in invocations:
            rows = []
            for invocation in found:
                rows.append(_invocation(ssm, invocation))
                if _command_id(invocation):
                    progress.tick()
            out.append({"task_execution_id": task["TaskExecutionId"], "task_arn": task.get("TaskArn"),
                        "task_type": task.get("TaskType"), "status": task.get("Status"),
                        "status_details": task.get("StatusDetails") or None,
                        **_times(task.get("StartTime"), task.get("EndTime")), "invocations": rows})
    return {"region": ssm.meta.region_name,
            "execution": _execution({**execution, "WindowExecutionId": execution_id}), "tasks": out}


def _tasks(ssm: Any, execution_id: str) -> list[dict[str, Any]]:
    return list(paginate(ssm, "describe_maintenance_window_execution_tasks", "WindowExecutionTaskIdentities",
                         page_size=WINDOW_PAGE, required=("TaskExecutionId",), WindowExecutionId=execution_id))


def _no_execution(ssm: Any, execution_id: str) -> str:
    return (f"no maintenance window execution {execution_id} in {ssm.meta.region_name}: "
            "`mw history` lists executions (check --region)")


def _command_id(invocation: Mapping[str, Any]) -> str | None:
    """The Run Command command an invocation sent (its ExecutionId), once it has sent one."""
    return (invocation.get("ExecutionId") or None) if invocation.get("TaskType") == "RUN_COMMAND" else None


def _invocation(ssm: Any, invocation: Mapping[str, Any]) -> dict[str, Any]:
    parameters = _parameters(invocation.get("Parameters"))
    listed = parameters.get("instanceIds")
    requested = [i for i in listed if isinstance(i, str)] if isinstance(listed, list) else []
    document = parameters.get("documentName")
    command_id = _command_id(invocation)
    if command_id:
        instances = _instances(ssm, command_id, requested)
    else:
        instances = [_instance(i) for i in requested] if invocation.get("TaskType") == "RUN_COMMAND" else []
    return {"invocation_id": invocation.get("InvocationId"), "execution_id": invocation.get("ExecutionId") or None,
            "command_id": command_id, "document": document if isinstance(document, str) else None,
            "window_target_id": invocation.get("WindowTargetId") or None,
            "owner_information": invocation.get("OwnerInformation") or None,
            "status": invocation.get("Status"), "status_details": invocation.get("StatusDetails") or None,
            **_times(invocation.get("StartTime"), invocation.get("EndTime")), "instances": instances}


def _parameters(text: Any) -> dict[str, Any]:
    """An invocation's Parameters: JSON text of what it sent (document, instances, ...); {} when unreadable."""
    try:
        value = json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _instances(ssm: Any, command_id: str, requested: list[str]) -> list[dict[str, Any]]:
    try:
        found = [_instance(c.get("InstanceId"), c.get("InstanceName"), c.get("Status"), c.get("StatusDetails"))
                 for c in paginate(ssm, "list_command_invocations", "CommandInvocations", page_size=COMMAND_PAGE,
                                   required=("InstanceId",), CommandId=command_id)]
    except ClientError as err:
        if error_code(err) != "InvalidCommandId":
            raise
        found = []
    # Run Command forgets old commands; the invocation's own parameters still name the instances it targeted.
    return sorted(found, key=lambda i: i["instance_id"] or "") or [_instance(i) for i in requested]


def _instance(instance_id: Any, name: Any = None, status: Any = None, details: Any = None) -> dict[str, Any]:
    return {"instance_id": instance_id, "instance_name": name or None, "status": status or None,
            "status_details": details or None}


# --- mw history output -------------------------------------------------------------------------------------


def command_output(clients: Clients, ident: str, *, instance: str | None = None,
                   execution: str | None = None) -> dict[str, Any]:
    """Each step's output on each instance of a Run Command command (or of a task invocation of ``execution``)."""
    _check_uuid(ident, "ID", "a Run Command command ID, or a task invocation ID with --execution")
    if execution is not None:
        _check_uuid(execution, "--execution", "a window execution ID, as `mw history` lists them")
    if instance is not None and not _INSTANCE_ID.fullmatch(instance):
        raise MWError(f"--instance {instance!r} is not an instance ID (allowed: i-0123456789abcdef0 or mi-...)")
    ssm = clients.ssm()
    invocation_id, command_id = None, ident
    if execution is not None:
        invocation = _find_invocation(ssm, execution, ident)
        if invocation is not None:
            if invocation.get("TaskType") != "RUN_COMMAND":
                raise MWError(f"invocation {ident} ran a {invocation.get('TaskType')} task (its execution ID is "
                              f"{invocation.get('ExecutionId')}); `mw history output` reads Run Command output only")
            if not invocation.get("ExecutionId"):
                raise MWError(f"invocation {ident} has not sent its command yet (status {invocation.get('Status')})")
            invocation_id, command_id = ident, invocation["ExecutionId"]
    command = _command(ssm, command_id, execution if invocation_id is None else None)
    bucket = command.get("OutputS3BucketName") or None
    key_prefix = command.get("OutputS3KeyPrefix") or ""
    params: dict[str, Any] = {"CommandId": command_id, "Details": True}
    if instance is not None:
        params["InstanceId"] = instance
    found = sorted(paginate(ssm, "list_command_invocations", "CommandInvocations", page_size=COMMAND_PAGE,
                            required=("InstanceId",), **params), key=lambda c: c["InstanceId"])
    if instance is not None and not found:
        raise NotFound(f"instance {instance} has no invocation of command {command_id}: `mw history show` lists "
                       "the instances of each invocation")
    reader = _OutputReader(ssm, clients.s3() if bucket else None, command_id, bucket, key_prefix)
    with Progress("reading step output", sum(len(c.get("CommandPlugins") or []) for c in found)) as progress:
        instances = [reader.instance(c, progress) for c in found]
    cut = [s for i in instances for s in i["steps"] if s["truncated"]]
    if cut and bucket is None:
        reader.notes.append(
            f"the output of {len(cut)} step{'s' if len(cut) != 1 else ''} was cut by Systems Manager (it keeps "
            f"{SSM_STDOUT_LIMIT:,} characters of stdout and {SSM_STDERR_LIMIT:,} of stderr per step) and this "
            "command has no S3 output: give the task an outputS3 location (or set maintenance-windows:outputBucket) "
            "to keep the complete output" + _cloudwatch_hint(command))
    return {"region": ssm.meta.region_name, "command_id": command_id, "invocation_id": invocation_id,
            "document": command.get("DocumentName") or None,
            "output_s3": {"bucket": bucket, "key_prefix": key_prefix} if bucket else None,
            "truncated": bool(cut), "notes": reader.notes, "instances": instances}


def _find_invocation(ssm: Any, execution: str, invocation_id: str) -> dict[str, Any] | None:
    try:
        tasks = _tasks(ssm, execution)
    except ClientError as err:
        if error_code(err) != "DoesNotExistException":
            raise
        raise NotFound(_no_execution(ssm, execution)) from None
    for task in tasks:
        for invocation in paginate(ssm, "describe_maintenance_window_execution_task_invocations",
                                   "WindowExecutionTaskInvocationIdentities", page_size=WINDOW_PAGE,
                                   required=("InvocationId",), WindowExecutionId=execution,
                                   TaskId=task["TaskExecutionId"]):
            if (invocation.get("InvocationId") or "").lower() == invocation_id.lower():
                return dict(invocation)
    return None


def _command(ssm: Any, command_id: str, searched: str | None) -> dict[str, Any]:
    try:
        commands = list(paginate(ssm, "list_commands", "Commands", CommandId=command_id))
    except ClientError as err:
        if error_code(err) != "InvalidCommandId":
            raise
        commands = []
    if commands:
        return dict(commands[0])
    region = ssm.meta.region_name
    if searched is not None:
        raise NotFound(f"{command_id} is neither a task invocation of execution {searched} nor a Run Command "
                       f"command in {region}")
    raise NotFound(f"no Run Command command {command_id} in {region}: Run Command forgets commands after a while "
                   "(their S3 output stays), and a task invocation ID needs --execution WINDOW_EXECUTION_ID")


def _cloudwatch_hint(command: Mapping[str, Any]) -> str:
    config = command.get("CloudWatchOutputConfig") or {}
    if not config.get("CloudWatchOutputEnabled"):
        return ""
    # Without a group name the agent writes to /aws/ssm/<document>.
    group = config.get("CloudWatchLogGroupName") or f"/aws/ssm/{command.get('DocumentName')}"
    return f"; the complete output is also in CloudWatch Logs group {group}"


class _OutputReader:
    """Step output for one command: from S3 when the command wrote there, else from GetCommandInvocation.

    The agent writes ``<OutputS3KeyPrefix>/<command ID>/<instance ID>/<action>/<step>/stdout`` (and ``stderr``),
    colons dropped from names: ``awsrunShellScript/PatchLinux/stdout`` for a step of a schema 2.x document,
    ``awsrunShellScript/0.awsrunShellScript/stdout`` for a schema 1.2 plugin.
    """

    def __init__(self, ssm: Any, s3: Any, command_id: str, bucket: str | None, key_prefix: str) -> None:
        self.ssm, self.s3, self.command_id, self.bucket, self.key_prefix = ssm, s3, command_id, bucket, key_prefix
        self.notes: list[str] = []

    def instance(self, invocation: Mapping[str, Any], progress: Progress) -> dict[str, Any]:
        instance_id = str(invocation.get("InstanceId"))
        files = self._list(instance_id)
        # The agent uploads only output that is not empty: when S3 has some of this instance's output, a step
        # with none there printed nothing, or was skipped, and what Systems Manager kept for it is complete.
        in_s3 = bool(files)
        steps = []
        for number, plugin in enumerate(invocation.get("CommandPlugins") or [], 1):
            if not plugin.get("Name"):  # optional in the model, but GetCommandInvocation needs it
                raise ReplyError("ListCommandInvocations", f"ssm.{self.ssm.meta.region_name}",
                                 f"the invocation on {instance_id} has a step without Name (step {number})")
            steps.append(self._step(number, plugin, instance_id, files, in_s3))
            progress.tick()
        # Files no step claimed (a layout not described above) are shown rather than dropped.
        for directory in sorted({d for d, _, _ in files}):
            unclaimed = {"Name": "/".join(directory)}
            steps.append(self._from_s3(len(steps) + 1, unclaimed, _streams(f for f in files if f[0] == directory))
                         or _step(len(steps) + 1, unclaimed, "none", "", "", False, {}))
        return {"instance_id": instance_id, "instance_name": invocation.get("InstanceName") or None,
                "status": invocation.get("Status"), "status_details": invocation.get("StatusDetails") or None,
                "steps": steps}

    def _list(self, instance_id: str) -> list[tuple[tuple[str, ...], str, str]]:
        """``(directories, stream, key)`` of the stdout/stderr objects under the instance's prefix."""
        if self.s3 is None:
            return []
        prefix = _s3_join(self.key_prefix, self.command_id, instance_id) + "/"
        try:
            keys = sorted(o["Key"] for o in paginate(self.s3, "list_objects_v2", "Contents", required=("Key",),
                                                     Bucket=self.bucket, Prefix=prefix))
        except ClientError as err:
            if error_code(err) not in ACCESS_DENIED | {"NoSuchBucket"}:
                raise
            self.notes.append(f"cannot list s3://{self.bucket}/{prefix} ({translate(err)}); showing what Systems "
                              "Manager keeps instead")
            return []
        if not keys:
            self.notes.append(f"no output under s3://{self.bucket}/{prefix}: either no step of {instance_id} printed "
                              "anything, or its instance profile lacks s3:PutObject on the bucket; showing what "
                              "Systems Manager keeps instead")
        files = []
        for key in keys:
            *directories, stream = key[len(prefix):].split("/")
            if stream in ("stdout", "stderr") and directories:
                files.append((tuple(directories), stream, key))
        return files

    def _step(self, number: int, plugin: Mapping[str, Any], instance_id: str,
              files: list[tuple[tuple[str, ...], str, str]], in_s3: bool) -> dict[str, Any]:
        name = str(plugin.get("Name"))
        bare = name.replace(":", "")
        # A 2.x step writes under .../<action>/<step name>/, a 1.2 plugin under .../<plugin>/<n>.<plugin>/.
        mine = [f for f in files if f[0][-1] == bare] or [f for f in files if f[0][0] == bare]
        for claimed in mine:
            files.remove(claimed)
        if mine:
            from_s3 = self._from_s3(number, plugin, _streams(mine))
            if from_s3 is not None:
                return from_s3
        if plugin.get("Status") in _UNFINISHED:
            return _step(number, plugin, "none", "", "", False, {})
        kept = str(plugin.get("Output") or "")
        if in_s3 and len(kept) < LISTED_OUTPUT_LIMIT:  # already fetched with the instance: no call needed
            return _step(number, plugin, "ssm", kept, "", False, {})
        stdout, stderr = self._from_ssm(instance_id, name)
        cut = len(stdout) >= SSM_STDOUT_LIMIT or len(stderr) >= SSM_STDERR_LIMIT
        return _step(number, plugin, "ssm", stdout, stderr, cut, {})

    def _from_s3(self, number: int, plugin: Mapping[str, Any], keys: dict[str, list[str]]) -> dict[str, Any] | None:
        texts = {}
        try:
            for stream, found in keys.items():
                texts[stream] = "".join(self._read(key) for key in found)
        except ClientError as err:
            if error_code(err) not in ACCESS_DENIED | {"NoSuchKey"}:
                raise
            self.notes.append(f"cannot read the output of step {plugin.get('Name')} from s3://{self.bucket}/ "
                              f"({translate(err)}); showing what Systems Manager keeps instead")
            return None
        return _step(number, plugin, "s3", texts["stdout"], texts["stderr"], False,
                     {stream: found[0] if found else None for stream, found in keys.items()})

    def _read(self, key: str) -> str:
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"]
        try:
            return body.read().decode("utf-8", errors="replace")
        finally:
            body.close()

    def _from_ssm(self, instance_id: str, plugin_name: str) -> tuple[str, str]:
        try:
            found = self.ssm.get_command_invocation(CommandId=self.command_id, InstanceId=instance_id,
                                                    PluginName=plugin_name)
        except ClientError as err:
            if error_code(err) != "InvocationDoesNotExist":
                raise
            return "", ""
        return found.get("StandardOutputContent") or "", found.get("StandardErrorContent") or ""


def _step(number: int, plugin: Mapping[str, Any], source: str, stdout: str, stderr: str, truncated: bool,
          keys: Mapping[str, str | None]) -> dict[str, Any]:
    code = plugin.get("ResponseCode")
    return {"step": number, "name": plugin.get("Name"), "status": plugin.get("Status"),
            "status_details": plugin.get("StatusDetails") or None, "response_code": code,
            **_times(plugin.get("ResponseStartDateTime"), plugin.get("ResponseFinishDateTime")),
            "source": source, "stdout": stdout, "stderr": stderr, "truncated": truncated,
            "s3_keys": {"stdout": keys.get("stdout"), "stderr": keys.get("stderr")}}


def _streams(files: Iterable[tuple[tuple[str, ...], str, str]]) -> dict[str, list[str]]:
    """The keys of ``files`` by stream, ``stdout`` and ``stderr``."""
    found = list(files)
    return {stream: [key for _, s, key in found if s == stream] for stream in ("stdout", "stderr")}


def _s3_join(*parts: str) -> str:
    """Key parts joined and cleaned the way the agent's ``path.Join`` does (no empty parts, no trailing slash)."""
    joined = posixpath.normpath("/".join(p for p in parts if p)) if any(parts) else ""
    return "" if joined == "." else joined


# --- shared ------------------------------------------------------------------------------------------------


def _check_uuid(value: str, what: str, expected: str) -> None:
    if not _UUID.fullmatch(value):
        raise MWError(f"{what} {value!r} is not an ID of the form 01234567-89ab-cdef-0123-456789abcdef ({expected})")


def _iso(moment: datetime | None) -> str | None:
    # isoformat, not strftime: %Y prints year 1 as "1" on glibc. Replies' times are checked to fit (mw._aws).
    return as_utc(moment).replace(tzinfo=None).isoformat(timespec="seconds") + "Z" if moment is not None else None


def _sort_time(moment: datetime | None) -> datetime:
    return as_utc(moment) if moment is not None else datetime.max.replace(tzinfo=UTC)


def _times(start: datetime | None, end: datetime | None) -> dict[str, Any]:
    duration = (round((as_utc(end) - as_utc(start)).total_seconds(), 3) if start is not None and end is not None
                else None)
    return {"start_time": _iso(start), "end_time": _iso(end), "duration_seconds": duration}


class Progress:
    """``label n/total`` rewritten in place on stderr while many calls run; only on a terminal, never in CI."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label, self.total, self.done = label, total, 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = total > 1 and self.stream.isatty()
        self._width = 0

    def tick(self) -> None:
        self.done += 1
        if self.enabled:
            text = f"{self.label} {self.done}/{self.total}"
            self._width = max(self._width, len(text))
            self.stream.write(f"\r{text}")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._width:  # leave the line as it was, so output and errors start clean
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


# --- text --------------------------------------------------------------------------------------------------


def render_history(result: Mapping[str, Any]) -> str:
    filters = result["filters"]
    scope = "".join([f" since {filters['since']}" if filters["since"] else "",
                     f" with status {filters['status']}" if filters["status"] else ""])
    lines = []
    for window in result["windows"]:
        count = len(window["executions"])
        where = [window["window_id"], window["region"]]
        if window["account"]:
            named = window["account_name"] if window["account_name"] not in (None, window["account"]) else None
            where.append(f"account {window['account']}" + (f" {named}" if named else ""))
        lines.append(f"{window['name'] or window['window_id']} ({', '.join(where)}): "
                     f"{count} execution{'s' if count != 1 else ''}{scope}")
        if window["executions"]:
            rows = [[e["execution_id"], e["status"], _when(e["start_time"]), _when(e["end_time"]),
                     _duration(e["duration_seconds"]), e["status_details"] or ""] for e in window["executions"]]
            lines.extend(_table(["EXECUTION", "STATUS", "START", "END", "DURATION", "DETAILS"], rows, indent=2))
        lines.append("")
    if any(w["executions"] for w in result["windows"]):
        lines.append("An execution's tasks and instances: mw history show EXECUTION_ID")
    return "\n".join(lines).rstrip("\n") + "\n"


def render_show(result: Mapping[str, Any]) -> str:
    e = result["execution"]
    lines = [f"execution {e['execution_id']} ({result['region']}): {e['status']}, {_span(e)}"]
    if e["status_details"]:
        lines.append(f"  {e['status_details']}")
    commands = []
    for task in result["tasks"]:
        lines.append("")
        lines.append(f"task {task['task_execution_id']}: {task['task_type']} {task['task_arn']}, {task['status']}, "
                     f"{_span(task)}")
        if task["status_details"]:
            lines.append(f"  {task['status_details']}")
        rows = []
        for invocation in task["invocations"]:
            ran = invocation["command_id"] or invocation["execution_id"] or "-"
            if invocation["command_id"]:
                commands.append(invocation["command_id"])
            head = [invocation["invocation_id"], invocation["status"], ran]
            for index, instance in enumerate(invocation["instances"] or [None]):
                cells = head if index == 0 else ["", "", ""]
                if instance is None:
                    rows.append([*cells, "-", "", invocation["status_details"] or ""])
                else:
                    name = f" ({instance['instance_name']})" if instance["instance_name"] else ""
                    rows.append([*cells, f"{instance['instance_id']}{name}", instance["status"] or "-",
                                 _details(instance, invocation if index == 0 else None)])
        if rows:
            lines.extend(_table(["INVOCATION", "STATUS", "COMMAND", "INSTANCE", "ON INSTANCE", "DETAILS"], rows,
                                indent=2))
        else:
            lines.append("  no invocations")
    if commands:
        lines.append("")
        lines.append(f"Each step's output: mw history output {commands[0]}"
                     + (" (or another COMMAND above)" if len(set(commands)) > 1 else ""))
    return "\n".join(lines) + "\n"


def render_output(result: Mapping[str, Any]) -> str:
    invocation = f", invocation {result['invocation_id']}" if result["invocation_id"] else ""
    lines = [f"command {result['command_id']} ({result['document'] or 'unknown document'}, {result['region']})"
             f"{invocation}"]
    s3 = result["output_s3"]
    if s3:
        lines.append(f"output: s3://{s3['bucket']}/{_s3_join(s3['key_prefix'], result['command_id'])}/ (complete)")
    else:
        lines.append(f"output: Systems Manager only, no S3 output configured (at most {SSM_STDOUT_LIMIT:,} "
                     f"characters of stdout and {SSM_STDERR_LIMIT:,} of stderr per step)")
    lines.extend(f"note: {note}" for note in result["notes"])
    if not result["instances"]:
        lines.append("no instances have run this command yet")
    for instance in result["instances"]:
        name = f" ({instance['instance_name']})" if instance["instance_name"] else ""
        lines += ["", f"=== {instance['instance_id']}{name}: {_status(instance)}"]
        for step in instance["steps"]:
            code = f", exit {step['response_code']}" if step["response_code"] not in (None, -1) else ""
            where = f" [s3://{s3['bucket']}/{step['s3_keys']['stdout']}]" if s3 and step["s3_keys"]["stdout"] else ""
            lines.append(f"--- Step {step['step']} - {step['name']}: {_status(step)}{code}{where}")
            if step["stdout"]:
                lines.append(step["stdout"].rstrip("\n"))
            if step["stderr"]:
                lines.append(f"--- Step {step['step']} - {step['name']}: stderr")
                lines.append(step["stderr"].rstrip("\n"))
            if not step["stdout"] and not step["stderr"]:
                lines.append("(no output yet)" if step["status"] in _UNFINISHED else "(no output)")
            if step["truncated"]:
                lines.append(f"[output cut by Systems Manager at {SSM_STDOUT_LIMIT:,} characters of stdout / "
                             f"{SSM_STDERR_LIMIT:,} of stderr{'' if s3 else '; no S3 output is configured'}]")
    return "\n".join(lines) + "\n"


def _details(instance: Mapping[str, Any], invocation: Mapping[str, Any] | None) -> str:
    """The first status detail that says more than the statuses already in the row."""
    shown = {str(instance["status"]).lower(), str(invocation["status"] if invocation else "").lower()}
    for item in (instance, invocation):
        if item and item["status_details"] and item["status_details"].lower() not in shown:
            return str(item["status_details"])
    return ""


def _status(item: Mapping[str, Any]) -> str:
    status, details = item["status"] or "unknown", item["status_details"]
    return f"{status} ({details})" if details and details != status else status


def _span(item: Mapping[str, Any]) -> str:
    if not item["start_time"]:
        return "not started"
    end = f" to {_when(item['end_time'])}" if item["end_time"] else ", still running"
    took = f" ({_duration(item['duration_seconds'])})" if item["duration_seconds"] is not None else ""
    return f"{_when(item['start_time'])}{end}{took}"


def _when(iso: str | None) -> str:
    return iso.replace("T", " ") if iso else "-"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _table(headers: list[str], rows: list[list[str]], indent: int = 0) -> list[str]:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    pad = " " * indent
    return [(pad + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))).rstrip()
            for row in [headers, *rows]]


__all__ = ["STATUSES", "Progress", "Since", "StackAccount", "Target", "command_output", "list_history",
           "parse_since", "parse_status", "pick_account", "register", "resolve_window", "show_execution",
           "stack_places", "stack_windows"]
