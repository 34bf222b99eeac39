"""Everything the pack uses of pulumi-policy beyond its public API, in one place, each with what it stands in for.

pulumi-policy's public API is what ``pulumi_policy`` exports (``pulumi_policy.__all__``): ``PolicyPack``, the
policy classes and their arguments. It has no hook to change how the analyzer answers a request, so the pack's
servicer (``_servicer.py``) subclasses the private one and ``_props.py`` reads the proxies the rules are handed.
Those are implementation details of pulumi-policy :data:`TESTED_VERSION`, which the project pins exactly
(pyproject, and the ``requirements.txt`` of the built pack); ``tests/policies/test_pulumi_policy_contract.py``
checks the version and the shape of every name here, and fails with :func:`contract_problems`' sentences on any
other version: upgrading pulumi-policy means re-checking this module (and the servicer equivalence tests).

At run time the same checks decide: when something listed here is missing or different, or another pulumi-policy
version is installed, ``_servicer.install()`` keeps pulumi-policy's own servicer (same results, slower) and says
why on stderr; when the proxies differ, ``_props.py`` reads the properties afresh for every rule.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from pulumi_policy import EnforcementLevel
from pulumi_policy import policy as _policy
from pulumi_policy import proxy as _proxy
from pulumi_policy.deserialize import deserialize_properties

# The version whose internals this module was checked against (tests/policies/test_pulumi_policy_contract.py).
TESTED_VERSION = "1.21.0"
DISTRIBUTION = "pulumi-policy"


def installed_version() -> str | None:
    """The installed pulumi-policy's version (its distribution metadata), None when it has none."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


# --- the analyzer servicer -----------------------------------------------------------------------------------

# pulumi_policy.policy._PolicyAnalyzerServicer: what PolicyPack(...) serves. Stands in for a public way to change
# how requests are answered (there is none): the pack's Servicer subclasses it, and install_servicer() makes
# PolicyPack, which looks the class up in its module when it is called, serve with the subclass.
STOCK_SERVICER: Any = getattr(_policy, "_PolicyAnalyzerServicer", None)

# The stock servicer's helpers the subclass calls, with their parameters (self excluded), so that the pack's
# answers are built exactly as pulumi-policy builds its own (levels, config, options, messages).
HELPERS: dict[str, tuple[str, ...]] = {
    # Re-reads PULUMI_CONFIG and the Settings on each request; the subclass calls it when they change.
    "_configure_runtime_settings": (),
    # The effective level of a policy: Configure's, else the policy's, else the pack's.
    "_get_enforcement_level": ("policy",),
    # The report_violation callback handed to a rule (message prefixed with the description, severity mapped).
    "_create_report_violation": ("response", "policy_name", "policy_description", "enforcement_level", "severity"),
    # EnforcementLevel -> the protocol's enum, for the "can't run during preview" diagnostic.
    "_map_enforcement_level": ("enforcement_level",),
    # PolicyResourceOptions of a request (protect, ignoreChanges, ...).
    "_get_resource_options": ("request",),
    # PolicyProviderResource of a request; the subclass overrides it to read properties NaN-safely.
    "_get_provider_resource": ("request",),
    # The config Configure gave a policy (a copy), what args.get_config() returns.
    "_get_policy_config": ("name",),
}

# The stack's tags from ConfigureStack, kept in a name-mangled attribute (``self.__stack_tags`` in the class):
# what pulumi-policy hands every rule as args.stack_tags. Stands in for a public accessor (there is none).
STACK_TAGS_ATTRIBUTE = "_PolicyAnalyzerServicer__stack_tags"

# pulumi_policy.policy._NotApplicableError: what args.not_applicable(reason) raises (public) and the servicer
# turns into a PolicyNotApplicable entry; the subclass catches it to do the same.
NOT_APPLICABLE_ERROR: Any = getattr(_policy, "_NotApplicableError", None)

# What pulumi-policy's _configure_runtime_settings derives the runtime settings and config from
# (pulumi.runtime.get_config_env and the Settings it builds): when none changed, redoing it changes nothing.
RUNTIME_ENVIRONMENT = ("PULUMI_CONFIG", "PULUMI_PROJECT", "PULUMI_STACK", "PULUMI_DRY_RUN", "PULUMI_ORGANIZATION")


def stack_tags(servicer: Any) -> Mapping[str, str]:
    """The tags ConfigureStack gave ``servicer``, as pulumi-policy hands them to rules (args.stack_tags)."""
    return getattr(servicer, STACK_TAGS_ATTRIBUTE)


def has_stack_tags(servicer: Any) -> bool:
    """Whether ``servicer`` (once pulumi-policy's __init__ ran) keeps the stack tags where this module reads them."""
    return hasattr(servicer, STACK_TAGS_ATTRIBUTE)


def install_servicer(servicer_class: type) -> None:
    """Make ``PolicyPack`` serve with ``servicer_class`` (it instantiates ``pulumi_policy.policy``'s global)."""
    _policy._PolicyAnalyzerServicer = servicer_class  # type: ignore[attr-defined]


# --- reading properties -------------------------------------------------------------------------------------

