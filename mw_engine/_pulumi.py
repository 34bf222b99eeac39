"""Everything the engine stand-in uses of pulumi beyond its public API, in one place, each with what it stands in for.

pulumi's public way to run a program without an engine is ``pulumi.runtime.set_mocks`` with a ``Mocks`` and
``@pulumi.runtime.test``. That is enough to unit-test components, not to stand in for the engine: a ``Mocks`` sees
a resource's type, name and inputs, never the request's parent, dependencies, provider or options (what the engine
hands a policy pack), and ``test`` runs a function, not a program directory with its ``pulumi.run()`` entrypoint and
its stack exports. So :mod:`mw_engine.engine` reaches past it, here and nowhere else (the contract test checks
that no other module of the stand-in or of ``mw`` imports a private part of pulumi).

These are implementation details of pulumi :data:`TESTED_VERSION`, which the project pins exactly (pyproject).
``tests/engine/test_pulumi_contract.py`` checks the installed version and the shape of every name used here
(:func:`contract_problems`) and fails with its sentences on any other version: upgrading pulumi means re-reading
this module against the new SDK's source, running ``tests/engine``, then raising :data:`TESTED_VERSION` and the pin.

Not listed: the generated protocol messages (``pulumi.runtime.proto``), which are pulumi's published gRPC protocol
(``proto/pulumi/*.proto``), and the public ``pulumi.runtime`` names the engine imports itself (``Mocks``,
``set_mocks``, ``set_all_config``). The contract still checks the request fields the recording monitor reads.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Awaitable, Callable, Iterator
from importlib import import_module, metadata
from typing import Any

from pulumi.runtime import mocks as _mocks
from pulumi.runtime import resource as _resource
from pulumi.runtime import settings as _settings
from pulumi.runtime import stack as _stack
from pulumi.runtime.proto import resource_pb2, source_pb2

# The version whose internals this module was checked against (tests/engine/test_pulumi_contract.py).
TESTED_VERSION = "3.272.0"
DISTRIBUTION = "pulumi"


def installed_version() -> str | None:
    """The installed pulumi's version (its distribution metadata), None when it has none."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


# --- the resource monitor --------------------------------------------------------------------------------------

# pulumi.runtime.mocks.MockMonitor: what set_mocks(monitor=...) takes (a public parameter, but the class is not
# exported by pulumi.runtime and its members below are undocumented). Stands in for a public way to see the
# RegisterResource requests themselves (there is none: Mocks.new_resource gets type, name and inputs only). The
# recording monitor subclasses it and relies on:
# - the SDK calling the monitor's RegisterResource, RegisterResourceOutputs, Invoke and ReadResource directly, with
#   the protocol's request messages, from its executor threads (what the methods overridden receive);
# - make_urn(parent, type_, name): the URN the mocked engine gives a resource (parent type chain, stack, project);
# - resources: URN -> ResourceRegistration(urn, id, state), from which the base class answers ExistsResource and
#   the `pulumi:pulumi:getResource` invoke (the subclass keeps it filled);
# - RegisterResourceOutputs(request): the base class's answer, returned as is.
MockMonitor: Any = _mocks.MockMonitor
ResourceRegistration: Any = _mocks.MockMonitor.ResourceRegistration


# --- settings and the root stack ---------------------------------------------------------------------------------

def reset_settings(*, project: str, stack: str, preview: bool) -> None:
    """Fresh runtime settings for one run, before ``set_mocks`` puts the mocked monitor on top of them.

    ``pulumi.runtime.reset_options`` is exported but documented only as "Resets globals". It stands in for what the
    language host does with the CLI's arguments (``configure(Settings(...))``: a new RPC manager, output set and
    lock) and also forgets the root stack, so a run can never register its resources under a previous run's stack.
    """
    _settings.reset_options(project=project, stack=stack, preview=preview)


def run_program_function(program: Callable[[], Awaitable[None] | None]) -> Awaitable[None]:
    """The coroutine that runs ``program`` as the language host's entry point does, then waits for its RPCs.

    ``pulumi.runtime.stack.run_pulumi_func`` (not exported) is what ``run_in_stack`` (exported, "for internal runtime
    use only") awaits once it has created the root stack. ``run_in_stack`` itself cannot be used: ``set_mocks`` has
    already created and registered the root stack, and a second one is an error. Waiting for every outstanding RPC
    and output is what makes the recorded run complete, and an error in the program is re-raised after that.
    """
    return _stack.run_pulumi_func(program)


