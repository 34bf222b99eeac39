"""The deploying account: what the AWS provider pins with ``allowedAccountIds``.

pulumi-aws's provider refuses to run with credentials of an account not in ``allowedAccountIds`` ("List of
allowed AWS account IDs to prevent you from mistakenly using an incorrect one", the provider's configuration
reference: ``aws:allowedAccountIds``), so a pinned stack deploys only into those accounts, and the pack can
judge references to other accounts against them. pulumi-policy hands every resource's provider to resource rules
(``args.provider``) and to stack rules (``PolicyResource.provider``), with its inputs as ``props``. A default
provider's inputs are config values, so the list may arrive as JSON text (``'["123456789012"]'``) rather
than a list: both are read.

Without a pin the account is not known: rules that need it report nothing, and ``stack-account-pinned`` says so.

An explicit provider that assumes a role (``assumeRoles``, pulumi-aws 7: a list, the chain in order) and pins
nothing still has a known account: the credentials it ends up with are the last role's, in that role's account.
The rules judge with that account; ``stack-account-pinned`` still asks for ``allowedAccountIds``.

One stack may deploy into several accounts (issue 16: one explicit provider per member account). The stack's
accounts are what every AWS provider of the stack stands for (:class:`StackAccounts`); a resource's account is
its provider's. pulumi-aws's Provider sends its list inputs as JSON text (``pulumi.runtime.to_json`` in
``pulumi_aws/provider.py``), so ``allowedAccountIds`` and ``assumeRoles`` are read from text as well as lists.
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
    # Where ``accounts`` comes from: ``allowedAccountIds``, or ``assumeRoles`` (the last role's account, when the
    # provider pins nothing).
    via: str = "allowedAccountIds"

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


ASSUMED = "assumeRoles"


def _role_account(raw: Any) -> Any:
    """The account of the last role an ``assumeRoles`` value assumes: a 12-digit ID, UNKNOWN, or None (no role, or
    an ARN without an account). Items are ``{"roleArn": ...}`` (``role_arn`` when a plain dict was serialised)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else None
        except ValueError:
            return None
    if isinstance(raw, dict):
        raw = [raw]
    if raw is UNKNOWN or contains_unknown(raw):
        return UNKNOWN
    if not isinstance(raw, list):
        return None
    arns_given = [item.get("roleArn", item.get("role_arn")) for item in raw if isinstance(item, dict)]
    arns_given = [a for a in arns_given if isinstance(a, str) and a]
    if not arns_given:
        return None
    account = arns.account_of(arns_given[-1])
    return account if account is not None and arns.ACCOUNT_ID.fullmatch(account) else None


def read_pin(props: dict[str, Any]) -> Pin:
    """The pin in an AWS provider's properties (plain data, see ``_props.plain``)."""
    raw = props.get("allowedAccountIds")
    region = props.get("region")
    partition = arns.partition_of_region(region) if isinstance(region, str) else None
    if raw is UNKNOWN or contains_unknown(raw):
        return Pin(UNKNOWN_PIN, raw=raw, partition=partition)
    entries = _entries(raw)
    if not entries:
        assumed = _role_account(props.get("assumeRoles"))
        if assumed is UNKNOWN:
            return Pin(UNKNOWN_PIN, raw=raw, partition=partition)
        if assumed is not None:
            return Pin(PINNED, frozenset({assumed}), (), raw, partition, ASSUMED)
        return Pin(UNPINNED, raw=raw, partition=partition)
    accounts = frozenset(e for e in entries if isinstance(e, str) and arns.ACCOUNT_ID.fullmatch(e))
    invalid = tuple(str(e) for e in entries if not (isinstance(e, str) and arns.ACCOUNT_ID.fullmatch(e)))
    return Pin(PINNED if accounts else UNPINNED, accounts, invalid, raw, partition)


def provider_pin(provider: Any) -> Pin:
    """The pin of a resource's provider (``args.provider`` or ``PolicyResource.provider``)."""
    if provider is None or getattr(provider, "resource_type", None) != AWS_PROVIDER:
        return Pin(NO_PROVIDER)
    return read_pin(plain_props(getattr(provider, "props", None)))


@dataclass(frozen=True)
class StackAccounts:
    """The accounts of one stack: the pin of each AWS provider (by URN) and every account they stand for.

    Built once per AnalyzeStack call from the providers the resources carry and the provider resources themselves
    (:func:`stack_accounts`), each provider read once, whatever the number of resources it manages.
    """

    pins: dict[str, Pin]
    accounts: frozenset[str]

    def pin_of(self, resource: Any) -> Pin:
        """The pin of ``resource``'s provider (``no-provider`` if it has no AWS provider)."""
        provider = getattr(resource, "provider", None)
        if provider is None or getattr(provider, "resource_type", None) != AWS_PROVIDER:
            return Pin(NO_PROVIDER)
        pin = self.pins.get(provider.urn)
        return pin if pin is not None else provider_pin(provider)

    def of(self, resource: Any) -> frozenset[str] | None:
        """The account(s) ``resource`` is deployed into, None when its provider does not say."""
        pin = self.pin_of(resource)
        return pin.accounts if pin.pinned else None

    def shown(self) -> str:
        return ", ".join(sorted(self.accounts)) or "none"


def stack_accounts(resources: Iterable[Any]) -> StackAccounts:
    """The :class:`StackAccounts` of a stack's resources (``PolicyResource``)."""
    providers: dict[str, Any] = {}
    for resource in resources:
        if resource.resource_type == AWS_PROVIDER:
            providers.setdefault(resource.urn, resource)
        provider = resource.provider
        if provider is not None and provider.resource_type == AWS_PROVIDER:
            providers.setdefault(provider.urn, provider)
    pins = {urn: read_pin(plain_props(getattr(provider, "props", None))) for urn, provider in providers.items()}
    accounts = frozenset(a for pin in pins.values() if pin.pinned for a in pin.accounts)
    return StackAccounts(pins, accounts)


def foreign(account: str, pin: Pin, allowed: Iterable[str]) -> bool:
    """Whether ``account`` (a 12-digit ID) is another account than the deploying one(s) and ``allowed``."""
    return account not in pin.accounts and account not in set(allowed)
