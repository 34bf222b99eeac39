"""The built policy pack works on its own: copied to an empty directory, given a virtualenv made from nothing but its
``requirements.txt`` (as the Pulumi CLI does for ``virtualenv: venv``), and served with ``python -m pulumi.policy``,
it answers every request exactly as the in-repo pack does.

Creating the virtualenv installs the pinned wheels (pip's cache and find-links are used, so after the first run
nothing is downloaded): this module takes about a minute.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, STACKS, stack_config
from google.protobuf import empty_pb2
from policy_cases.pack import PackServer, build, build_script, pack_environment
from pulumi.runtime.proto import analyzer_pb2
from test_pack_on_stacks import BROKEN

from mw_engine.analyzer import analyze_request, analyze_stack_request, analyzer_info, configure_request
from mw_engine.engine import ProgramRun, config_to_pulumi, run_program

pytestmark = pytest.mark.slow

build_pack = build_script()

PROJECT = "maintenance-windows"
CONFIG_DIR = ROOT / "policies" / "config"


@pytest.fixture(scope="module")
def alone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(the built pack copied to an empty directory, the Python of the virtualenv made from its requirements)."""
    built = build(tmp_path_factory.mktemp("built") / "policy-pack")
    pack = tmp_path_factory.mktemp("elsewhere") / "policy-pack"
    shutil.copytree(built, pack)
    env = pack_environment()
    subprocess.run([sys.executable, "-m", "venv", str(pack / "venv")], check=True, env=env)
    python = pack / "venv" / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                              "-r", "requirements.txt"], cwd=pack, env=env, capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr
    yield pack, python


def test_the_virtualenv_holds_only_the_pinned_distributions(alone: tuple[Path, Path]) -> None:
    pack, python = alone
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                            capture_output=True, text=True, check=True, env=pack_environment()).stdout
    installed = {d["name"].lower().replace("_", "-"): d["version"] for d in json.loads(listed)}
    pinned = {name: version for name, (version, _) in
              build_pack.read_requirements((pack / "requirements.txt").read_text()).items()}
    assert {k: v for k, v in installed.items() if k != "pip"} == pinned
    # Outside the pack's directory nothing of this repository is importable: the pack's mw_core is its own copy.
    probe = "import importlib.util as u; print([u.find_spec(m) is None for m in ('mw_core', 'mw_policies', 'mw')])"
    found = subprocess.run([str(python), "-c", probe], cwd=pack.parent, capture_output=True, text=True, check=True,
                           env=pack_environment()).stdout
    assert found.strip() == "[True, True, True]"


def _run(config: dict[str, Any], stack: str) -> ProgramRun:
    return run_program(ROOT, project=PROJECT, stack=stack, config=config)


def _cases() -> Iterator[tuple[str, str, Callable[[], dict[str, Any]]]]:
    """(id, stack, config): the repo's stacks, then each broken copy the pack-on-stacks tests use."""
    for stack in STACKS:
        yield stack, stack, lambda stack=stack: stack_config(stack)
    for stack, breakage, _, _ in BROKEN:
        def broken(stack: str = stack, breakage: Callable[[dict[str, Any]], None] = breakage) -> dict[str, Any]:
            config = copy.deepcopy(stack_config(stack))
            breakage(config)
            return config
        yield f"{stack}-{breakage.__name__.strip('_')}", stack, broken


def _configure(servers: list[PackServer], stack: str, config: dict[str, Any]) -> None:
    """ConfigureStack and Configure (the stack's policy config, reconciled as the CLI does), on every server."""
    values, secret_keys = config_to_pulumi(config)
    request = analyzer_pb2.AnalyzerStackConfigureRequest(stack=stack, project=PROJECT, organization="organization",
                                                         dry_run=True, config=values, config_secret_keys=secret_keys)
    info = analyzer_info(servers[0].call("GetAnalyzerInfo", empty_pb2.Empty()))
    _, configure = configure_request(info, CONFIG_DIR / f"{stack}.json")
    for server in servers:
        server.call("ConfigureStack", request)
        server.call("Configure", configure)


def test_the_pack_alone_answers_as_the_repos_pack(alone: tuple[Path, Path]) -> None:
    """GetAnalyzerInfo, then for every case each resource's Analyze and the AnalyzeStack: equal responses."""
    pack, python = alone
    with PackServer(sys.executable, ROOT / "policies") as repo, PackServer(python, pack) as copy_:
        assert copy_.call("GetAnalyzerInfo", empty_pb2.Empty()) == repo.call("GetAnalyzerInfo", empty_pb2.Empty())
        diagnostics = 0
        for case, stack, config in _cases():
            values = config()
            run = _run(values, stack)
            _configure([repo, copy_], stack, values)
            for resource in run.engine_resources:
                request = analyze_request(resource, run.provider_of(resource))
                expected = repo.call("Analyze", request)
                assert copy_.call("Analyze", request) == expected, (case, resource.urn)
                diagnostics += len(expected.diagnostics)
            request = analyze_stack_request(run.engine_resources)
            expected = repo.call("AnalyzeStack", request)
            assert copy_.call("AnalyzeStack", request) == expected, case
            diagnostics += len(expected.diagnostics)
        assert diagnostics >= len(BROKEN)  # each broken copy is reported (the comparison saw violations)
        # The copy served with the pack's servicer, not pulumi-policy's fallback.
        assert "using it unchanged" not in copy_.stderr() + repo.stderr()
