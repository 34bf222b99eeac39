"""Run a CrossGuard policy pack the way the Pulumi CLI runs it, and feed it recorded resources.

``PolicyPackProcess`` starts ``python -u -m pulumi.policy <engine-address> .`` in the pack's
directory (what the ``pulumi-analyzer-policy-python`` shim does), reads the gRPC port from the
first line of its stdout, and then speaks the Analyzer protocol to it: ``ConfigureStack``,
``GetAnalyzerInfo``, ``Configure`` and ``Analyze``/``AnalyzeStack``.

Behaviour mirrored from the Pulumi sources:

* Configure (``pkg/resource/analyzer/config.go`` ``ReconcilePolicyPackConfig``; called from
  ``pkg/engine/update.go`` ``installAndLoadPolicyPlugins``): start from every policy's default
  enforcement level and the ``default`` of each config-schema property, apply the pack's
  ``initialConfig``, then the ``--policy-pack-config`` file; an ``all`` entry with a level sets
  every policy first, per-policy entries win. Each policy's properties are then validated against
  its schema, and ``Configure`` receives an entry for every policy with its effective level (the
  Python pack would otherwise treat a missing level as 0 = advisory).
* Analyze (``pkg/resource/deploy/step_generator.go``): called for every registered resource,
  components, the root stack and providers included, with the inputs; the diagnostic's URN is
  replaced by the resource's and ``remediate`` is reported as ``mandatory``.
* AnalyzeStack (``step_generator.go`` ``AnalyzeResources``): every resource of the new state, with
  its outputs, parent, dependencies and non-empty property dependencies; a diagnostic URN that is
  not a resource of the stack is replaced by the root stack's URN.

One deliberate difference: a policy config naming an unknown policy is an error here, where the
CLI forwards it to the pack and it is silently ignored.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from mw_core import tokens
from mw_core.errors import MWError
from mw_engine.engine import RegisteredResource, config_to_pulumi

__all__ = [
    "LEVELS",
    "AnalyzerInfo",
    "NotApplicable",
    "PolicyConfig",
    "PolicyInfo",
    "PolicyPackError",
    "PolicyPackProcess",
    "Violation",
    "load_policy_config",
    "reconcile_policy_config",
]

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
# The pack parses but never dials the engine address (pulumi/policy/__main__.py configures the
# runtime without an engine, so pulumi.log falls back to stderr): no engine service is needed.
_NO_ENGINE = "127.0.0.1:0"
_GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", 400 * 1024 * 1024),
    ("grpc.max_send_message_length", 400 * 1024 * 1024),
]
_UNKNOWN_PREFIX = "can't run policy '"
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


_ENV_CONFIG_LIMIT = 64 * 1024


class PolicyPackError(RuntimeError):
    """A call to a running pack failed (a policy raised, or the pack died): a bug, not user input."""


@dataclass(frozen=True, slots=True)
class PolicyInfo:
    """One policy as the pack describes it in ``GetAnalyzerInfo``."""

    name: str
    description: str
    enforcement_level: str
    policy_type: str = "unknown"
    display_name: str = ""
    config_schema: dict[str, Any] | None = None
    severity: str = ""


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """An enforcement level (``None`` = unset) and properties for one policy (or ``all``)."""

    enforcement_level: str | None = None
    properties: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AnalyzerInfo:
    """The pack's ``GetAnalyzerInfo``, with the version from ``PulumiPolicy.yaml`` if it has one."""

    name: str
    version: str
    supports_config: bool
    policies: tuple[PolicyInfo, ...]
    initial_config: dict[str, PolicyConfig] = field(default_factory=dict)
    display_name: str = ""
    description: str = ""

    def policy(self, name: str) -> PolicyInfo:
        """The policy called ``name``; KeyError if there is none."""
        for p in self.policies:
            if p.name == name:
                return p
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class Violation:
    """One diagnostic from the pack, with the URN and level the engine would report.

    ``unknown_inputs`` marks the advisory diagnostic a pack returns when a policy could not run
    because a value it read is unknown during preview.
    """

    policy: str
    level: str
    urn: str
    message: str
    description: str
    pack: str = ""
    severity: str = ""
    unknown_inputs: bool = False