# pulumi_policy.deserialize.deserialize_properties and pulumi_policy.proxy.unknown_checking_proxy: how the stock
# servicer turns a request's properties (after json_format.MessageToDict) into what rules get as args.props:
# assets, archives and secrets decoded, then a read-only proxy raising UnknownValueError on an unknown. The
# subclass converts the protobuf Struct itself (NaN-safe) and then calls these two, as the stock one does.
read_properties = deserialize_properties
unknown_checking_proxy = _proxy.unknown_checking_proxy
# Raised by the proxies when a rule touches an unknown value; the servicer reports it as "can't run policy ...
# during preview", and _props.plain() catches it to read an unknown as its UNKNOWN sentinel instead.
UnknownValueError = _proxy.UnknownValueError

# The read-only mapping a resource's properties arrive in (pulumi_policy.proxy._DictProxy). _props.plain_props
# keeps the plain form it computed on the proxy itself, so that every rule of a request reads the properties
# once; it stands in for a per-request cache, which the public API has no place for. Without it (None), nothing
# is kept and each rule reads the properties afresh.
DICT_PROXY: Any = getattr(_proxy, "_DictProxy", None)

# The engine's placeholders for unknown values, as pulumi_policy.proxy names them (a plain dict built by hand in
# a test, or a value read past the proxies, carries these strings rather than raising).
_SENTINEL_NAMES = ("UNKNOWN_BOOLEAN_VALUE", "UNKNOWN_NUMBER_VALUE", "UNKNOWN_STRING_VALUE", "UNKNOWN_ARRAY_VALUE",
                   "UNKNOWN_ASSET_VALUE", "UNKNOWN_ARCHIVE_VALUE", "UNKNOWN_OBJECT_VALUE")
UNKNOWN_SENTINELS: frozenset[str] = frozenset(
    value for value in (getattr(_proxy, name, None) for name in _SENTINEL_NAMES) if isinstance(value, str))


# --- the contract -----------------------------------------------------------------------------------------------

def _parameters(function: Any) -> tuple[str, ...] | None:
    try:
        return tuple(p for p in inspect.signature(function).parameters if p != "self")
    except (TypeError, ValueError):
        return None


def version_problems(version: str | None) -> list[str]:
    """A sentence when ``version`` is not the pulumi-policy this module was checked against."""
    if version == TESTED_VERSION:
        return []
    return [f"pulumi-policy {version or '(no version)'} is installed, and the pack's use of its internals "
            f"(mw_policies/_pulumi_policy.py) was checked against {TESTED_VERSION} only"]


def servicer_problems(stock: Any = None) -> list[str]:
    """What the pack's servicer needs of pulumi-policy's and does not find; empty when everything is there."""
    stock = STOCK_SERVICER if stock is None else stock
    if not isinstance(stock, type):
        return ["pulumi_policy.policy._PolicyAnalyzerServicer is missing"]
    problems = []
    for name, expected in HELPERS.items():
        found = _parameters(getattr(stock, name)) if hasattr(stock, name) else None
        if found is None:
            problems.append(f"_PolicyAnalyzerServicer.{name} is missing")
        elif found[:len(expected)] != expected:
            problems.append(f"_PolicyAnalyzerServicer.{name} takes {found}, not {expected}")
    try:
        instance = stock("contract", "0.0.1", [object()], EnforcementLevel.ADVISORY)
    except Exception as error:  # any failure means the shape is not the one expected
        problems.append(f"_PolicyAnalyzerServicer(name, version, policies, enforcement_level) fails: {error!r}")
    else:
        if not isinstance(getattr(instance, STACK_TAGS_ATTRIBUTE, None), Mapping):
            problems.append(f"_PolicyAnalyzerServicer no longer keeps the stack tags in {STACK_TAGS_ATTRIBUTE}")
    if not (isinstance(NOT_APPLICABLE_ERROR, type) and issubclass(NOT_APPLICABLE_ERROR, Exception)):
        problems.append("pulumi_policy.policy._NotApplicableError is missing")
    return problems


def proxy_problems() -> list[str]:
    """What ``_props.py`` needs of pulumi-policy's proxies and does not find; empty when everything is there."""
    problems = []
    if len(UNKNOWN_SENTINELS) != len(_SENTINEL_NAMES):
        problems.append("pulumi_policy.proxy no longer names the 7 unknown sentinels (UNKNOWN_*_VALUE)")
    if not (isinstance(DICT_PROXY, type) and issubclass(DICT_PROXY, Mapping)):
        problems.append("pulumi_policy.proxy._DictProxy is missing, or not a Mapping")
        return problems
    proxy = unknown_checking_proxy({"unknown": next(iter(UNKNOWN_SENTINELS), "")})
    if not isinstance(proxy, DICT_PROXY) or not hasattr(proxy, "__dict__"):
        problems.append("unknown_checking_proxy() no longer returns a _DictProxy that can carry an attribute")
    else:
        try:
            proxy["unknown"]
            problems.append("unknown_checking_proxy() no longer raises UnknownValueError on an unknown")
        except UnknownValueError:
            pass
    return problems


def contract_problems() -> list[str]:
    """Every way the installed pulumi-policy differs from the one this module was checked against, as sentences."""
    return version_problems(installed_version()) + servicer_problems() + proxy_problems()
