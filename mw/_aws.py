"""AWS access for ``mw`` commands: clients from the standard credential chain, and errors a user can act on.

:class:`Clients` hands out botocore clients created on first use from one session (``--profile``/
``AWS_PROFILE``, ``--region``/``AWS_REGION`` or the profile's region). Every client:

- checks its region first, by botocore's own rule, naming where the region came from;
- waits at most ``--timeout`` seconds (default :data:`DEFAULT_TIMEOUT`, or :data:`TIMEOUT_ENV`) to connect and
  to read, and makes at most :data:`DEFAULT_ATTEMPTS` attempts per call (``AWS_MAX_ATTEMPTS`` or the profile's
  ``max_attempts`` change that), retrying throttling and transient errors in botocore's standard mode;
- says on stderr which call it is waiting for once an answer takes longer than a moment;
- refuses a reply that is not what the service model defines (:class:`ReplyError`): a body that is not
  JSON (truncated, HTML, empty), a member of the wrong type, a required member missing, a time that is not one.

:func:`paginate` reads at most :data:`MAX_PAGES` pages per listing and refuses a page token seen before.
:func:`aws_errors` turns botocore's exceptions into :class:`AwsError`, an :class:`~mw_core.errors.MWError` whose
message says what to do: configure credentials or a region, grant a named IAM action, allow more time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TextIO

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    HTTPClientError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    PaginationError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    SSOError,
    TokenRetrievalError,
)
from botocore.exceptions import ConnectionError as EndpointError  # not the builtin of that name

from mw_core.errors import MWError
from mw_core.limits import describe_value

# Imports: every `mw` command imports this module (through mw.history), `mw --help` included, and botocore's
# session, config, parsers and utils take about 0.2 s to import (botocore.exceptions, above, takes 10 ms). So they
# are imported in the functions that use them, all of which run only once a command calls AWS.

# Throttling and transient errors are retried with backoff; the legacy default retries fewer of them.
RETRIES = {"mode": "standard"}
DEFAULT_TIMEOUT = 10.0
"""Seconds to wait for a connection, and then for each read of an answer, per attempt (botocore's are 60 s)."""
MAX_TIMEOUT = 3600.0  # beyond this a socket timeout stops meaning anything (and 1e300 overflows the C timeval)
TIMEOUT_ENV = "MW_AWS_TIMEOUT"
DEFAULT_ATTEMPTS = 2
"""Attempts per call, the first included, unless AWS_MAX_ATTEMPTS or the profile's max_attempts say otherwise.

botocore's standard mode makes 3; with the 60 s read timeout a silent endpoint held a command 3 minutes.
"""
MAX_PAGES = 500
"""Pages read per listing, at most: 50,000 window executions, 25,000 instances of a command. A listing that still
offers a next page after that is an error, never a silently cut list."""
WAIT_NOTICE = 1.0
"""Seconds an answer may take before stderr says what is being waited for (half the timeout, when shorter)."""

# The last two: Resource Groups (`mw targets`).
ACCESS_DENIED = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "ForbiddenException",
                           "UnauthorizedException"})
EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
REJECTED = frozenset({"UnrecognizedClientException", "InvalidClientTokenId", "InvalidAccessKeyId",
                      "SignatureDoesNotMatch", "InvalidSignatureException"})
THROTTLED = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException", "SlowDown",
                       "RequestLimitExceeded"})  # the last: EC2's

# The IAM action that authorizes an API call, where its name is not ``ssm:<Operation>``.
_ACTIONS = {"ListObjectsV2": "s3:ListBucket", "GetObject": "s3:GetObject", "HeadObject": "s3:GetObject",
            "AssumeRole": "sts:AssumeRole", "DescribeInstances": "ec2:DescribeInstances",
            # The model's "Minimum permissions" of ListGroupResources: the group's query runs with the caller's.
            "ListGroupResources": "resource-groups:ListGroupResources (with cloudformation:DescribeStacks, "
                                  "cloudformation:ListStackResources and tag:GetResources)"}
