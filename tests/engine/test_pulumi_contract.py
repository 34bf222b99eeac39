"""The contract with pulumi's internals (``mw_engine/_pulumi.py``): the installed version is the one checked, every
private part the engine stand-in uses is there in the shape used, the fallbacks hold when one is gone, and nothing
else of the stand-in or of ``mw`` reaches past pulumi's public API.

On another pulumi version the first test fails with the sentences of ``contract_problems()``: re-read
``_pulumi.py`` against the new SDK's source, run ``tests/engine``, then raise ``TESTED_VERSION`` and the pin
(pyproject).
"""

from __future__ import annotations

import ast
import asyncio
import tomllib
from pathlib import Path
from typing import Any

import pulumi.runtime
import pytest
from conftest import ROOT
from pulumi.runtime import resource, rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime import stack as pulumi_stack
from pulumi.runtime.proto import source_pb2

from mw_engine import _pulumi as internals
from mw_engine import engine


def test_the_installed_pulumi_is_the_one_checked():
    problems = internals.contract_problems()
    assert not problems, "pulumi's internals are not as mw_engine/_pulumi.py expects:\n- " + "\n- ".join(problems)


def test_the_pin_is_the_version_checked():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert f"pulumi=={internals.TESTED_VERSION}" in project["dependencies"]


def test_another_version_is_named_in_a_sentence():
    assert internals.version_problems(internals.TESTED_VERSION) == []
    assert internals.version_problems("3.300.0") == [
        "pulumi 3.300.0 is installed, and the engine stand-in's use of its internals (mw_engine/_pulumi.py) was "
        f"checked against {internals.TESTED_VERSION} only"]
    assert "pulumi (no version) is installed" in internals.version_problems(None)[0]


def test_another_installed_version_fails_the_contract(monkeypatch):
    monkeypatch.setattr(internals, "installed_version", lambda: "3.300.0")
    assert internals.contract_problems()[0].startswith("pulumi 3.300.0 is installed")


def _takes_more(func: Any, extra: Any) -> None:
    """A stand-in with another signature than pulumi's ``run_pulumi_func(func)``."""


@pytest.mark.parametrize(("change", "problem"), [
    (lambda mp: mp.delattr(pulumi_stack, "massage"), "pulumi.runtime.stack.massage is missing"),
    (lambda mp: mp.delattr(pulumi_stack.Stack, "_take_async_program"),
     "pulumi.runtime.stack.Stack._take_async_program is missing"),
    (lambda mp: mp.setattr(pulumi_stack, "run_pulumi_func", _takes_more),
     "pulumi.runtime.stack.run_pulumi_func takes (func, extra); expected (func)"),
    (lambda mp: mp.delattr(resource, "_get_stack_trace"), "pulumi.runtime.resource._get_stack_trace is missing"),
    (lambda mp: mp.setattr(pulumi_settings, "reset_options", lambda project=None: None),
     "pulumi.runtime.settings.reset_options takes (project); expected at least project, stack, preview"),
    (lambda mp: mp.setattr(internals._mocks.MockMonitor, "ResourceRegistration", tuple),
     "pulumi.runtime.mocks.MockMonitor.ResourceRegistration is not a (urn, id, state) tuple"),
    (lambda mp: mp.setattr(internals._mocks.MockMonitor, "__init__", lambda self, mocks: None),
     "pulumi.runtime.mocks.MockMonitor has no `resources` dict"),
    (lambda mp: mp.delattr(pulumi_stack.Stack, "__annotations__"),
     "pulumi.runtime.stack.Stack declares no `outputs` (the stack's exports)"),
    (lambda mp: mp.setattr(pulumi_stack.Stack, "__init__", lambda self: None),
     "pulumi.runtime.stack.Stack sets no `_async_program_registration_closed`"),
    (lambda mp: mp.setitem(internals.FIELDS, "RegisterResourceRequest", ("type", "aliasSpecz")),
     "pulumi.runtime.proto.resource_pb2.RegisterResourceRequest has no field aliasSpecz"),
])
def test_a_changed_shape_is_named(monkeypatch, change, problem):
    change(monkeypatch)
    assert internals.shape_problems() == [problem]


def test_the_wire_constants_are_pulumis():
    """The engine spells out the protocol's signatures; pulumi's SDK keeps them under private names."""
    ours = (engine._SIG_KEY, engine._SECRET_SIG, engine._RESOURCE_SIG, engine._OUTPUT_SIG, engine.UNKNOWN_ID)
    pulumis = (rpc._special_sig_key, rpc._special_secret_sig, rpc._special_resource_sig,
               rpc._special_output_value_sig, rpc.UNKNOWN)
    assert ours == pulumis


# --- nothing else reaches past the public API --------------------------------------------------------------------