def open_stack_for_entrypoint() -> None:
    """Let the program register a ``pulumi.run()`` entrypoint, as the root stack of ``run_in_stack`` does.

    ``set_mocks`` creates the root stack and finishes it at once (``Stack._finish``), which also closes the stack to
    ``pulumi.run`` ("may only be called once"); ``run_in_stack`` keeps it open until the program's body has run.
    So the private flag ``Stack._async_program_registration_closed`` is set back to False before the program runs.
    Another SDK without the flag: nothing to reopen (and :func:`finish_stack` runs no entrypoint).
    """
    root: Any = _settings.get_root_resource()
    if hasattr(root, "_async_program_registration_closed"):
        root._async_program_registration_closed = False


async def finish_stack() -> None:
    """What ``run_in_stack`` does once the program's body has run: a ``pulumi.run()`` entrypoint, then the exports.

    Reads the root stack (``get_root_resource``) and its private ``_take_async_program`` (the function given to
    ``pulumi.run``, if any) and ``_add_program_outputs`` (exports what it returns), then registers
    ``massage(stack.outputs)``, the stack's exports serialized as ``Stack._finish`` does: ``_finish`` itself cannot be
    used, since ``set_mocks`` already called it (with no exports yet) and it registers only once. Without the two
    private methods (another SDK), a ``pulumi.run()`` entrypoint is not run; plain exports still are.
    """
    root: Any = _settings.get_root_resource()
    take = getattr(root, "_take_async_program", None)
    entry = take() if take is not None else None
    if entry is not None:
        root._add_program_outputs(await entry())
    root.register_outputs(_stack.massage(root.outputs, []))


# --- source positions --------------------------------------------------------------------------------------------

@contextlib.contextmanager
def no_stack_traces() -> Iterator[None]:
    """Skip the SDK's per-resource stack trace while a program runs, and restore it afterwards.

    ``pulumi.runtime.resource._get_stack_trace`` walks the Python stack for every resource to find the source
    position the engine only displays; the stand-in never displays it, and the walk is a fifth of a 500-window run.
    No public option turns it off, so the function is swapped for an empty ``StackTrace`` (which gives no source
    position) for the duration. Another SDK without the function: nothing to skip, nothing changed.
    """
    saved = getattr(_resource, "_get_stack_trace", None)
    if saved is None:
        yield
        return
    _resource._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        _resource._get_stack_trace = saved


# --- the contract ------------------------------------------------------------------------------------------------

# Callables used above (module, dotted name) and their parameters: "exact" for private ones, whose every change
# needs a look; "includes" for public ones called by keyword.
CALLABLES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("pulumi.runtime.mocks", "MockMonitor.__init__", "exact", ("self", "mocks")),
    ("pulumi.runtime.mocks", "MockMonitor.make_urn", "exact", ("self", "parent", "type_", "name")),
    ("pulumi.runtime.mocks", "MockMonitor.RegisterResource", "exact", ("self", "request")),
    ("pulumi.runtime.mocks", "MockMonitor.RegisterResourceOutputs", "exact", ("self", "request")),
    ("pulumi.runtime.mocks", "MockMonitor.Invoke", "exact", ("self", "request")),
    ("pulumi.runtime.mocks", "MockMonitor.ReadResource", "exact", ("self", "request")),
    ("pulumi.runtime.mocks", "MockMonitor.ExistsResource", "exact", ("self", "request")),
    ("pulumi.runtime.mocks", "set_mocks", "includes", ("mocks", "project", "stack", "preview", "monitor")),
    ("pulumi.runtime.settings", "reset_options", "includes", ("project", "stack", "preview")),
    ("pulumi.runtime.settings", "get_root_resource", "exact", ()),
    ("pulumi.runtime.stack", "run_pulumi_func", "exact", ("func",)),
    ("pulumi.runtime.stack", "massage", "exact", ("attr", "seen")),
    ("pulumi.runtime.stack", "Stack._take_async_program", "exact", ("self",)),
    ("pulumi.runtime.stack", "Stack._add_program_outputs", "exact", ("self", "outputs")),
    ("pulumi.runtime.stack", "Stack.register_outputs", "includes", ("self", "outputs")),
    ("pulumi.runtime.resource", "_get_stack_trace", "exact", ()),
)