# AWS names the denied action in most AccessDenied messages ("... is not authorized to perform: ssm:X on ...").
_DENIED_ACTION = re.compile(r"not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9*]+)")
# botocore.utils.validate_region_name, which raises InvalidRegionError when a client is made: a region must be a
# valid host label. Matched whole here (botocore's `$` also lets a trailing newline through into the URL).
_REGION = re.compile(r"(?![0-9]+$)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)")
REGION_RULE = ("a region name is letters, digits and hyphens, at most 63, not only digits and without a hyphen "
               "first or last, such as us-east-1, eu-west-1 or ap-southeast-2")
# Where the next page's token is in a page, and the member saying there is one (botocore's paginators-1.json).
_OUTPUT_TOKENS = {"list_objects_v2": ("NextContinuationToken", "IsTruncated")}
_ATTEMPT = re.compile(r"attempt=(\d+)")

NO_CREDENTIALS = ("no AWS credentials found: set AWS_PROFILE or pass --profile (after `aws configure` or "
                  "`aws configure sso` and `aws sso login`), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
NO_REGION = "no AWS region: pass --region, set AWS_REGION, or set a region in your AWS profile"


class AwsError(MWError):
    """An AWS call that failed for a reason the user can fix: credentials, region, permissions, a wrong ID."""


class AccessDenied(AwsError):
    """The caller lacks an IAM permission; ``action`` names it (``ssm:DescribeMaintenanceWindows``)."""

    def __init__(self, action: str, operation: str, message: str) -> None:
        self.action = action
        self.operation = operation
        detail = f" (AWS said: {message})" if message else ""
        super().__init__(f"access denied: {operation} needs the IAM permission {action}; "
                         f"grant it to the identity in use{detail}")


class NotFound(AwsError):
    """A window, execution, command or invocation that does not exist in the region asked."""


class ReplyError(AwsError):
    """A successful answer that is not what the service model defines; nothing is read from it."""

    def __init__(self, operation: str, where: str, problem: str) -> None:
        self.operation = operation
        self.problem = problem
        super().__init__(f"unreadable reply to {operation} from {where}: {problem}; nothing was read from it (a "
                         "proxy or the endpoint AWS_ENDPOINT_URL names may have answered instead of AWS)")


def iam_action(operation: str) -> str:
    """The IAM action behind an API operation of the services ``mw`` calls (SSM, S3, STS, EC2, Resource Groups)."""
    return _ACTIONS.get(operation, f"ssm:{operation}")


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def error_message(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Message", ""))


def check_region(region: str, source: str) -> str:
    """``region`` when botocore would take it, else an :class:`AwsError` naming ``source`` and the rule."""
    if not _REGION.fullmatch(region):
        raise AwsError(f"{source} {describe_value(region)} is not an AWS region: {REGION_RULE}")
    return region


def parse_timeout(text: str) -> float:
    """Seconds, more than 0 and at most :data:`MAX_TIMEOUT`; anything else is a ValueError saying so."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= MAX_TIMEOUT:  # also refuses nan
        raise ValueError(f"{describe_value(text)} is not a timeout; allowed: seconds, more than 0 and at most "
                         f"{MAX_TIMEOUT:g} (default {DEFAULT_TIMEOUT:g})")
    return seconds


def parse_timeout_arg(text: str) -> float:
    """``--timeout`` (argparse ``type=``): :func:`parse_timeout`, its ValueError as argparse's error."""
    try:
        return parse_timeout(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a time without offset is read as UTC, as botocore's serializer does."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def client_config(timeout: float, attempts: int) -> Any:
    """The botocore ``Config`` of every client: timeouts per attempt, attempts per call, standard retries."""
    from botocore.config import Config  # see the note on imports at the top

    return Config(connect_timeout=timeout, read_timeout=timeout,
                  retries={**RETRIES, "total_max_attempts": attempts})


class Clients:
    """botocore clients for one run, cached by service and region; the session is created on first use.

    The region is ``region`` (``--region``), else AWS_REGION, else botocore's (AWS_DEFAULT_REGION, the profile).
    ``timeout`` is ``--timeout``; None means :data:`TIMEOUT_ENV`, else :data:`DEFAULT_TIMEOUT`.
    """

    def __init__(self, region: str | None = None, profile: str | None = None, timeout: float | None = None) -> None:
        # botocore itself reads AWS_DEFAULT_REGION only; AWS_REGION, which the AWS CLI and other SDKs read
        # first, is honoured here.
        if region:
            self.region: str | None = check_region(region, "--region")
        elif os.environ.get("AWS_REGION"):
            self.region = check_region(os.environ["AWS_REGION"], "AWS_REGION")
        else:
            self.region = None
        self.profile = profile
        if timeout is None:
            env = os.environ.get(TIMEOUT_ENV)
            try:
                timeout = parse_timeout(env) if env else DEFAULT_TIMEOUT
            except ValueError as err:
                raise AwsError(f"{TIMEOUT_ENV} {err}") from None
        self.timeout = timeout
        self.attempts = DEFAULT_ATTEMPTS
        self.waits = Waits(min(WAIT_NOTICE, timeout / 2))
        self._session: Any = None
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._roles: dict[tuple[str, int | None], Clients] = {}

    def client(self, service: str, region: str | None = None) -> Any:
        """A client for ``service`` in ``region`` (default: ``--region``, else the SDK's own resolution)."""
        key = (service, region or self.region)
        if key not in self._clients:
            session = self._get_session()
            if region:
                check_region(region, "region")  # the stack's regions are checked, and named, where they are read
            elif key[1] is None:
                resolved = session.get_config_variable("region")
                if resolved:
                    check_region(resolved, self._region_source(session, resolved))
            client = session.create_client(service, region_name=key[1],
                                           config=client_config(self.timeout, self.attempts))
            self.watch(client)
            self._clients[key] = client
        return self._clients[key]

    def ssm(self, region: str | None = None) -> Any:
        return self.client("ssm", region)

    def for_role(self, role_arn: str, region: str | None = None, *,
                 duration_seconds: int | None = None, session_name: str = "") -> Clients:
        """Clients of this run whose calls use ``role_arn``: assumed once, through STS ``AssumeRole`` in ``region``
        (session ``session_name``, default :data:`SESSION_NAME`), with this run's credentials. The role's
        credentials stay in memory, in the clients made with them; nothing is written to the environment or a
        file."""
        key = (role_arn, duration_seconds, session_name)
        if key not in self._roles:
            credentials = assume_role(self.client("sts", region), role_arn, duration_seconds=duration_seconds,
                                      session_name=session_name)
            self._roles[key] = _RoleClients(self, credentials)
        return self._roles[key]

    def s3(self, region: str | None = None) -> Any:
        return self.client("s3", region)

    def watch(self, client: Any) -> None:
        """Check every reply of ``client`` against its model, and say on stderr when an answer is slow."""
        service = client.meta.service_model.service_id.hyphenize()
        where = f"{client.meta.service_model.endpoint_prefix}.{client.meta.region_name}"
        client.meta.events.register(f"before-send.{service}", _Sent(self.waits, where, self.attempts).handle)
        client.meta.events.register(f"response-received.{service}", self.waits.answered)
        client.meta.events.register(f"before-parse.{service}", _Check(self.waits, where,
                                                                      client.meta.endpoint_url).handle)

    def _get_session(self) -> Any:
        if self._session is None:
            # botocore rather than boto3: the same clients, and its session answers `max_attempts` publicly.
            import botocore.session  # see the note on imports at the top

            session = botocore.session.Session(profile=self.profile)
            try:
                attempts = session.get_config_variable("max_attempts")  # botocore: int(...) of the env or profile
            except ValueError:
                attempts = 0
            if attempts is not None:
                if attempts < 1:
                    raw = os.environ.get("AWS_MAX_ATTEMPTS")
                    source = ("AWS_MAX_ATTEMPTS" if raw else
                              f"{session.get_config_variable('config_file')}: max_attempts")
                    value = raw if raw else session.get_scoped_config().get("max_attempts")
                    raise AwsError(f"{source} {describe_value(value)} is not a number of attempts; allowed: a whole "
                                   "number, 1 or more")
                self.attempts = attempts
            self._session = session
        return self._session

    def _region_source(self, session: Any, region: str) -> str:
        if os.environ.get("AWS_DEFAULT_REGION") == region:
            return "AWS_DEFAULT_REGION"
        section = f"profile {session.profile}" if session.profile and session.profile != "default" else "default"
        return f"{session.get_config_variable('config_file')}: [{section}] region"


class _RoleClients(Clients):
    """The clients of an assumed role: the run's session, timeout, attempts and notices, the role's credentials."""

    def __init__(self, parent: Clients, credentials: Mapping[str, str]) -> None:
        self.region, self.profile, self.timeout = parent.region, parent.profile, parent.timeout
        self.attempts, self.waits = parent.attempts, parent.waits
        self._parent, self._credentials = parent, dict(credentials)
        self._session = None
        self._clients = {}
        self._roles = {}

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.region)
        if key not in self._clients:
            session = self._parent._get_session()
            if region:
                check_region(region, "region")
            client = session.create_client(service, region_name=key[1], **self._credentials,
                                           config=client_config(self.timeout, self.attempts))
            self.watch(client)
            self._clients[key] = client
        return self._clients[key]

    def for_role(self, role_arn: str, region: str | None = None, *,
                 duration_seconds: int | None = None, session_name: str = "") -> Clients:
        raise AwsError(f"mw does not chain roles: {role_arn} would be assumed from an assumed role")


ClientsFactory = Callable[[str | None, str | None, float | None], Clients]
"""Makes the clients for one run from ``--region``, ``--profile`` and ``--timeout``; tests pass stubbed ones."""


def default_clients(region: str | None, profile: str | None, timeout: float | None) -> Clients:
    """The :data:`ClientsFactory` commands use outside tests."""
    return Clients(region=region, profile=profile, timeout=timeout)


# --- assuming roles ----------------------------------------------------------------------------------------


SESSION_NAME = "mw-history"
"""The RoleSessionName of the roles ``mw history`` assumes (``mw targets``: ``mw-targets``): CloudTrail in the member
account shows which command it was."""
# "User: arn:aws:sts::123456789012:assumed-role/ci/run is not authorized to perform: sts:AssumeRole on resource: ..."
_CALLER = re.compile(r"User: (arn:\S+?) is not authorized")


class RoleDenied(AwsError):
    """STS refused ``AssumeRole`` (AccessDenied): names the role, the caller when AWS said who it is, and what
    must allow it. AWS gives the same answer whichever is missing, and when the role does not exist."""

    def __init__(self, role_arn: str, caller: str | None, message: str, account: str = "") -> None:
        self.role_arn, self.caller, self.aws_message = role_arn, caller, message
        who = caller or "the identity in use (AWS did not say which)"
        detail = f" (AWS said: {message})" if message else ""
        super().__init__(
            f"cannot assume role {role_arn}{account}: access denied to {who}. Both are needed: the caller's IAM "
            f"policy must allow sts:AssumeRole on {role_arn}, and that role's trust policy must admit the caller "
            "(a statement allowing sts:AssumeRole to it or its account); check too that the role exists and that no "
            f"service control policy denies it{detail}")


def assume_role(sts: Any, role_arn: str, *, duration_seconds: int | None = None,
                session_name: str = "") -> dict[str, str]:
    """Credentials of ``role_arn`` from STS ``AssumeRole`` (``session_name``, default :data:`SESSION_NAME`), as
    keyword arguments of ``create_client``. ``DurationSeconds`` is sent only when ``duration_seconds`` is given:
    STS's default, "3600 seconds" (botocore's sts model, AssumeRole.DurationSeconds), also works when the caller is
    itself an assumed role, which role chaining limits to an hour. AccessDenied is :class:`RoleDenied`; other
    errors are raised as botocore raises them, for :func:`aws_errors`."""
    params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": session_name or SESSION_NAME}
    if duration_seconds is not None:
        params["DurationSeconds"] = duration_seconds
    try:
        reply = sts.assume_role(**params)
    except ClientError as err:
        if error_code(err) not in ACCESS_DENIED:
            raise
        message = error_message(err)
        caller = _CALLER.search(message)
        raise RoleDenied(role_arn, caller.group(1) if caller else None, message) from None
    credentials = reply["Credentials"]
    return {"aws_access_key_id": credentials["AccessKeyId"], "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"]}


# --- waiting -----------------------------------------------------------------------------------------------


class Waits:
    """Says on stderr what an unanswered call waits for, once it has waited ``after`` seconds.

    On a terminal the line counts the seconds and is cleared when the answer comes; elsewhere (CI logs) it is
    written once per attempt. Never on stdout: ``--json`` output stays one object. ``last`` is the latest call
    sent, ``(where, operation)``, for messages about timeouts.
    """

    def __init__(self, after: float) -> None:
        self.after = after
        self.last: tuple[str, str] | None = None
        self._lock = threading.Lock()
        self._call = 0  # which call a timer belongs to: a late timer of an answered call does nothing
        self._timer: threading.Timer | None = None
        self._shown = 0  # width of the line drawn on a terminal
        self._stream: TextIO | None = None

    def start(self, where: str, operation: str, text: str) -> None:
        self.stop()
        with self._lock:
            self.last = (where, operation)
            self._call += 1
            self._schedule(self._call, sys.stderr, text, time.monotonic(), self.after)

    def answered(self, **_: Any) -> None:
        self.stop()

    def stop(self) -> None:
        with self._lock:
            self._call += 1
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._shown and self._stream is not None:
                self._stream.write("\r" + " " * self._shown + "\r")
                self._stream.flush()
            self._shown, self._stream = 0, None

    def _schedule(self, call: int, stream: TextIO, text: str, started: float, delay: float) -> None:
        self._timer = threading.Timer(delay, self._show, (call, stream, text, started))
        self._timer.daemon = True
        self._timer.start()

    def _show(self, call: int, stream: TextIO, text: str, started: float) -> None:
        with self._lock:
            if call != self._call:
                return
            if not stream.isatty():
                stream.write(f"{text}...\n")
                stream.flush()
                return
            line = f"\r{text}... {time.monotonic() - started:.0f} s"
            self._shown, self._stream = max(self._shown, len(line) - 1), stream
            stream.write(line)
            stream.flush()
            self._schedule(call, stream, text, started, 1.0)


class _Sent:
    """``before-send`` handler of one client: the attempt about to wait for an answer."""

    def __init__(self, waits: Waits, where: str, attempts: int) -> None:
        self.waits, self.where, self.attempts = waits, where, attempts

    def handle(self, request: Any, event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        # botocore numbers attempts in the amz-sdk-request header ("attempt=2; ...").
        found = _ATTEMPT.search(str(request.headers.get("amz-sdk-request", "")))
        attempt = int(found.group(1)) if found else 1
        again = f", attempt {attempt} of {self.attempts}" if attempt > 1 else ""
        self.waits.start(self.where, operation, f"waiting for {self.where} ({operation}){again}")


# --- replies -----------------------------------------------------------------------------------------------


class _Check:
    """``before-parse`` handler of one client: a reply botocore would misread is a :class:`ReplyError`."""

    def __init__(self, waits: Waits, where: str, endpoint: str) -> None:
        self.waits, self.where, self.endpoint = waits, where, endpoint

    def handle(self, operation_model: Any, response_dict: Mapping[str, Any], **_: Any) -> None:
        self.waits.stop()  # the answer is here; when it is refused, no response-received event follows
        status = response_dict.get("status_code") or 0
        if 200 <= status < 300:
            problem = reply_problem(operation_model, response_dict)
            if problem:
                raise ReplyError(operation_model.name, f"{self.where} ({self.endpoint}, HTTP {status})", problem)


def reply_problem(operation_model: Any, response_dict: Mapping[str, Any]) -> str | None:
    """What is wrong with a successful reply, by the operation's output shape in botocore's model; None if nothing.

    botocore reads a JSON body it cannot parse as ``{"message": body}``, so a truncated, HTML or empty answer
    would list nothing (botocore.parsers.BaseJSONParser._parse_body_as_json), and it takes members of the wrong
    type as they come: the body is checked here first. Whatever else botocore's parser would fail on (an XML
    body that is not XML raises ResponseParserError) is found by parsing once, the way the client will.
    """
    from botocore.parsers import create_parser  # see the note on imports at the top

    shape = operation_model.output_shape
    body = response_dict.get("body")
    if shape is None or operation_model.has_streaming_output:
        return None
    protocol = operation_model.service_model.resolved_protocol
    if not body and any("location" not in m.serialization for m in shape.members.values()):
        return f"the body is empty (allowed: {'a JSON object' if 'json' in protocol else 'an XML document'})"
    if protocol == "json":
        problem = _json_body_problem(shape, body)
        if problem:
            return problem
    try:
        create_parser(protocol).parse(dict(response_dict), shape)
    except Exception as err:  # any failure of botocore's parser (ResponseParserError included) is unreadable
        return f"botocore cannot parse it ({type(err).__name__}: {err})"
    return None


def _json_body_problem(shape: Any, body: bytes) -> str | None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return f"the body is not UTF-8 text ({len(body)} bytes; allowed: a JSON object)"
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except ValueError as err:
        return f"the body is not JSON ({err}): {describe_value(text)}"
    if not isinstance(value, dict):
        return f"the body is {describe_value(value)}, not a JSON object"
    return json_problem(shape, value, "")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_KINDS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "structure": (dict, "an object"), "map": (dict, "an object"), "list": (list, "a list"),
    "string": (str, "a string"), "blob": (str, "base64 text"), "boolean": (bool, "true or false"),
    "integer": (int, "a whole number"), "long": (int, "a whole number"),
    "float": ((int, float), "a number"), "double": ((int, float), "a number"),
}


def json_problem(shape: Any, value: Any, path: str) -> str | None:
    """The first place where JSON ``value`` is not what ``shape`` defines, as ``path: what is wrong``."""
    kind = shape.type_name
    where = path or "the body"
    if kind == "timestamp":
        return _timestamp_problem(value, where)
    if kind == "structure" and getattr(shape, "is_document_type", False):
        return None  # a document is any JSON
    expected = _KINDS.get(kind)
    if expected is None:
        return None
    types, name = expected
    if not isinstance(value, types) or (isinstance(value, bool) and kind != "boolean"):
        return f"{where}: {describe_value(value)} is not {name}"
    if kind == "structure":
        for member in shape.required_members:
            if value.get(shape.members[member].serialization.get("name", member)) is None:
                return f"{_join(path, member)}: missing (required by the {shape.name} shape)"
        for member, member_shape in shape.members.items():
            found = value.get(member_shape.serialization.get("name", member))
            if found is not None:  # botocore skips null members: they read as absent
                problem = json_problem(member_shape, found, _join(path, member))
                if problem:
                    return problem
    elif kind == "list":
        for index, item in enumerate(value):
            problem = (f"{where}[{index}]: null" if item is None
                       else json_problem(shape.member, item, f"{where}[{index}]"))
            if problem:
                return problem
    elif kind == "map":
        for key, item in value.items():
            problem = (f"{where}.{key}: null" if item is None else json_problem(shape.value, item, f"{where}.{key}"))
            if problem:
                return problem
    return None


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member


def _timestamp_problem(value: Any, where: str) -> str | None:
    from botocore.utils import parse_timestamp  # see the note on imports at the top

    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            as_utc(parse_timestamp(value))  # what botocore's parser does with it, then what mw does
            return None
        except (ValueError, OverflowError, OSError, RuntimeError):
            pass
    return f"{where}: {describe_value(value)} is not a time (allowed: seconds since 1970 or an ISO 8601 time)"


# --- listings ----------------------------------------------------------------------------------------------


def paginate(client: Any, operation: str, key: str, *, page_size: int | None = None, required: tuple[str, ...] = (),
             hint: str = "", **params: Any) -> Iterator[Any]:
    """Every item under ``key`` across the pages of ``operation`` (a botocore paginator), at most MAX_PAGES.

    An item without one of ``required`` (members ``mw`` cannot do without, though the model makes them optional),
    a page token sent twice and a listing longer than :data:`MAX_PAGES` pages are errors, never a cut list.
    ``hint`` says how to narrow a listing that is too long.
    """
    api = client.meta.method_to_api_mapping.get(operation, operation)
    where = f"{client.meta.service_model.endpoint_prefix}.{client.meta.region_name}"
    token_key, more_key = _OUTPUT_TOKENS.get(operation, ("NextToken", None))
    config = {"PageSize": page_size} if page_size else {}
    seen: set[str] = set()
    count = 0
    for pages, page in enumerate(client.get_paginator(operation).paginate(**params, PaginationConfig=config), 1):
        items = page.get(key) or []
        for index, item in enumerate(items):
            missing = [name for name in required if not item.get(name)]
            if missing:
                raise ReplyError(api, where, f"page {pages}, {key}[{index}] has no {missing[0]}")
        count += len(items)
        yield from items
        token = page.get(token_key) if more_key is None or page.get(more_key) else None
        if token is None:
            return
        if token in seen:  # botocore's paginator notices only a token repeated at once, not a cycle
            raise ReplyError(api, where, f"page {pages} offers the {token_key} of an earlier page again "
                                         f"({describe_value(token)}): the listing would never end")
        seen.add(token)
        if pages >= MAX_PAGES:
            raise AwsError(f"{api} in {where} still offers more after {MAX_PAGES} pages ({count:,} items): mw reads "
                           f"at most {MAX_PAGES} pages per listing and does not show a cut list"
                           + (f"; {hint}" if hint else ""))


# --- errors ------------------------------------------------------------------------------------------------


def translate(err: ClientError) -> AwsError:
    """An :class:`AwsError` for a service error: permissions and credentials get a fix, the rest AWS's words."""
    code, message, operation = error_code(err), error_message(err), err.operation_name
    if code in ACCESS_DENIED:
        named = _DENIED_ACTION.search(message)
        return AccessDenied(named.group(1) if named else iam_action(operation), operation, message)
    if code in EXPIRED:
        return AwsError(f"AWS credentials have expired ({operation}): refresh them (`aws sso login`, or new keys) "
                        "and try again")
    if code in REJECTED:
        return AwsError(f"AWS rejected the credentials ({code} on {operation}): check AWS_PROFILE/--profile "
                        "and the access keys in use")
    if code in THROTTLED:
        return AwsError(f"AWS kept throttling {operation} after retries; try again in a minute")
    return AwsError(f"{operation} failed: {code or 'error'}: {message}".rstrip(": "))


def _timed_out(err: BotoCoreError, clients: Clients | None, what: str) -> AwsError:
    endpoint = err.kwargs.get("endpoint_url") or "AWS"
    call = f"{clients.waits.last[0]} ({clients.waits.last[1]}) at {endpoint}" if clients and clients.waits.last \
        else endpoint
    budget = (f" within {clients.timeout:g} s, {clients.attempts} attempt{'s' if clients.attempts != 1 else ''}"
              if clients else "")
    return AwsError(f"{what} {call}{budget}: check the network, the region and AWS_ENDPOINT_URL, or allow longer "
                    f"with --timeout SECONDS or {TIMEOUT_ENV}")


@contextmanager
def aws_errors(clients: Clients | None = None) -> Iterator[None]:
    """Raise botocore's errors as :class:`AwsError` (no traceback); other exceptions pass through.

    ``clients``, when given, names the call that timed out and stops its waiting notice.
    """
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise AwsError(NO_CREDENTIALS) from None
    except NoRegionError:
        raise AwsError(NO_REGION) from None
    except InvalidRegionError as err:  # checked before a client is made; this is the net behind that check
        raise AwsError(f"{describe_value(err.kwargs.get('region_name'))} is not an AWS region: {REGION_RULE}") \
            from None
    except ProfileNotFound as err:
        raise AwsError(f"AWS profile {err.kwargs.get('profile')!r} not found: check --profile or AWS_PROFILE "
                       "against ~/.aws/config") from None
    except (SSOError, TokenRetrievalError) as err:
        raise AwsError(f"AWS SSO login needed: run `aws sso login` for this profile ({err})") from None
    except CredentialRetrievalError as err:
        raise AwsError(f"could not get AWS credentials: {err}") from None
    except ReadTimeoutError as err:
        raise _timed_out(err, clients, "no answer from") from None
    except ConnectTimeoutError as err:
        raise _timed_out(err, clients, "could not connect to") from None
    except (EndpointError, HTTPClientError) as err:
        raise AwsError(f"could not reach AWS: {err}; check the network, the region and AWS_ENDPOINT_URL") from None
    except ClientError as err:
        raise translate(err) from None
    except PaginationError as err:  # paginate() refuses repeated tokens first; this is the net behind it
        raise AwsError(f"AWS sent a page token twice: {err}") from None
    except ParamValidationError as err:
        raise AwsError(f"AWS would refuse this request: {err}") from None
    except BotoCoreError as err:
        raise AwsError(f"AWS call failed: {err}") from None
    except Exception as err:
        from botocore.parsers import ResponseParserError  # not a BotoCoreError; see the note on imports at the top

        if isinstance(err, ResponseParserError):
            raise AwsError(f"unreadable reply from AWS: {err}") from None
        raise
    finally:
        if clients is not None:
            clients.waits.stop()
