"""AWS access for ``mw`` commands: clients from the standard credential chain, and errors a user can act on.

:class:`Clients` hands out boto3 clients with botocore's standard retry mode, created on first use from
one session (``--profile``/``AWS_PROFILE``, ``--region``/``AWS_REGION`` or the profile's region).
:func:`aws_errors` turns botocore's exceptions into :class:`AwsError`, an :class:`~mw.errors.MWError`
whose message says what to do: configure credentials or a region, or grant a named IAM action.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import (
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
)
from botocore.exceptions import ConnectionError as EndpointError  # not the builtin of that name

from mw.errors import MWError

# Throttling and transient errors are retried with backoff; the legacy default retries fewer of them.
RETRIES = {"mode": "standard"}

ACCESS_DENIED = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})
EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
REJECTED = frozenset({"UnrecognizedClientException", "InvalidClientTokenId", "InvalidAccessKeyId",
                      "SignatureDoesNotMatch", "InvalidSignatureException"})
THROTTLED = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException", "SlowDown"})

# The IAM action that authorizes an API call, where its name is not ``ssm:<Operation>``.
_ACTIONS = {"ListObjectsV2": "s3:ListBucket", "GetObject": "s3:GetObject", "HeadObject": "s3:GetObject"}
# AWS names the denied action in most AccessDenied messages ("... is not authorized to perform: ssm:X on ...").
_DENIED_ACTION = re.compile(r"not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9*]+)")

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


def iam_action(operation: str) -> str:
    """The IAM action behind an API operation of the services ``mw`` calls (SSM and S3)."""
    return _ACTIONS.get(operation, f"ssm:{operation}")


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def error_message(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Message", ""))


class Clients:
    """boto3 clients for one run, cached by service and region; the session is created on first use.

    The region is ``region`` (``--region``), else AWS_REGION, else botocore's (AWS_DEFAULT_REGION, the profile).
    """

    def __init__(self, region: str | None = None, profile: str | None = None) -> None:
        # botocore itself reads AWS_DEFAULT_REGION only; AWS_REGION, which the AWS CLI and other SDKs read
        # first, is honoured here.
        self.region = region or os.environ.get("AWS_REGION") or None
        self.profile = profile
        self._session: Any = None
        self._clients: dict[tuple[str, str | None], Any] = {}

    def client(self, service: str, region: str | None = None) -> Any:
        """A client for ``service`` in ``region`` (default: ``--region``, else the SDK's own resolution)."""
        key = (service, region or self.region)
        if key not in self._clients:
            # boto3 costs ~150 ms to import: only a command that calls AWS pays for it, not `mw --help`.
            import boto3
            from botocore.config import Config

            if self._session is None:
                self._session = boto3.Session(profile_name=self.profile, region_name=self.region)
            self._clients[key] = self._session.client(service, region_name=key[1], config=Config(retries=RETRIES))
        return self._clients[key]

    def ssm(self, region: str | None = None) -> Any:
        return self.client("ssm", region)

    def s3(self, region: str | None = None) -> Any:
        return self.client("s3", region)


def paginate(client: Any, operation: str, key: str, *, page_size: int | None = None, **params: Any) -> Iterator[Any]:
    """Every item under ``key`` across all pages of ``operation`` (a boto3 paginator)."""
    config = {"PageSize": page_size} if page_size else {}
    for page in client.get_paginator(operation).paginate(**params, PaginationConfig=config):
        yield from page.get(key, [])


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


@contextmanager
def aws_errors() -> Iterator[None]:
    """Raise botocore's errors as :class:`AwsError` (no traceback); other exceptions pass through."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise AwsError(NO_CREDENTIALS) from None
    except NoRegionError:
        raise AwsError(NO_REGION) from None
    except ProfileNotFound as err:
        raise AwsError(f"AWS profile {err.kwargs.get('profile')!r} not found: check --profile or AWS_PROFILE "
                       "against ~/.aws/config") from None
    except (SSOError, TokenRetrievalError) as err:
        raise AwsError(f"AWS SSO login needed: run `aws sso login` for this profile ({err})") from None
    except CredentialRetrievalError as err:
        raise AwsError(f"could not get AWS credentials: {err}") from None
    except (EndpointError, HTTPClientError) as err:
        raise AwsError(f"could not reach AWS: {err}; check the network, the region and AWS_ENDPOINT_URL") from None
    except ClientError as err:
        raise translate(err) from None
