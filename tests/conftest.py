"""Shared fixtures: Pulumi mocks per test (they are global state), stack runs through the engine stand-in, plans of
the repository's stacks made once per session, and the Hypothesis profiles."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from hypothesis import HealthCheck, settings

from mw_config import NAMESPACE, load_stack_file
from mw_engine.engine import ProgramRun, run_program

ROOT = Path(__file__).resolve().parent.parent
STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml"))
STACKS = [p.name.split(".")[1] for p in STACK_FILES]

# --- Hypothesis ---------------------------------------------------------------------------------------------------
# Two profiles, chosen by HYPOTHESIS_PROFILE (else Hypothesis' own choice: "ci" when it sees a CI environment):
# - "default": a tenth of the examples, for a quick local run (`make test`);
# - "ci" (.ci/run): Hypothesis' built-in CI profile (derandomized, no database, failing examples printed as blobs)
#   with every test at its full count.
# Neither has a deadline or the too-slow health check: those measure time, and the suite asserts no timings.
# A test that wants another number of examples than the profile's says how many it wants in CI with
# `@settings(max_examples=examples(N))`; a plain `max_examples=N` would override both profiles.
CI_EXAMPLES = 100  # the "ci" profile's max_examples, Hypothesis' default: examples(N) is N there
settings.register_profile("default", max_examples=CI_EXAMPLES // 10, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", settings.get_profile("ci"), max_examples=CI_EXAMPLES, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or settings.get_current_profile_name())


def examples(ci: int) -> int:
    """``max_examples`` for a test that runs ``ci`` examples in CI: the same share of the active profile's
    ``max_examples`` (a tenth by default), at least 2."""
    return max(2, ci * settings.default.max_examples // CI_EXAMPLES)


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


@pytest.fixture(scope="session")
def _plans_of_the_repo() -> dict[tuple[str, bool], Any]:
    return {}


@pytest.fixture
def repo_plans(monkeypatch: pytest.MonkeyPatch, _plans_of_the_repo: dict[tuple[str, bool], Any]) -> None:
    """``mw.plan.plan`` made once per session for each stack of the repository as it is (its files, its policy
    config): a test that only reads such a plan, through ``mw plan`` or ``plan()``, shares it with the others
    (a plan with the policy pack takes about a second). Any other plan (a copy, another policy config, a given
    ``now``) is made afresh. Plans are read, never changed, by the code that shows them."""
    from mw import plan as planning

    real = planning.plan

    def plan(stack: str, *, project_dir: Path | None = None, policy_config: Path | None = None,
             policies: bool = True, now: Any = None) -> Any:
        if project_dir is None or Path(project_dir).resolve() != ROOT or policy_config is not None or now is not None:
            return real(stack, project_dir=project_dir, policy_config=policy_config, policies=policies, now=now)
        key = (stack, policies)
        if key not in _plans_of_the_repo:
            _plans_of_the_repo[key] = real(stack, project_dir=ROOT, policies=policies)
        return _plans_of_the_repo[key]

    monkeypatch.setattr(planning, "plan", plan)


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


# libyaml when PyYAML has it: the same documents, read and written several times faster (a 1,400-window stack
# took 4 s to write with the pure-Python dumper).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def edit_stack(project: Path, stack: str, edit: Callable[[dict[str, Any]], None]) -> None:
    """Change a copied stack's config in place (``edit`` gets the ``config:`` mapping)."""
    path = project / f"Pulumi.{stack}.yaml"
    document = yaml.load(path.read_text(), Loader=_YAML_LOADER)
    edit(document["config"])
    path.write_text(yaml.dump(document, Dumper=_YAML_DUMPER, sort_keys=False))