@dataclass(frozen=True, slots=True)
class NotApplicable:
    """A policy that declared itself not applicable to a resource (or to the stack)."""

    policy: str
    urn: str
    reason: str


# --------------------------------------------------------------------------------------------------
# Policy config: parse, reconcile, validate


def _level_name(value: int) -> str:
    return {
        analyzer_pb2.ADVISORY: "advisory",
        analyzer_pb2.MANDATORY: "mandatory",
        analyzer_pb2.REMEDIATE: "remediate",
        analyzer_pb2.DISABLED: "disabled",
    }[value]


def _level_enum(name: str) -> int:
    return {
        "advisory": analyzer_pb2.ADVISORY,
        "mandatory": analyzer_pb2.MANDATORY,
        "remediate": analyzer_pb2.REMEDIATE,
        "disabled": analyzer_pb2.DISABLED,
    }[name]


def _plain(value: Any) -> Any:
    # JSON numbers come back from protobuf as floats; keep integral ones as int for display.
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _struct_dict(message: struct_pb2.Struct) -> dict[str, Any]:
    return _plain(json_format.MessageToDict(message))


def load_policy_config(source: Mapping[str, Any] | str | os.PathLike[str] | None,
                       ) -> dict[str, PolicyConfig] | None:
    """Parse the ``--policy-pack-config`` format: a path to a JSON file, or the loaded mapping.

    ``{"all": "mandatory"}``, ``{"name": "advisory"}``, ``{"name": {"enforcementLevel": ...,
    "prop": 1}}``. Entries with neither level nor properties are dropped; an empty file is no
    config (as in the CLI's ``parsePolicyPackConfig``). Errors are MWErrors naming the key.
    """
    if source is None:
        return None
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise MWError(f"cannot read policy config {path}: {exc.strerror or exc}") from None
        if not text.strip():
            return None
        try:
            source = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MWError(f"policy config {path} is not valid JSON: {exc}") from None
        if not isinstance(source, Mapping):
            raise MWError(f"policy config {path} must be a JSON object")
    result: dict[str, PolicyConfig] = {}
    for key, value in source.items():
        level: str | None = None
        props: dict[str, Any] | None = None
        if isinstance(value, str):
            if value not in LEVELS:
                raise MWError(f"policy config {key!r}: {value!r} is not a valid enforcement level "
                              f"(one of {', '.join(LEVELS)})")
            level = value
        elif isinstance(value, Mapping):
            rest = dict(value)
            if "enforcementLevel" in rest:
                given = rest.pop("enforcementLevel")
                if not isinstance(given, str) or given not in LEVELS:
                    raise MWError(f"policy config {key!r}: enforcementLevel {given!r} is not a valid "
                                  f"enforcement level (one of {', '.join(LEVELS)})")
                level = given
            props = rest or None
        else:
            raise MWError(f"policy config {key!r}: {value!r} is not a valid value; "
                          "must be an enforcement level or an object")
        if level is None and not props:
            continue
        result[str(key)] = PolicyConfig(level, props)
    return result


def _apply(result: dict[str, PolicyConfig], config: Mapping[str, PolicyConfig]) -> None:
    everything = config.get("all")
    if everything is not None and everything.enforcement_level in LEVELS:
        for key, value in result.items():
            result[key] = PolicyConfig(everything.enforcement_level, value.properties)
    for key, given in config.items():
        current = result.get(key, PolicyConfig())
        level = given.enforcement_level if given.enforcement_level in LEVELS else current.enforcement_level
        props = current.properties
        if given.properties:
            props = {**(props or {}), **given.properties}
        result[key] = PolicyConfig(level, props)