# Protocol messages and the fields the recording monitor reads or sets (mw_engine.engine).
FIELDS: dict[str, tuple[str, ...]] = {
    "RegisterResourceRequest": (
        "type", "name", "parent", "custom", "object", "protect", "dependencies", "provider", "propertyDependencies",
        "deleteBeforeReplace", "deleteBeforeReplaceDefined", "version", "ignoreChanges", "additionalSecretOutputs",
        "aliasURNs", "customTimeouts", "replaceOnChanges", "retainOnDelete", "deletedWith"),
    "RegisterResourceResponse": ("urn", "id", "object"),
    "RegisterResourceOutputsRequest": ("urn", "outputs"),
    "ResourceInvokeRequest": ("tok", "args"),
    "ResourceInvokeResponse": ("return",),
    "ReadResourceRequest": ("id", "type", "name", "parent", "properties"),
    "ReadResourceResponse": ("urn", "properties"),
}


def version_problems(version: str | None) -> list[str]:
    """A sentence when ``version`` is not the one this module was checked against."""
    if version == TESTED_VERSION:
        return []
    return [f"pulumi {version or '(no version)'} is installed, and the engine stand-in's use of its internals "
            f"(mw_engine/_pulumi.py) was checked against {TESTED_VERSION} only"]


def _resolve(module: str, dotted: str) -> Any:
    value: Any = import_module(module)
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def shape_problems() -> list[str]:
    """Sentences for every name used here that is missing or has another shape in the installed pulumi."""
    problems: list[str] = []
    for module, dotted, how, expected in CALLABLES:
        try:
            found = _resolve(module, dotted)
        except (ImportError, AttributeError):
            problems.append(f"{module}.{dotted} is missing")
            continue
        try:
            params = tuple(inspect.signature(found).parameters)
        except (TypeError, ValueError):
            problems.append(f"{module}.{dotted} is not a function")
            continue
        if (params != expected) if how == "exact" else not set(expected) <= set(params):
            problems.append(f"{module}.{dotted} takes ({', '.join(params)}); expected "
                            + (f"({', '.join(expected)})" if how == "exact" else f"at least {', '.join(expected)}"))
    registration = getattr(getattr(_mocks, "MockMonitor", None), "ResourceRegistration", None)
    if getattr(registration, "_fields", None) != ("urn", "id", "state"):
        problems.append("pulumi.runtime.mocks.MockMonitor.ResourceRegistration is not a (urn, id, state) tuple")
    try:
        monitor = _mocks.MockMonitor(None)  # it only keeps the mocks it is given
    except Exception as exc:  # any failure is the finding
        problems.append(f"pulumi.runtime.mocks.MockMonitor(mocks) fails: {exc!r}")
    else:
        if not isinstance(getattr(monitor, "resources", None), dict):
            problems.append("pulumi.runtime.mocks.MockMonitor has no `resources` dict")
    stack_class = getattr(_stack, "Stack", None)
    if "outputs" not in getattr(stack_class, "__annotations__", {}):
        problems.append("pulumi.runtime.stack.Stack declares no `outputs` (the stack's exports)")
    # An instance attribute: one of the names Stack.__init__ stores.
    stored = getattr(getattr(getattr(stack_class, "__init__", None), "__code__", None), "co_names", ())
    if "_async_program_registration_closed" not in stored:
        problems.append("pulumi.runtime.stack.Stack sets no `_async_program_registration_closed`")
    if not hasattr(source_pb2, "StackTrace"):
        problems.append("pulumi.runtime.proto.source_pb2.StackTrace is missing")
    problems += _field_problems()
    return problems


def _field_problems() -> list[str]:
    problems = []
    for message, fields in FIELDS.items():
        descriptor = getattr(getattr(resource_pb2, message, None), "DESCRIPTOR", None)
        if descriptor is None:
            problems.append(f"pulumi.runtime.proto.resource_pb2.{message} is missing")
            continue
        missing = [f for f in fields if f not in descriptor.fields_by_name]
        if missing:
            problems.append(f"pulumi.runtime.proto.resource_pb2.{message} has no field {', '.join(missing)}")
    return problems


def contract_problems() -> list[str]:
    """Everything that differs from what this module expects: the version, then each name's shape."""
    return version_problems(installed_version()) + shape_problems()
