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