def reconcile_policy_config(info: AnalyzerInfo, config: Mapping[str, PolicyConfig] | None,
                            ) -> dict[str, PolicyConfig]:
    """Effective config per policy: defaults, then the pack's initial config, then ``config``.

    Raises MWError for a key that names no policy (other than ``all``) and for properties that do
    not match a policy's config schema.
    """
    names = [p.name for p in info.policies]
    unknown = sorted(set(config or {}) - set(names) - {"all"})
    if unknown:
        raise MWError(f"policy config names {'an unknown policy' if len(unknown) == 1 else 'unknown policies'} "
                      f"{', '.join(repr(u) for u in unknown)}; policies in pack {info.name!r}: "
                      f"{', '.join(names)}")
    result: dict[str, PolicyConfig] = {}
    for p in info.policies:
        schema_props = (p.config_schema or {}).get("properties") or {}
        defaults = {k: v["default"] for k, v in schema_props.items()
                    if isinstance(v, Mapping) and "default" in v}
        result[p.name] = PolicyConfig(p.enforcement_level, defaults or None)
    if info.initial_config:
        _apply(result, info.initial_config)
    if config:
        _apply(result, config)

    problems: list[str] = []
    for p in info.policies:
        schema = p.config_schema or {}
        props = result[p.name].properties or {}
        problems += [f"{p.name}: {m}" for m in _validate_object(
            schema.get("properties") or {}, schema.get("required") or [], props, "(root)")]
    if problems:
        raise MWError("invalid policy config for pack "
                      f"{info.name!r}:\n" + "\n".join(f"  - {m}" for m in sorted(problems)))
    return result


_TYPE_NAMES = {bool: "boolean", str: "string", type(None): "null", dict: "object", list: "array"}


def analyzer_info(resp: Any, manifest_version: str = "") -> AnalyzerInfo:
    """An ``AnalyzerInfo`` from the pack's ``GetAnalyzerInfo`` response; ``manifest_version`` (from
    ``PulumiPolicy.yaml``) wins over the version the pack reports, as in the CLI."""
    kinds = {0: "unknown", 1: "resource", 2: "stack"}
    severities = {1: "low", 2: "medium", 3: "high", 4: "critical"}
    policies = []
    for p in resp.policies:
        schema = None
        if p.HasField("configSchema"):
            schema = {"properties": _struct_dict(p.configSchema.properties),
                      "required": list(p.configSchema.required)}
        policies.append(PolicyInfo(
            name=p.name, description=p.description,
            enforcement_level=_level_name(p.enforcementLevel),
            policy_type=kinds.get(p.policy_type, "unknown"), display_name=p.displayName,
            config_schema=schema, severity=severities.get(p.severity, ""),
        ))
    # An initial-config entry always carries a level: an unset enum reads as advisory (0),
    # which the CLI then applies (a quirk of convertEnforcementLevel we mirror).
    initial = {
        k: PolicyConfig(_level_name(v.enforcementLevel), _struct_dict(v.properties) or None)
        for k, v in resp.initialConfig.items()
    }
    return AnalyzerInfo(
        name=resp.name, version=manifest_version or resp.version,
        supports_config=resp.supportsConfig, policies=tuple(sorted(policies, key=lambda p: p.name)),
        initial_config=initial, display_name=resp.displayName, description=resp.description,
    )


def configure_request(info: AnalyzerInfo, policy_config: Mapping[str, Any] | str | os.PathLike[str] | None,
                      ) -> tuple[dict[str, PolicyConfig], Any]:
    """The effective config of every policy (``policy_config`` reconciled with the pack's defaults, as the
    CLI does) and the ``Configure`` request carrying it (None if there is nothing to send)."""
    effective = reconcile_policy_config(info, load_policy_config(policy_config))
    entries = {}
    for key, value in effective.items():
        if value.enforcement_level not in LEVELS:
            raise MWError(f"policy config {key!r}: no valid enforcement level")
        props = struct_pb2.Struct()
        if value.properties:
            props.update(value.properties)
        entries[key] = analyzer_pb2.PolicyConfig(
            enforcementLevel=_level_enum(value.enforcement_level), properties=props)
    return effective, analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=entries) if entries else None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _type_ok(expected: str, value: Any) -> bool:
    actual = _json_type(value)
    return actual == expected or (expected == "number" and actual == "integer")


