"""The project's metadata: an SPDX license that the LICENSE file matches."""

from __future__ import annotations

import tomllib

from conftest import ROOT


def test_license_is_an_spdx_expression_with_its_file():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # A table (`{text = ...}`) is deprecated by PEP 639 and makes setuptools print a warning on every install.
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_every_package_is_installed_under_its_layer_name():
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    folders = {name: ROOT / tool.get("package-dir", {}).get(name, name) for name in tool["packages"]}
    assert all((folder / "__init__.py").is_file() for folder in folders.values()), folders
    # Every folder of Python packages at the top (but the pack, tests and benchmarks) is one of them ...
    top = {p.parent for p in ROOT.glob("*/__init__.py")} - {ROOT / "tests", ROOT / "policies", ROOT / "benchmarks"}
    assert top == set(folders.values())
    # ... and none is installed under a generic name.
    assert all(name.startswith("mw") for name in folders), sorted(folders)
