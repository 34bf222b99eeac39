"""The deploying account: what the AWS provider pins with ``allowedAccountIds``.

pulumi-aws's provider refuses to run with credentials of an account not in ``allowedAccountIds`` ("List of
allowed AWS account IDs to prevent you from mistakenly using an incorrect one", the provider's configuration
reference: ``aws:allowedAccountIds``), so a pinned stack deploys only into those accounts, and the pack can
judge references to other accounts against them. pulumi-policy hands every resource's provider to resource rules
(``args.provider``) and to stack rules (``PolicyResource.provider``), with its inputs as ``props``. A default
provider's inputs are config values, so the list may arrive as JSON text (``'["123456789012"]'``) rather
than a list: both are read.

Without a pin the account is not known: rules that need it report nothing, and ``stack-account-pinned`` says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mw_core import arns
from mw_core.tokens import AWS_PROVIDER

from ._props import UNKNOWN, contains_unknown, plain_props

PINNED, UNPINNED, UNKNOWN_PIN, NO_PROVIDER = "pinned", "unpinned", "unknown", "no-provider"


@dataclass(frozen=True)
class Pin:
    """What a provider says about the deploying account.

    ``status``: ``pinned`` (``accounts`` holds the 12-digit IDs it allows), ``unpinned`` (no
    ``allowedAccountIds``, or none that is an account ID), ``unknown`` (not known during this preview), or
    ``no-provider`` (no AWS provider given: a caller other than the engine).
    """

    status: str
    accounts: frozenset[str] = frozenset()
    # Entries that are not account IDs (they never match a caller, so they allow nothing).
    invalid: tuple[str, ...] = ()
    raw: Any = None
    # The partition of the provider's region, when it is a region botocore knows.
    partition: str | None = None

    @property
    def pinned(self) -> bool:
        return self.status == PINNED

    def shown(self) -> str:
        return ", ".join(sorted(self.accounts)) or "none"


def _entries(raw: Any) -> list[Any] | None:
    """``allowedAccountIds`` as a list of strings (None: not set). A JSON list in text is parsed; other text is
    one account (or several, comma-separated). Numbers (a YAML list of unquoted IDs) become their digits."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                raw = json.loads(text)
            except ValueError:
                return [raw]
        else:
            return [part.strip() for part in text.split(",") if part.strip()]
    values = raw if isinstance(raw, list) else [raw]
    return [_digits(v) for v in values]


def _digits(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return str(int(value)) if isinstance(value, int) or value.is_integer() else value


def read_pin(props: dict[str, Any]) -> Pin:
    """The pin in an AWS provider's properties (plain data, see ``_props.plain``)."""
    raw = props.get("allowedAccountIds")
    region = props.get("region")
    partition = arns.partition_of_region(region) if isinstance(region, str) else None
    if raw is UNKNOWN or contains_unknown(raw):
        return Pin(UNKNOWN_PIN, raw=raw, partition=partition)
    entries = _entries(raw)
    if not entries:
        return Pin(UNPINNED, raw=raw, partition=partition)
    accounts = frozenset(e for e in entries if isinstance(e, str) and arns.ACCOUNT_ID.fullmatch(e))
    invalid = tuple(str(e) for e in entries if not (isinstance(e, str) and arns.ACCOUNT_ID.fullmatch(e)))
    return Pin(PINNED if accounts else UNPINNED, accounts, invalid, raw, partition)


def provider_pin(provider: Any) -> Pin:
    """The pin of a resource's provider (``args.provider`` or ``PolicyResource.provider``)."""
    if provider is None or getattr(provider, "resource_type", None) != AWS_PROVIDER:
        return Pin(NO_PROVIDER)
    return read_pin(plain_props(getattr(provider, "props", None)))


def foreign(account: str, pin: Pin, allowed: Iterable[str]) -> bool:
    """Whether ``account`` (a 12-digit ID) is another account than the deploying one(s) and ``allowed``."""
    return account not in pin.accounts and account not in set(allowed)