def _fmt(value: Any) -> str:
    return json.dumps(value)


def _validate(schema: Mapping[str, Any], value: Any, path: str) -> list[str]:
    """A subset of JSON Schema (what policy config schemas use), messages as gojsonschema's."""
    out: list[str] = []
    name = path.rsplit(".", 1)[-1]
    expected = schema.get("type")
    if expected is not None:
        kinds = expected if isinstance(expected, list) else [expected]
        if not any(_type_ok(k, value) for k in kinds):
            return [f"{path}: Invalid type. Expected: {', '.join(kinds)}, given: {_json_type(value)}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {name} must be one of the following: "
                   + ", ".join(_fmt(v) for v in schema["enum"]))
    if "const" in schema and value != schema["const"]:
        out.append(f"{path}: {name} does not match: {_fmt(schema['const'])}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            out.append(f"{path}: String length must be greater than or equal to {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            out.append(f"{path}: String length must be less than or equal to {schema['maxLength']}")
        if "pattern" in schema and re.search(schema["pattern"], value) is None:
            out.append(f"{path}: Does not match pattern '{schema['pattern']}'")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(f"{path}: Must be greater than or equal to {_fmt(schema['minimum'])}")
        if "maximum" in schema and value > schema["maximum"]:
            out.append(f"{path}: Must be less than or equal to {_fmt(schema['maximum'])}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            out.append(f"{path}: Must be greater than {_fmt(schema['exclusiveMinimum'])}")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            out.append(f"{path}: Must be less than {_fmt(schema['exclusiveMaximum'])}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            out.append(f"{path}: Array must have at least {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            out.append(f"{path}: Array must have at most {schema['maxItems']} items")
        items = schema.get("items")
        if isinstance(items, Mapping):
            for i, item in enumerate(value):
                out += _validate(items, item, f"{path}.{i}")
    if isinstance(value, dict):
        out += _validate_object(schema.get("properties") or {}, schema.get("required") or [], value,
                                path, schema.get("additionalProperties", True))
    return out


def _validate_object(properties: Mapping[str, Any], required: Iterable[str], value: Mapping[str, Any],
                     path: str, additional: Any = True) -> list[str]:
    root = path == "(root)"
    out: list[str] = []
    for req in required:
        if req not in value:
            out.append(f"{req} is required" if root else f"{path}: {req} is required")
    for key, item in value.items():
        child = key if root else f"{path}.{key}"
        sub = properties.get(key)
        if isinstance(sub, Mapping):
            out += _validate(sub, item, child)
        elif additional is False:
            out.append(f"Additional property {key} is not allowed" if root
                       else f"{path}: Additional property {key} is not allowed")
    return out


# --------------------------------------------------------------------------------------------------
# Requests


def _seconds(duration: str) -> float:
    """A Go duration (``"1h30m"``, ``"10m"``) in seconds, as the engine stores custom timeouts."""
    total, pos = 0.0, 0
    text = duration.strip()
    for m in _DURATION.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise MWError(f"custom timeout {duration!r} is not a duration like '10m' or '1h30m'")
    return total


def _options(res: RegisteredResource) -> Any:
    timeouts = {k: _seconds(v) for k, v in res.custom_timeouts.items()}
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=res.protect,
        ignoreChanges=res.ignore_changes,
        deleteBeforeReplace=bool(res.delete_before_replace),
        deleteBeforeReplaceDefined=res.delete_before_replace is not None,
        additionalSecretOutputs=res.additional_secret_outputs,
        aliases=res.aliases,
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(**timeouts),
        parent=res.parent,
    )


def _provider(provider: RegisteredResource | None) -> Any:
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        urn=provider.urn, type=provider.type, name=provider.name, properties=provider.properties)


def analyze_request(resource: RegisteredResource, provider: RegisteredResource | None = None) -> Any:
    """The engine's ``Analyze`` request for a resource: its inputs, options and provider."""
    return analyzer_pb2.AnalyzeRequest(
        urn=resource.urn, type=resource.type, name=resource.name,
        properties=resource.properties, options=_options(resource), provider=_provider(provider),
    )


def analyze_stack_request(resources: Iterable[RegisteredResource]) -> Any:
    """The engine's ``AnalyzeStack`` request: every resource with its outputs (inputs where none were
    recorded), parent, dependencies and property dependencies."""
    resources = list(resources)
    by_urn = {r.urn: r for r in resources}
    return analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(
            urn=r.urn, type=r.type, name=r.name,
            properties=r.outputs_struct if r.outputs_struct is not None else r.properties,
            options=_options(r), provider=_provider(by_urn.get(r.provider_urn)),
            parent=r.parent, dependencies=r.dependencies,
            propertyDependencies={
                k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v)
                for k, v in r.property_dependencies.items() if v
            },
        )
        for r in resources
    ])


