"""One lock for everything: uv.lock pins the program, the tools and (through `make pack`) the pack, with hashes;
`make` and CI install only from it, and uv itself is pinned by hash."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from conftest import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LOCK = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
# A name may be locked at several versions, one per Python range (resolution markers): name -> versions.
VERSIONS: dict[str, set[str]] = {}
for _package in LOCK["package"]:
    VERSIONS.setdefault(canonicalize_name(_package["name"]), set()).add(str(_package["version"]))
PROJECT = next(p for p in LOCK["package"] if p["name"] == "maintenance-windows")
UV_VERSION = re.search(r"^UV_VERSION\s*:=\s*(\S+)$", MAKEFILE, re.MULTILINE).group(1)  # type: ignore[union-attr]


def declared() -> dict[str, list[Requirement]]:
    """pyproject's requirements: the project's own and each dependency group's."""
    return {"project": [Requirement(r) for r in PYPROJECT["project"]["dependencies"]],
            **{group: [Requirement(r) for r in reqs] for group, reqs in PYPROJECT["dependency-groups"].items()}}


def test_the_lock_holds_what_pyproject_declares() -> None:
    """A dependency added to pyproject without `make lock` fails here (and `uv sync --locked` refuses it)."""
    locked = {"project": PROJECT["metadata"]["requires-dist"], **PROJECT["metadata"]["requires-dev"]}
    for group, requirements in declared().items():
        names = sorted(canonicalize_name(r.name) for r in requirements)
        assert sorted(canonicalize_name(r["name"]) for r in locked[group]) == names, group


def test_exact_pins_are_the_locked_versions() -> None:
    for requirements in declared().values():
        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            assert any(requirement.specifier.contains(v, prereleases=True) for v in VERSIONS[name]), requirement
    exact = {canonicalize_name(r.name): str(r.specifier)[2:] for rs in declared().values() for r in rs
             if str(r.specifier).startswith("==")}
    assert {"pulumi", "pulumi-aws", "pulumi-policy"} <= set(exact)
    assert all(VERSIONS[name] == {version} for name, version in exact.items())


def test_every_locked_distribution_has_hashes() -> None:
    registry = [p for p in LOCK["package"] if "registry" in p["source"]]
    assert len(registry) > 40
    for package in registry:
        files = [package.get("sdist") or {}, *package.get("wheels", [])]
        assert any(files) and all(f.get("hash", "").startswith("sha256:") for f in files if f), package["name"]


def test_the_virtualenv_is_the_locked_one() -> None:
    """What runs the tests is what the lock says: every locked distribution installed here has the locked version."""
    checked = 0
    for name, versions in VERSIONS.items():
        if name == "maintenance-windows":
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # another platform's or Python's (markers)
        assert installed in versions, name
        checked += 1
    assert checked > 40


def test_make_and_ci_install_only_from_the_lock() -> None:
    assert "$(UV) sync --locked" in MAKEFILE
    assert "pip install" not in MAKEFILE.replace("--require-hashes", "").split("$(UV):")[0]
    bootstrap = MAKEFILE.split("$(UV): tools/uv-requirements.txt", 1)[1].split("\n\n", 1)[0]
    assert "--require-hashes" in bootstrap and "--no-deps" in bootstrap and "--only-binary=:all:" in bootstrap
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.findall(r"^\S.*$", ci, re.MULTILINE)[-2:] == ["HYPOTHESIS_PROFILE=ci make test-all", "make lint"]
    pulumi = (ROOT / "Pulumi.yaml").read_text(encoding="utf-8")
    assert "toolchain: uv" in pulumi and "virtualenv: .venv" in pulumi
    assert not (ROOT / "requirements.txt").exists()  # no second, unlocked way in


def test_uv_is_pinned_by_hash_to_the_makefiles_version() -> None:
    text = (ROOT / "tools" / "uv-requirements.txt").read_text(encoding="utf-8")
    assert re.search(rf"^uv=={re.escape(UV_VERSION)} \\$", text, re.MULTILINE)
    hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})\b", text)
    assert len(hashes) >= 10 and len(set(hashes)) == len(hashes)
    assert PYPROJECT["tool"]["uv"]["required-version"] == f">={UV_VERSION}"


def _uv() -> Path:
    return Path(os.environ.get("UV_HOME", Path.home() / ".cache" / "mw-tools" / f"uv-{UV_VERSION}")) / "bin" / "uv"


@pytest.mark.skipif(not _uv().exists(), reason="uv is installed by make (make venv); this run did not use make")
def test_the_lock_is_current_by_uvs_own_check() -> None:
    """`uv lock --check` resolves pyproject again (from uv's cache, offline) and compares with uv.lock."""
    done = subprocess.run([str(_uv()), "lock", "--check", "--offline"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"})
    assert done.returncode == 0, done.stderr
