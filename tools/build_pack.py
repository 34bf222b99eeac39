"""Build the policy pack as it ships on its own: ``python tools/build_pack.py [OUT]`` (default ``dist/policy-pack``).

The in-repo ``policies/`` imports ``mw_core`` from the project's virtualenv; the built pack carries a copy of it, so
the directory is all the Pulumi CLI needs (``pulumi preview --policy-pack OUT``, ``pulumi policy publish -C OUT``)::

    OUT/
      PulumiPolicy.yaml   runtime python (pip, virtualenv ``venv``), version, description
      __main__.py         installs the pack's servicer, builds the PolicyPack
      mw_policies/        the rules
      mw_core/            a copy of the project's core (standard library only)
      config/             dev.json, prod.json (--policy-pack-config)
      requirements.txt    pulumi, pulumi-policy and tzdata, and everything they need, pinned as installed here,
                          each with the sha256 hashes uv.lock records (pip then installs in hash-checking mode)
      README.md           the pack's documentation
      .gitignore          venv/ and byte code, which `pulumi policy publish` leaves out of the archive

Run it with the project's virtualenv (``make pack``): the pins are the versions installed in the interpreter
that runs it, resolved from ``policies/requirements.txt`` through the installed distributions' metadata, with
environment markers evaluated for this interpreter, and hashed from ``uv.lock``. It refuses to build when an
installed version does not satisfy a requirement or is not the version ``uv.lock`` holds, when a file of the pack
imports anything but the standard library, the pack's own packages or its pinned distributions, or when one
touches ``sys.path``. Standard library and ``packaging`` (a
dependency of pulumi) only. Exit status: 0 built, 1 refused (the reasons on stderr).
"""

from __future__ import annotations

import argparse
import ast
import shutil
import sys
import tomllib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "policies"
CORE = ROOT / "mw_core"
DEFAULT_OUT = ROOT / "dist" / "policy-pack"
LOCK = ROOT / "uv.lock"
# Packages copied into the artifact, each from its folder in the repository.
PACKAGES = {"mw_policies": PACK / "mw_policies", "mw_core": CORE}
FILES = ("PulumiPolicy.yaml", "__main__.py", "README.md")
# What `pulumi policy publish` archives is the directory minus what .gitignore names (pulumi/pulumi#4644;
# pulumi/docs#17139 documents it for Python packs): never the virtualenv the CLI creates next to the code.
GITIGNORE = "venv/\n__pycache__/\n*.pyc\n"
# Import names a distribution provides, where they differ from its name (the pack imports these).
PROVIDES = {"protobuf": {"google"}, "grpcio": {"grpc"}, "pulumi-policy": {"pulumi_policy"}}


class BuildError(Exception):
    """The pack cannot be built as asked; the message says why."""


def pins(requirements: Path) -> dict[str, str]:
    """Every distribution the requirements need, transitively, with the version installed here (canonical names)."""
    environment: dict[str, str] = dict(default_environment())
    found: dict[str, str] = {}
    problems: list[str] = []
    queue: list[tuple[Requirement, str]] = [(r, str(requirements.name)) for r in _read(requirements)]
    while queue:
        requirement, wanted_by = queue.pop(0)
        name = canonicalize_name(requirement.name)
        try:
            distribution = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{requirement} (needed by {wanted_by}) is not installed")
            continue
        version = distribution.version
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement} (needed by {wanted_by}): {version} is installed")
        if name in found:
            continue
        found[name] = version
        extras = {""} | set(requirement.extras)
        for line in distribution.requires or ():
            needed = Requirement(line)
            if needed.marker is None or any(needed.marker.evaluate({**environment, "extra": e}) for e in extras):
                queue.append((needed, f"{name} {version}"))
    if problems:
        raise BuildError("the installed distributions do not match the pack's requirements:\n  "
                         + "\n  ".join(problems))
    return dict(sorted(found.items()))


def _read(path: Path) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [Requirement(line) for line in lines if line]


def locked_hashes(lock: Path = LOCK) -> dict[tuple[str, str], list[str]]:
    """``(canonical name, version) -> ["sha256:…", …]`` for every package of ``uv.lock``: its sdist and wheels."""
    found: dict[tuple[str, str], list[str]] = {}
    for package in tomllib.loads(lock.read_text(encoding="utf-8")).get("package", []):
        files = [package.get("sdist") or {}, *package.get("wheels", [])]
        hashes = sorted({f["hash"] for f in files if "hash" in f})
        if hashes:
            found[(canonicalize_name(package["name"]), str(package["version"]))] = hashes
    return found


