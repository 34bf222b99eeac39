"""The layers import one way: each package may import only the layers below it (and its own third parties).

Read from the source (every ``import`` statement, deferred ones included), so a new import that points the
wrong way fails here before it becomes a cycle or ships the wrong dependency to users of one layer.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from conftest import ROOT

# Package (its folder) -> the top-level modules it may import besides the standard library.
ALLOWED: dict[str, tuple[Path, frozenset[str]]] = {
    "mw_core": (ROOT / "mw_core", frozenset()),
    "mw_components": (ROOT / "components", frozenset({"mw_core", "pulumi", "pulumi_aws"})),
    "mw_config": (ROOT / "mw_config", frozenset({"mw_core", "mw_components", "pydantic", "pydantic_core", "yaml"})),
    "mw_program": (ROOT / "mw_program", frozenset({"mw_core", "mw_components", "mw_config", "pulumi"})),
    "mw_engine": (ROOT / "mw_engine", frozenset({"mw_core", "pulumi", "grpc", "google", "yaml"})),
    "mw": (ROOT / "mw", frozenset({"mw_core", "mw_components", "mw_config", "mw_program", "mw_engine", "pulumi",
                                   "botocore", "yaml", "matplotlib", "icalendar", "pydantic"})),
    # Build tools: the pack's build reads the installed distributions' metadata.
    "tools": (ROOT / "tools", frozenset({"packaging"})),
    # The policy pack ships alone (make pack): core is copied into it, nothing else of this repository.
    "policies": (ROOT / "policies", frozenset({"mw_core", "mw_policies", "pulumi", "pulumi_policy", "google",
                                               "grpc"})),
}
PROGRAM = ROOT / "__main__.py"


def imported(path: Path) -> set[str]:
    """The top-level modules a file imports, wherever the import statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def outside(path: Path, allowed: frozenset[str], own: str) -> set[str]:
    return {m for m in imported(path) if m not in sys.stdlib_module_names and m not in allowed and m != own
            and m != "__future__"}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_below(package):
    folder, allowed = ALLOWED[package]
    files = sorted(folder.rglob("*.py"))
    assert files, folder
    wrong = {str(f.relative_to(ROOT)): sorted(outside(f, allowed, package)) for f in files}
    assert {f: m for f, m in wrong.items() if m} == {}


def test_the_program_imports_only_the_program_layer():
    assert outside(PROGRAM, frozenset({"pulumi", "mw_program", "mw_core"}), "") == set()


def test_a_wrong_import_is_caught(tmp_path):
    # The check itself: a component importing the config layer (the old cycle) is reported.
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from mw_config import parse\n    import mw.cli\n", encoding="utf-8")
    assert outside(bad, ALLOWED["mw_components"][1], "mw_components") == {"mw_config", "mw"}