# Everything of mw_engine and mw but the contract module.
OTHERS = sorted({*ROOT.glob("mw_engine/*.py"), *ROOT.glob("mw/*.py")} - {ROOT / "mw_engine" / "_pulumi.py"})
PRIVATE_NAMES = ("MockMonitor", "ResourceRegistration", "reset_options", "run_pulumi_func", "massage", "_sync_await",
                 "_get_stack_trace", "get_root_resource", "_take_async_program", "_add_program_outputs",
                 "_async_program_registration_closed")


def past_the_public_api(path: Path) -> list[str]:
    """pulumi imports in ``path`` other than public names (``pulumi``, ``pulumi.runtime.__all__``) and the generated
    protocol (``pulumi.runtime.proto``), and uses of the names ``_pulumi.py`` keeps."""
    text = path.read_text(encoding="utf-8")
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "pulumi":
            for alias in node.names:
                public = ((node.module == "pulumi" and not alias.name.startswith("_"))
                          or (node.module == "pulumi.runtime" and alias.name in pulumi.runtime.__all__)
                          or node.module == "pulumi.runtime.proto")
                if not public:
                    found.append(f"from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names
                      if a.name.startswith("pulumi.") and not a.name.startswith("pulumi.runtime.proto")]
        elif isinstance(node, ast.Attribute) and node.attr in PRIVATE_NAMES:
            if not (isinstance(node.value, ast.Name) and node.value.id == "_pulumi"):  # through the contract: fine
                found.append(node.attr)
        elif isinstance(node, ast.Name) and node.id in PRIVATE_NAMES:
            found.append(node.id)
    return found


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_else_uses_pulumis_internals(path):
    assert past_the_public_api(path) == []


def test_the_check_finds_private_use(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from pulumi import Output, _types\nfrom pulumi.runtime import set_mocks, rpc, mocks\n"
                      "from pulumi.runtime.stack import massage\nfrom pulumi.runtime.proto import resource_pb2\n"
                      "import pulumi.runtime.settings\nx = y._get_stack_trace\nz = _pulumi.massage\n", encoding="utf-8")
    assert past_the_public_api(module) == [
        "from pulumi import _types", "from pulumi.runtime import mocks", "from pulumi.runtime.stack import massage",
        "import pulumi.runtime.settings", "_get_stack_trace"]


# --- the fallbacks -------------------------------------------------------------------------------------------------

def test_stack_traces_are_swapped_for_an_empty_one_and_restored():
    original = resource._get_stack_trace
    with internals.no_stack_traces():
        assert resource._get_stack_trace() == source_pb2.StackTrace()
    assert resource._get_stack_trace is original


def test_without_the_stack_trace_function_nothing_is_skipped(monkeypatch):
    monkeypatch.delattr(resource, "_get_stack_trace")
    with internals.no_stack_traces():
        assert not hasattr(resource, "_get_stack_trace")
    assert not hasattr(resource, "_get_stack_trace")


class _Root:
    """A root stack as ``finish_stack`` reads it; without ``_take_async_program`` unless given an entrypoint."""

    def __init__(self, outputs: dict[str, Any]) -> None:
        self.outputs = outputs
        self.registered: list[Any] = []

    def register_outputs(self, outputs: Any) -> None:
        self.registered.append(outputs)


class _RootWithEntrypoint(_Root):
    def __init__(self, outputs: dict[str, Any], entry: Any) -> None:
        super().__init__(outputs)
        self.entry = entry

    def _take_async_program(self) -> Any:
        return self.entry

    def _add_program_outputs(self, outputs: dict[str, Any]) -> None:
        self.outputs.update(outputs)


def test_exports_are_registered_without_the_entrypoint_methods(monkeypatch):
    root = _Root({"answer": 42})
    monkeypatch.setattr(pulumi_settings, "get_root_resource", lambda: root)
    internals.open_stack_for_entrypoint()
    assert not hasattr(root, "_async_program_registration_closed")  # nothing to reopen, nothing made up
    asyncio.run(internals.finish_stack())
    assert root.registered == [{"answer": 42}]


def test_an_entrypoints_outputs_are_exported(monkeypatch):
    async def entry() -> dict[str, Any]:
        return {"late": "yes"}

    root = _RootWithEntrypoint({"early": 1}, entry)
    monkeypatch.setattr(pulumi_settings, "get_root_resource", lambda: root)
    asyncio.run(internals.finish_stack())
    assert root.registered == [{"early": 1, "late": "yes"}]


def test_a_program_with_a_pulumi_run_entrypoint(tmp_path):
    """set_mocks finishes the root stack, which closes it to pulumi.run(): the stand-in reopens it."""
    (tmp_path / "__main__.py").write_text(
        "import pulumi\n"
        "pulumi.export('early', 1)\n"
        "async def main():\n"
        "    return {'late': 'yes'}\n"
        "pulumi.run(main)\n", encoding="utf-8")
    result = engine.run_program(tmp_path, project="p", stack="s", config={})
    assert result.outputs == {"early": 1, "late": "yes"}
