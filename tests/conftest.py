"""Shared fixtures: Pulumi mocks per test (they are global state), and stack runs through the engine stand-in."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from mw_config import NAMESPACE, load_stack_file
from mw_engine.engine import ProgramRun, run_program

ROOT = Path(__file__).resolve().parent.parent
STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml"))
STACKS = [p.name.split(".")[1] for p in STACK_FILES]


class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks that remember every resource, answer with an ``arn`` and ``name``, and know the account."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        name = args.inputs.get("name") or args.name
        service = args.typ.split(":")[1].split("/")[0]
        kind = args.typ.split("/")[-1].split(":")[0]
        arn = f"arn:aws:{service}::123456789012:{kind}/{name}"
        return f"{args.name}-id", {**args.inputs, "arn": arn, "name": name}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": "123456789012", "arn": "arn:aws:iam::123456789012:user/ci", "userId": "AIDA",
                    "id": "123456789012"}
        return {}

    def of_type(self, token: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.resources if r.typ == token]


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    """Fresh mocks for one test; use with ``@pulumi.runtime.test``."""
    recording = RecordingMocks()
    pulumi.runtime.set_mocks(recording, project="maintenance-windows", stack="test", preview=False)
    yield recording


def deploy(build: Callable[[], Any]) -> None:
    """Run ``build`` (which creates components) and wait until every resource is registered."""
    pulumi.runtime.test(lambda: pulumi.Output.from_input(build()))()


@pytest.fixture
def run_stack() -> Callable[..., ProgramRun]:
    """Run the real ``__main__.py`` with a stack config (``maintenance-windows:`` keys without namespace)."""

    def run(values: Mapping[str, Any], stack: str = "test", region: str = "us-east-1") -> ProgramRun:
        config: dict[str, Any] = {"aws:region": region}
        config.update({f"{NAMESPACE}:{key}": value for key, value in values.items()})
        return run_program(ROOT, project="maintenance-windows", stack=stack, config=config)

    return run


def stack_config(stack: str) -> dict[str, Any]:
    return load_stack_file(ROOT / f"Pulumi.{stack}.yaml")


def by_type(run: ProgramRun, token: str) -> list[Any]:
    return [r for r in run.resources if r.type == token]


def one(run: ProgramRun, token: str) -> Any:
    found = by_type(run, token)
    assert len(found) == 1, f"expected one {token}, got {[r.name for r in found]}"
    return found[0]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project (program, stacks, policy pack) to break without touching the repo."""
    for name in ("__main__.py", "Pulumi.yaml", *(f"Pulumi.{s}.yaml" for s in STACKS)):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "policies", tmp_path / "policies", ignore=shutil.ignore_patterns("__pycache__", "venv"))
    return tmp_path


def edit_stack(project: Path, stack: str, edit: Callable[[dict[str, Any]], None]) -> None:
    """Change a copied stack's config in place (``edit`` gets the ``config:`` mapping)."""
    path = project / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text())
    edit(document["config"])
    path.write_text(yaml.safe_dump(document, sort_keys=False))
