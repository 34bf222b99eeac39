"""The stack config schema: ``maintenance-windows:*`` keys read into typed, validated component args.

:func:`parse` validates the whole config (:mod:`mw_config.models`) before any resource is registered and raises
one :class:`~mw_core.errors.ConfigError` listing every problem, each with its key path
(``windows[0].tasks[0].targets[0]``), the value received and what is allowed (:mod:`mw_config.keypaths`).
Unknown keys are problems too, since they are usually typos; keys of other namespaces (``aws:region``) are not
this project's and are left alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mw_components.log_group import OutputLogGroupArgs
from mw_components.notification_topic import NotificationTopicArgs
from mw_components.output_bucket import OutputBucketArgs
from mw_components.pass_role import PassRoleArgs
from mw_components.patch_baseline import PatchBaselineArgs
from mw_components.service_role import ServiceRoleArgs
from mw_components.window import MaintenanceWindowArgs
from pydantic import ValidationError

from mw_config import models
from mw_config.keypaths import problems_of
from mw_config.models import NAMESPACE
from mw_core.errors import ConfigError

__all__ = ["NAMESPACE", "TOP_KEYS", "Account", "StackConfig", "load_stack_file", "namespaced", "parse", "parse_stack"]

# The keys under the namespace (`maintenance-windows:windows`), as the models take them.
TOP_KEYS = tuple(info.alias or name for name, info in models.StackModel.model_fields.items())


@dataclass(frozen=True)
class Account:
    """One entry of ``maintenance-windows:accounts``, defaults resolved.

    ``name`` defaults to ``id``; ``regions`` to ``maintenance-windows:regions``, else ``(None,)`` (the provider's
    region); ``windows`` to every window of the stack, by name. ``role_arn`` is None for the deploying account
    when not given (and is not used for it: the deploying account keeps the default provider).
    """

    id: str
    name: str
    role_arn: str | None
    regions: tuple[str | None, ...]
    windows: tuple[str, ...]


@dataclass(frozen=True)
class StackConfig:
    """A stack's whole config, validated.

    ``service_role`` is None when an existing role is brought by ``service_role_arn``.
    ``pass_role.role_arn``, each window's ``service_role_arn`` and the references of tasks to the
    stack's bucket, topic and log group (left ``None`` here) are filled in by the program once
    those resources exist. ``allow_wildcards`` (``maintenance-windows:allowWildcards``) is already
    set on the service role's and each window's args; it is kept here for the record.
    """

    service_role: ServiceRoleArgs | None
    service_role_arn: str | None
    pass_role: PassRoleArgs
    windows: tuple[MaintenanceWindowArgs, ...]
    output_bucket: OutputBucketArgs | None = None
    notifications: NotificationTopicArgs | None = None
    cloudwatch: OutputLogGroupArgs | None = None
    patch_baselines: tuple[PatchBaselineArgs, ...] = ()
    regions: tuple[str, ...] = ()
    allow_wildcards: bool = False
    accounts: tuple[Account, ...] = ()
    home_account: str | None = None
    pass_role_accounts: tuple[str, ...] = ()  # ids of the accounts where passRole is created (with accounts)


def parse_stack(config: Mapping[str, Any], source: str = "stack config", stack: str = "stack") -> StackConfig:
    """:func:`parse` of a whole ``config:`` mapping (every namespace, as :func:`load_stack_file` returns it):
    ``aws:allowedAccountIds`` is read too, as ``accounts`` needs it."""
    allowed = _decoded(config.get("aws:allowedAccountIds"))
    return parse(namespaced(config), source=source, stack=stack, allowed_account_ids=allowed)


def parse(raw: Mapping[str, Any], source: str = "stack config", stack: str = "stack",
          allowed_account_ids: Any = models.NOT_READ) -> StackConfig:
    """Validate the ``maintenance-windows:`` keys (namespace already stripped) into a :class:`StackConfig`.

    ``allowWildcards`` (default false) is an explicit opt-in: ARNs the program turns into grants (a task's
    ``functionArn``, ``stateMachineArn`` and ``notifications.topicArn``) may then hold wildcards, and how far
    they reach is left to the policy pack, whose ``iam-resource-scope`` rule is mandatory in prod. Role ARNs
    never take a wildcard: Systems Manager assumes, and administrators pass, exactly one role.

    ``allowed_account_ids`` is ``aws:allowedAccountIds`` (a list, or None when not set): with ``accounts``, its
    single entry is the deploying account, ``home_account``. Left out, it is not known (``home_account`` None):
    the rules that need it (exactly one entry; a roleArn for every other account) are not checked, so give it
    wherever the whole config is at hand (:func:`parse_stack` does; so does the program).
    """
    try:
        model, provided = models.validate(raw, stack, allowed_account_ids)
    except ValidationError as err:
        raise ConfigError(problems_of(err), source) from None

    def args(part: models.ConfigModel | None) -> Any:
        return None if part is None else part.args(provided)

    return StackConfig(
        service_role=args(model.service_role),
        service_role_arn=model.service_role.arn,
        pass_role=args(model.pass_role),
        windows=tuple(args(w) for w in model.windows),
        output_bucket=args(model.output_bucket),
        notifications=args(model.notifications),
        cloudwatch=args(model.cloudwatch_output),
        patch_baselines=tuple(args(b) for b in model.patch_baselines),
        regions=tuple(model.regions),
        allow_wildcards=model.allow_wildcards,
        accounts=_accounts(model),
        home_account=provided.home_account,
        pass_role_accounts=_pass_role_accounts(model),
    )


def _accounts(model: models.StackModel) -> tuple[Account, ...]:
    every = tuple(w.name for w in model.windows)
    default_regions: tuple[str | None, ...] = tuple(model.regions) or (None,)
    return tuple(Account(id=a.id, name=a.name or a.id, role_arn=a.role_arn,
                         regions=tuple(a.regions) if a.regions else default_regions,
                         windows=tuple(a.windows) if a.windows is not None else every)
                 for a in model.accounts or ())


def _pass_role_accounts(model: models.StackModel) -> tuple[str, ...]:
    chosen = set(model.pass_role.accounts)
    return tuple(a.id for a in model.accounts or () if not chosen or a.id in chosen or (a.name or a.id) in chosen)


def namespaced(config: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``maintenance-windows:<key>`` config keys, by ``<key>``, as the program reads them; other
    namespaces are dropped.

    The Pulumi CLI hands a program every config value as text, structured values as JSON, and a stack file's
    top-level scalar as written (:func:`load_stack_file` does the same): text is read as JSON where it is JSON
    (``allowWildcards: true`` is ``true``), else kept as text.
    """
    prefix = f"{NAMESPACE}:"
    return {key[len(prefix):]: _decoded(value) for key, value in config.items() if key.startswith(prefix)}


def _decoded(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def load_stack_file(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping of a ``Pulumi.<stack>.yaml`` file (all namespaces), as the Pulumi CLI reads it.

    Raises ConfigError, with the file as source and line and column per problem, for a file Pulumi
    would refuse or misread (bytes that are not UTF-8, bad YAML, a key twice, an alias bomb), a file
    with no config, an unknown top-level key and a namespace that looks like a misspelling of this
    project's. See :mod:`mw_config.stackfile`.
    """
    from mw_config import stackfile  # PyYAML: the program itself never reads files; only `mw` and tests do

    return stackfile.load(path, NAMESPACE)