def _default_stack_urn(project: str, stack: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{tokens.STACK}::{project}-{stack}"


# --------------------------------------------------------------------------------------------------
# The process


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


class PolicyPackProcess:
    """A running policy pack, started and spoken to the way ``pulumi preview`` does it.

    Use as a context manager; the process is always terminated on exit. ``policy_config`` (a
    ``--policy-pack-config`` path or mapping) is applied on start, as the CLI does before any
    resource is analyzed; ``configure`` can apply another one later.
    """

    def __init__(
        self,
        pack_dir: Path,
        *,
        project: str = "project",
        stack: str = "stack",
        config: Mapping[str, Any] | None = None,
        preview: bool = True,
        organization: str = "organization",
        policy_config: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        start_timeout: float = 60.0,
        call_timeout: float = 60.0,
    ) -> None:
        self.pack_dir = Path(pack_dir).resolve()
        self.project = project
        self.stack = stack
        self.config = dict(config or {})
        self.preview = preview
        self.organization = organization
        self.start_timeout = start_timeout
        self.call_timeout = call_timeout
        self.stack_urn = _default_stack_urn(project, stack)
        self.not_applicable: list[NotApplicable] = []
        self.effective_config: dict[str, PolicyConfig] = {}
        self._policy_config = policy_config
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._stdout_tail: deque[str] = deque(maxlen=200)
        self._reader: threading.Thread | None = None
        self._channel: Any = None
        self._stub: Any = None
        self._info: AnalyzerInfo | None = None
        self._finalizer: weakref.finalize | None = None
        self._cancelled = threading.Event()

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The pack's process id while it runs."""
        return self._proc.pid if self._proc is not None else None

    def _pack_version(self) -> str:
        manifest = self.pack_dir / "PulumiPolicy.yaml"
        if not manifest.is_file():
            raise MWError(f"no policy pack in {self.pack_dir}: PulumiPolicy.yaml not found")
        try:
            data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise MWError(f"{manifest} is not valid YAML: {exc}") from None
        runtime = data.get("runtime")
        runtime = runtime.get("name") if isinstance(runtime, Mapping) else runtime
        if runtime != "python":
            raise MWError(f"{manifest}: runtime is {runtime!r}; only python policy packs can run here")
        version = data.get("version")
        return "" if version is None else str(version)

    def _env(self) -> dict[str, str]:
        # As constructEnv in analyzer_plugin.go: the parent environment plus config and identity.
        env = dict(os.environ)
        values, _ = config_to_pulumi(self.config)
        encoded = json.dumps(values) if values else ""
        # The CLI puts the stack config in the environment too, and Linux refuses a variable over 128 KiB
        # (pulumi/pulumi#20402). ConfigureStack carries it over gRPC anyway, and pulumi-policy re-parses the
        # variable on every call, so a large config goes by gRPC only.
        if encoded and len(encoded) <= _ENV_CONFIG_LIMIT:
            env["PULUMI_CONFIG"] = encoded
        env["PULUMI_ORGANIZATION"] = self.organization
        env["PULUMI_PROJECT"] = self.project
        env["PULUMI_STACK"] = self.stack
        env["PULUMI_DRY_RUN"] = "true" if self.preview else "false"
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def stderr_text(self) -> str:
        """Everything the pack wrote to stderr so far (its logs and tracebacks)."""
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace")
        self._stderr.seek(0, os.SEEK_END)
        return text

    def _startup_error(self, what: str) -> MWError:
        err = self.stderr_text().strip()
        detail = f"\n{err}" if err else " (no output on stderr)"
        return MWError(f"policy pack {self.pack_dir} failed to start: {what}{detail}")

    def cancel(self) -> None:
        """Stop a :meth:`start` that runs in another thread, because the pack is no longer needed (``mw plan`` starts
        the pack while the program runs, and a program that fails needs no pack).

        Safe from any thread, at any time: ``start`` raises :class:`PolicyPackError` at its next step (within 50 ms
        while it waits for the pack's port) and terminates the process; a ``start`` not begun yet never spawns it.
        """
        self._cancelled.set()

    def _check_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise PolicyPackError(f"policy pack {self.pack_dir.name}: start cancelled")

    def start(self) -> None:
        """Start the pack, connect, and configure it (ConfigureStack, GetAnalyzerInfo, Configure)."""
        if self._proc is not None:
            raise RuntimeError("policy pack already started")
        self._check_cancelled()
        version = self._pack_version()
        # Lives as long as the process; close() closes it.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        lines: queue.Queue[str | None] = queue.Queue()
        self._proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.policy", _NO_ENGINE, "."],
            cwd=self.pack_dir, env=self._env(), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=self._stderr,
        )
        self._finalizer = weakref.finalize(self, _terminate, self._proc)
        try:
            stdout = self._proc.stdout
            assert stdout is not None

            def pump() -> None:
                # Keep draining stdout (policies may print) so the pack never blocks on a full pipe.
                for raw in iter(stdout.readline, b""):
                    line = raw.decode("utf-8", "replace").rstrip("\n")
                    lines.put(line)
                lines.put(None)

            self._reader = threading.Thread(target=pump, name="mw-policy-stdout", daemon=True)
            self._reader.start()
            deadline = time.monotonic() + self.start_timeout
            first: str | None = None
            while True:
                try:
                    first = lines.get(timeout=0.05)
                    break
                except queue.Empty:
                    self._check_cancelled()
                    if self._proc.poll() is not None and lines.empty():
                        time.sleep(0.05)
                        if lines.empty():
                            raise self._startup_error(
                                f"exited with code {self._proc.returncode}") from None
                    if time.monotonic() > deadline:
                        raise self._startup_error(
                            f"no port on stdout after {self.start_timeout:g}s") from None
            if first is None:
                raise self._startup_error(f"exited with code {self._proc.wait()}")
            if not first.strip().isdigit():
                raise self._startup_error(f"expected a port on stdout's first line, got {first!r}")

            def tail() -> None:
                while (line := lines.get()) is not None:
                    self._stdout_tail.append(line)

            threading.Thread(target=tail, name="mw-policy-stdout-tail", daemon=True).start()
            self._channel = grpc.insecure_channel(f"127.0.0.1:{int(first)}", options=_GRPC_OPTIONS)
            grpc.channel_ready_future(self._channel).result(timeout=self.start_timeout)
            self._check_cancelled()
            self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
            self._configure_stack()
            self._info = self._read_info(version)
            if self._info.supports_config:
                self.configure(self._policy_config)
            elif self._policy_config is not None:
                raise MWError(f"policy pack {self._info.name!r} at {self.pack_dir} does not support config")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Terminate the pack and close the connection (idempotent).

        The process goes first: closing a gRPC channel whose server is still up takes about 0.2 s (grpcio 1.85),
        closing it once the server has gone, under 1 ms; nothing is in flight by then either way.
        """
        if self._proc is not None:
            _terminate(self._proc)
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            if self._finalizer is not None:
                self._finalizer.detach()
        if self._channel is not None:
            self._channel.close()
            self._channel = None
            self._stub = None
        if self._reader is not None:
            self._reader.join(timeout=5)
            self._reader = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _call(self, method: str, request: Any) -> Any:
        if self._stub is None:
            raise RuntimeError("policy pack is not running")
        try:
            return getattr(self._stub, method)(request, timeout=self.call_timeout)
        except grpc.RpcError as exc:
            code = exc.code() if isinstance(exc, grpc.Call) else None
            if code == grpc.StatusCode.UNIMPLEMENTED and method in ("ConfigureStack", "AnalyzeStack"):
                # The CLI tolerates packs too old for these calls.
                return None
            details = exc.details() if isinstance(exc, grpc.Call) else str(exc)
            err = self.stderr_text().strip()
            # As the CLI's "failed to run policy: ...": the pack's own error text, no client stack.
            raise PolicyPackError(f"policy pack {self.pack_dir.name}: {method} failed: {details}"
                                  + (f"\n{err}" if err else "")) from None

    # -- protocol -------------------------------------------------------------------------------

    def _configure_stack(self) -> None:
        values, secret_keys = config_to_pulumi(self.config)
        self._call("ConfigureStack", analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=self.stack, project=self.project, organization=self.organization,
            dry_run=self.preview, config=values, config_secret_keys=secret_keys,
        ))

    def _read_info(self, manifest_version: str) -> AnalyzerInfo:
        return analyzer_info(self._call("GetAnalyzerInfo", empty_pb2.Empty()), manifest_version)

    def info(self) -> AnalyzerInfo:
        """The pack's metadata (``GetAnalyzerInfo``)."""
        if self._info is None:
            raise RuntimeError("policy pack is not running")
        return self._info

    def configure(self, policy_config: Mapping[str, Any] | str | os.PathLike[str] | None = None,
                  ) -> dict[str, PolicyConfig]:
        """Reconcile ``policy_config`` with the pack's defaults and send ``Configure``.

        Every policy gets its effective level and properties. Returns the effective config.
        """
        effective, request = configure_request(self.info(), policy_config)
        if request is not None:
            self._call("Configure", request)
        self.effective_config = effective
        return effective

    def _results(self, resp: Any, urns: Iterable[str] | None, fallback: str) -> list[Violation]:
        known = None if urns is None else set(urns)
        out: list[Violation] = []
        for d in resp.diagnostics:
            level = _level_name(d.enforcementLevel)
            if level == "remediate":
                level = "mandatory"
            # Analyze (known is None): always the analyzed resource's URN.
            urn = d.urn if known is not None and d.urn and d.urn in known else fallback
            out.append(Violation(
                policy=d.policyName, level=level, urn=urn, message=d.message,
                description=d.description, pack=d.policyPackName,
                severity={1: "low", 2: "medium", 3: "high", 4: "critical"}.get(d.severity, ""),
                unknown_inputs=d.message.startswith(_UNKNOWN_PREFIX) and not d.urn,
            ))
        for na in resp.not_applicable:
            self.not_applicable.append(NotApplicable(na.policy_name, fallback, na.reason))
        return out

    def analyze(self, resource: RegisteredResource,
                provider: RegisteredResource | None = None) -> list[Violation]:
        """``Analyze`` one resource with its inputs, as the engine does before creating it."""
        return self._results(self._call("Analyze", analyze_request(resource, provider)), None, resource.urn)

    def analyze_stack(self, resources: Iterable[RegisteredResource], *,
                      stack_urn: str | None = None) -> list[Violation]:
        """``AnalyzeStack`` over the final state: outputs, parents and dependencies."""
        resources = list(resources)
        by_urn = {r.urn: r for r in resources}
        if stack_urn is None:
            stack_urn = next((r.urn for r in resources if r.type == tokens.STACK), self.stack_urn)
        resp = self._call("AnalyzeStack", analyze_stack_request(resources))
        if resp is None:
            return []
        return self._results(resp, by_urn, stack_urn)

    def analyze_run(self, run: Any) -> list[Violation]:
        """Everything the engine would send for a ``ProgramRun``: each resource, then the stack."""
        out: list[Violation] = []
        for res in run.engine_resources:
            out += self.analyze(res, run.provider_of(res))
        out += self.analyze_stack(run.engine_resources, stack_urn=run.stack_urn)
        return out