def read_requirements(text: str) -> dict[str, tuple[str, list[str]]]:
    """What a requirements.txt of :func:`requirements_text` pins: ``name -> (version, hashes)``."""
    found: dict[str, tuple[str, list[str]]] = {}
    for line in text.replace("\\\n", " ").splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            name, _, version = words[0].partition("==")
            found[name] = (version, [w.removeprefix("--hash=") for w in words[1:] if w.startswith("--hash=")])
    return found


def requirements_text(pinned: dict[str, str], source: Path, hashes: dict[tuple[str, str], list[str]]) -> str:
    """The pack's requirements.txt: every pin with every hash uv.lock has for it, so pip checks what it installs."""
    missing = [f"{name}=={version}" for name, version in pinned.items() if (name, version) not in hashes]
    if missing:
        raise BuildError(f"not in {LOCK.name} with hashes: {', '.join(missing)}; the environment is not the locked "
                         "one: run `make venv` (or `make lock` after changing pyproject.toml)")
    environment = default_environment()
    header = (
        f"# Generated by tools/build_pack.py from {source.relative_to(ROOT)}: these and everything they need, pinned\n"
        f"# as installed where the pack was built (Python {environment['python_full_version']}, "
        f"{environment['sys_platform']}), with the hashes of uv.lock.\n"
        "# The pack's servicer relies on pulumi-policy's internals (mw_policies/_pulumi_policy.py): keep it exact.\n"
    )
    lines = []
    for name, version in pinned.items():
        lines.append(f"{name}=={version}" + "".join(f" \\\n    --hash={h}" for h in hashes[(name, version)]) + "\n")
    return header + "".join(lines)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _provided(distribution: str) -> set[str]:
    """The top-level import names an installed distribution provides."""
    names = set(PROVIDES.get(distribution, set()))
    try:
        files = metadata.distribution(distribution).files or ()
    except metadata.PackageNotFoundError:
        return names
    for file in files:
        top = file.parts[0]
        if top.endswith((".dist-info", ".data")) or top.startswith("__"):
            continue
        names.add(top.removesuffix(".py"))
    return names


def outside(out: Path, distributions: Iterable[str]) -> list[str]:
    """Every way a file of the built pack reaches beyond its directory and its pinned distributions."""
    allowed = set(sys.stdlib_module_names) | {"__future__", *PACKAGES}
    for distribution in distributions:
        allowed |= _provided(distribution)
    problems = []
    for path in sorted(out.rglob("*.py")):
        shown = path.relative_to(out)
        wrong = sorted(_imports(path) - allowed)
        if wrong:
            problems.append(f"{shown} imports {', '.join(wrong)}, which the pack neither contains nor pins")
        if "sys.path" in path.read_text(encoding="utf-8"):
            problems.append(f"{shown} touches sys.path; the pack must import only what is in its directory and "
                            "its requirements")
    return problems


def _clear(out: Path) -> None:
    """Remove a previous build at ``out``; refuse anything else that is already there."""
    if not out.exists():
        return
    if out.is_dir() and (not any(out.iterdir()) or (out / "PulumiPolicy.yaml").is_file()):
        shutil.rmtree(out)
        return
    raise BuildError(f"{out} exists and is not a policy pack built before; remove it or choose another directory")


def build(out: Path = DEFAULT_OUT) -> Path:
    """Write the pack to ``out`` (replacing an earlier build there) and return it."""
    out = out.resolve()
    if out == PACK or PACK in out.parents or out in PACK.parents:
        raise BuildError(f"{out}: the built pack cannot go into or around the source pack {PACK}")
    pinned = pins(PACK / "requirements.txt")
    text = requirements_text(pinned, PACK / "requirements.txt", locked_hashes())
    _clear(out)
    out.mkdir(parents=True)
    for name in FILES:
        shutil.copy2(PACK / name, out / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package, source in PACKAGES.items():
        shutil.copytree(source, out / package, ignore=ignore)
    (out / "config").mkdir()
    for config in sorted((PACK / "config").glob("*.json")):
        shutil.copy2(config, out / "config" / config.name)
    (out / "requirements.txt").write_text(text, encoding="utf-8")
    (out / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    problems = outside(out, pinned)
    if problems:
        shutil.rmtree(out)
        raise BuildError("the built pack reaches outside its directory:\n  " + "\n  ".join(problems))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT,
                        help=f"where to write the pack (default: {DEFAULT_OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    try:
        out = build(args.out)
    except BuildError as error:
        print(f"build_pack: {error}", file=sys.stderr)
        return 1
    print(f"built the policy pack in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
