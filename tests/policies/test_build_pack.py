"""``tools/build_pack.py``: the pack as it ships on its own (``dist/policy-pack``), its layout, its pins, and the
checks that refuse a pack reaching outside its directory. ``tests/test_pack_alone.py`` serves the result from a
virtualenv of its own."""

from __future__ import annotations

import filecmp
from importlib import metadata
from pathlib import Path

import pytest
from conftest import ROOT
from packaging.requirements import Requirement
from policy_cases.pack import build, build_script

build_pack = build_script()
PACK = ROOT / "policies"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("dist") / "policy-pack")


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def test_the_layout(built: Path) -> None:
    sources = {
        **{name: PACK / name for name in ("PulumiPolicy.yaml", "__main__.py", "README.md")},
        **{f"config/{p.name}": p for p in (PACK / "config").glob("*.json")},
        **{f"mw_policies/{p.name}": p for p in (PACK / "mw_policies").glob("*.py")},
        **{f"mw_core/{p.name}": p for p in (ROOT / "mw_core").glob("*.py")},
    }
    assert _files(built) == set(sources) | {"requirements.txt", ".gitignore"}
    assert {"config/dev.json", "config/prod.json", "mw_core/schedule.py", "mw_policies/_servicer.py"} <= set(sources)
    assert all(filecmp.cmp(built / name, source, shallow=False) for name, source in sources.items())
    # `pulumi policy publish` archives the directory but what .gitignore names: never the CLI's virtualenv.
    assert (built / ".gitignore").read_text().split() == ["venv/", "__pycache__/", "*.pyc"]


def test_core_is_copied_into_the_artifact_only() -> None:
    assert not (PACK / "mw_core").exists()
    assert not list(PACK.rglob("mw_core"))


def test_the_requirements_pin_everything_needed_as_installed(built: Path) -> None:
    read = build_pack.read_requirements((built / "requirements.txt").read_text())
    pins = {Requirement(f"{name}=={version}").name: f"=={version}" for name, (version, _) in read.items()}
    assert all(version and "," not in version for version, _ in read.values()), read
    assert all(metadata.version(name) == spec[2:] for name, spec in pins.items())
    assert {"pulumi", "pulumi-policy", "tzdata", "protobuf", "grpcio"} <= set(pins)
    assert pins["pulumi-policy"] == "==1.21.0" and pins["pulumi"] == "==3.272.0"
    assert list(pins) == sorted(pins)
    # Everything each pinned distribution needs (here) is pinned too: the list is closed.
    for name in pins:
        for line in metadata.distribution(name).requires or ():
            needed = Requirement(line)
            if needed.marker is None or needed.marker.evaluate({"extra": ""}):
                assert needed.name.lower().replace("_", "-") in pins, f"{name} needs {needed}"


def test_the_built_pack_reaches_nothing_outside(built: Path) -> None:
    pins = list(build_pack.read_requirements((built / "requirements.txt").read_text()))
    assert build_pack.outside(built, pins) == []


def test_every_pin_carries_the_hashes_of_the_lock(built: Path) -> None:
    """pip installs the pack in hash-checking mode: every pin has every sha256 uv.lock records for it."""
    locked = build_pack.locked_hashes()
    read = build_pack.read_requirements((built / "requirements.txt").read_text())
    assert read and all(hashes and hashes == locked[(name, version)] for name, (version, hashes) in read.items())
    assert all(h.startswith("sha256:") and len(h) == 71 for _, hashes in read.values() for h in hashes)


def test_a_version_not_in_the_lock_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text('version = 1\n[[package]]\nname = "pulumi"\nversion = "3.0.0"\n'
                    'sdist = { url = "https://x", hash = "sha256:' + "0" * 64 + '" }\n')
    hashes = build_pack.locked_hashes(lock)
    assert hashes == {("pulumi", "3.0.0"): ["sha256:" + "0" * 64]}
    with pytest.raises(build_pack.BuildError, match=r"not in uv.lock with hashes: pulumi==3.272.0; the environment"):
        build_pack.requirements_text({"pulumi": "3.272.0"}, build_pack.PACK / "requirements.txt", hashes)


@pytest.mark.parametrize(("source", "problem"), [
    ("from mw_config import parse\n", "bad.py imports mw_config, which the pack neither contains nor pins"),
    ("import yaml, mw.cli\n", "bad.py imports mw, yaml, which the pack neither contains nor pins"),
    ("import sys\nsys.path.insert(0, '..')\n", "bad.py touches sys.path"),
])
def test_a_file_reaching_outside_is_refused(tmp_path: Path, source: str, problem: str) -> None:
    (tmp_path / "bad.py").write_text(source)
    [found] = build_pack.outside(tmp_path, ["pulumi", "pulumi-policy"])
    assert found.startswith(problem), found


def test_a_build_reaching_outside_is_not_left_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "mw_policies"
    package.mkdir()
    (package / "__init__.py").write_text("import mw_config\n")
    monkeypatch.setitem(build_pack.PACKAGES, "mw_policies", package)
    out = tmp_path / "out"
    with pytest.raises(build_pack.BuildError, match=r"mw_policies/__init__\.py imports mw_config"):
        build_pack.build(out)
    assert not out.exists()


def test_an_installed_version_the_requirements_refuse_stops_the_build(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pulumi==0.0.1  # not what is installed\nno-such-distribution-mw\n")
    with pytest.raises(build_pack.BuildError) as error:
        build_pack.pins(requirements)
    assert f"pulumi==0.0.1 (needed by requirements.txt): {metadata.version('pulumi')} is installed" in str(error.value)
    assert "no-such-distribution-mw (needed by requirements.txt) is not installed" in str(error.value)


def test_a_rebuild_replaces_the_earlier_build_and_nothing_else(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "policy-pack"
    assert build_pack.main([str(out)]) == 0
    (out / "stale.py").write_text("")
    assert build_pack.main([str(out)]) == 0 and not (out / "stale.py").exists()
    assert capsys.readouterr().out.count(f"built the policy pack in {out}") == 2
    other = tmp_path / "something-else"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    assert build_pack.main([str(other)]) == 1
    assert (other / "keep.txt").read_text() == "mine"
    assert "exists and is not a policy pack built before" in capsys.readouterr().err
    assert build_pack.main([str(PACK / "dist")]) == 1
    assert "cannot go into or around the source pack" in capsys.readouterr().err
