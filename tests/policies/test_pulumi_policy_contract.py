"""The contract with pulumi-policy's internals (``mw_policies/_pulumi_policy.py``): the installed version is the one
checked, everything the pack uses beyond the public API is there in the shape used, and nothing else of the pack
reaches past the public API.

On another pulumi-policy version the first test fails with the sentences of ``contract_problems()``: re-check
``_pulumi_policy.py`` against the new source, run ``test_policy_servicer.py``, then raise ``TESTED_VERSION`` and the
pins (pyproject, ``policies/requirements.txt``).
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Mapping
from typing import Any

import pulumi_policy
import pytest
from conftest import ROOT
from mw_policies import _pulumi_policy as internals
from pulumi_policy import policy as pulumi_policy_module

PACK = ROOT / "policies"
STOCK = pulumi_policy_module._PolicyAnalyzerServicer


def test_the_installed_pulumi_policy_is_the_one_checked():
    problems = internals.contract_problems()
    assert not problems, "pulumi-policy's internals are not as mw_policies/_pulumi_policy.py expects:\n- " + \
        "\n- ".join(problems)


def test_the_pins_are_the_version_checked():
    """pyproject and the pack's own requirements pin exactly the version the contract was checked against."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [*pyproject["project"]["dependencies"], *pyproject["dependency-groups"]["dev"]]
    assert f"pulumi-policy=={internals.TESTED_VERSION}" in pins
    requirements = (PACK / "requirements.txt").read_text(encoding="utf-8").split()
    assert f"pulumi-policy=={internals.TESTED_VERSION}" in requirements
    # The pack's exact pins are the project's.
    exact = {line.split("==")[0]: line for line in requirements if "==" in line}
    assert set(exact) == {"pulumi", "pulumi-policy"}
    assert all(pin in pins for pin in exact.values()), exact


def test_another_version_is_named_in_a_sentence():
    assert internals.version_problems(internals.TESTED_VERSION) == []
    assert internals.version_problems("1.22.0") == [
        "pulumi-policy 1.22.0 is installed, and the pack's use of its internals (mw_policies/_pulumi_policy.py) was "
        f"checked against {internals.TESTED_VERSION} only"]
    assert "(no version) is installed" in internals.version_problems(None)[0]


class _NoTags(STOCK):  # type: ignore[misc,valid-type]
    """A servicer whose __init__ no longer keeps the stack tags where the pack reads them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self._PolicyAnalyzerServicer__stack_tags  # type: ignore[attr-defined]


class _Renamed(STOCK):  # type: ignore[misc,valid-type]
    """A servicer whose helper takes other parameters."""

    def _get_policy_config(self, policy_name: str) -> Any:  # type: ignore[override]
        return None


class _Bare:
    def __init__(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize(("stock", "expected"), [
    (STOCK, []),
    ("not a class", ["pulumi_policy.policy._PolicyAnalyzerServicer is missing"]),
    (_NoTags, ["_PolicyAnalyzerServicer no longer keeps the stack tags in _PolicyAnalyzerServicer__stack_tags"]),
    (_Renamed, ["_PolicyAnalyzerServicer._get_policy_config takes ('policy_name',), not ('name',)"]),
    (_Bare, [f"_PolicyAnalyzerServicer.{name} is missing" for name in internals.HELPERS]
     + ["_PolicyAnalyzerServicer no longer keeps the stack tags in _PolicyAnalyzerServicer__stack_tags"]),
], ids=["as-checked", "missing", "no-stack-tags", "renamed-parameter", "bare-class"])
def test_each_difference_of_the_servicer_is_named(stock, expected):
    assert internals.servicer_problems(stock) == expected


def test_a_servicer_that_cannot_be_built_is_named():
    class Stricter(STOCK):  # type: ignore[misc,valid-type]
        def __init__(self, name: str, version: str, policies: list[Any], enforcement_level: Any, *, extra: int):
            super().__init__(name, version, policies, enforcement_level)

    [problem] = internals.servicer_problems(Stricter)
    assert problem.startswith("_PolicyAnalyzerServicer(name, version, policies, enforcement_level) fails: TypeError")


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("DICT_PROXY", None, "pulumi_policy.proxy._DictProxy is missing, or not a Mapping"),
    ("DICT_PROXY", dict, "unknown_checking_proxy() no longer returns a _DictProxy that can carry an attribute"),
    ("UNKNOWN_SENTINELS", frozenset({"1c4a061d-8072-4f0a-a4cb-0ff528b18fe7"}),
     "pulumi_policy.proxy no longer names the 7 unknown sentinels (UNKNOWN_*_VALUE)"),
    ("unknown_checking_proxy", lambda props: internals.DICT_PROXY({"unknown": "x"}, []),
     "unknown_checking_proxy() no longer raises UnknownValueError on an unknown"),
], ids=["no-dict-proxy", "not-the-proxy-returned", "sentinels", "no-unknown-check"])
def test_each_difference_of_the_proxies_is_named(monkeypatch, name, value, expected):
    assert internals.proxy_problems() == []
    monkeypatch.setattr(internals, name, value)
    assert expected in internals.proxy_problems()


def test_the_sentinels_are_the_engines():
    """The unknowns the engine sends (pulumi's rpc.py: UNKNOWN, and the typed sentinels of properties.go)."""
    assert {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58", "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff"} == internals.UNKNOWN_SENTINELS


def test_the_stack_tags_are_read_as_configured():
    from pulumi.runtime.proto import analyzer_pb2

    servicer = STOCK("p", "0.0.1", [object()], pulumi_policy.EnforcementLevel.ADVISORY)
    assert internals.has_stack_tags(servicer) and dict(internals.stack_tags(servicer)) == {}
    servicer.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(tags={"team": "platform"}), None)
    assert isinstance(internals.stack_tags(servicer), Mapping)
    assert dict(internals.stack_tags(servicer)) == {"team": "platform"}


# --- nothing else reaches past the public API ---------------------------------------------------------------

def _pulumi_policy_uses(source: str) -> list[str]:
    """What a module uses of pulumi_policy beyond ``pulumi_policy.__all__``: submodules and private names."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "pulumi_policy":
            if node.module != "pulumi_policy":
                found.append(f"from {node.module} import ...")
            found += [f"pulumi_policy.{a.name}" for a in node.names
                      if node.module == "pulumi_policy" and a.name not in pulumi_policy.__all__]
        elif isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] == "pulumi_policy"]
    found += sorted(set(re.findall(r"_PolicyAnalyzerServicer__\w+|_DictProxy|_NotApplicableError", source)))
    return found


def test_only_the_contract_module_uses_pulumi_policys_internals():
    files = sorted(PACK.rglob("*.py"))
    assert len(files) > 10
    beyond = {str(f.relative_to(PACK)): uses for f in files if f.name != "_pulumi_policy.py"
              and (uses := _pulumi_policy_uses(f.read_text(encoding="utf-8")))}
    assert beyond == {}


def test_the_scan_finds_what_it_looks_for():
    source = ("from pulumi_policy import PolicyPack, policy\nfrom pulumi_policy.proxy import _DictProxy\n"
              "import pulumi_policy.deserialize\nx = getattr(s, '_PolicyAnalyzerServicer__stack_tags')\n")
    assert _pulumi_policy_uses(source) == [
        "pulumi_policy.policy", "from pulumi_policy.proxy import ...", "import pulumi_policy.deserialize",
        "_DictProxy", "_PolicyAnalyzerServicer__stack_tags"]
