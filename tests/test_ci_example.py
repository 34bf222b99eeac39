"""docs/examples/github-actions.yml, the CI workflow docs/ci.md explains, does what it says where it can be run here.

Checked: the workflow's shape (a job without credentials, then a preview job only with an OIDC role), that each
`make` target it runs exists, that each `mw` command line parses, that the preview matrix names every stack, that
the uv it puts on PATH is the one the Makefile installs, and the plan step itself: its shell runs with bash as
GitHub runs it, on a copy of the project, and must write one JSON plan per stack and exit with the highest status.
Not checkable here: the runner, the third-party actions, the credentials and `pulumi preview` (no Pulumi CLI).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, STACKS, edit_stack

from mw.cli import _parser

WORKFLOW_FILE = ROOT / "docs" / "examples" / "github-actions.yml"
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
WORKFLOW: dict[Any, Any] = yaml.safe_load(WORKFLOW_FILE.read_text(encoding="utf-8"))
JOBS: dict[str, Any] = WORKFLOW["jobs"]
PLAN_STEP = "Plan every stack"
# GitHub runs `shell: bash` steps as `bash --noprofile --norc -eo pipefail {0}` (workflow syntax, jobs.<id>.steps
# [*].shell).
GITHUB_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]


def steps() -> list[tuple[str, dict[str, Any]]]:
    return [(job, step) for job, spec in JOBS.items() for step in spec["steps"]]


def step(name: str) -> dict[str, Any]:
    found = [s for _, s in steps() if s.get("name") == name]
    assert len(found) == 1, f"no single step named {name!r}"
    return found[0]


def command_lines(script: str) -> list[list[str]]:
    """Each simple command of a `run:` script as words, with `$stack`/`$STACK` read as a stack name; redirections
    and the operators between commands split them."""
    joined = script.replace("\\\n", " ")
    out: list[list[str]] = []
    for line in joined.splitlines():
        line = re.sub(r"\$\{?(stack|STACK)\b\}?", "dev", line)
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words: list[str] = []
        for token in lexer:
            if token in (";", "&&", "||", "|", ">", ">>", "<", "(", ")"):
                out.append(words)
                words = []
            else:
                words.append(token)
        out.append(words)
    return [w for w in out if w]


def invocations(program: Callable[[str], bool]) -> list[tuple[str, list[str]]]:
    """(job, words) of every command line of every `run:` step whose first word ``program`` accepts."""
    return [(job, words) for job, s in steps() if "run" in s for words in command_lines(s["run"])
            if program(words[0])]


MAKE_LINES = invocations(lambda word: word == "make")
MW_LINES = invocations(lambda word: word == "mw" or word.endswith("/mw"))


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", MAKEFILE, re.M))


def test_workflow_shape() -> None:
    """Job 1 has no credentials; job 2 needs it, asks for an OIDC token, and runs only when switched on and not for
    pull requests from forks."""
    triggers = WORKFLOW.get("on", WORKFLOW.get(True))  # PyYAML reads the key `on` as YAML 1.1's true
    assert set(triggers) == {"pull_request", "push", "workflow_dispatch"}
    assert WORKFLOW["permissions"] == {"contents": "read"}
    assert list(JOBS) == ["test-and-plan", "preview"]
    first, preview = JOBS["test-and-plan"], JOBS["preview"]
    assert "permissions" not in first and "environment" not in first
    assert preview["needs"] == "test-and-plan"
    assert preview["permissions"] == {"contents": "read", "id-token": "write"}
    assert "vars.PULUMI_PREVIEW == 'true'" in preview["if"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in preview["if"]
    assert preview["environment"] == "${{ matrix.stack }}"


def test_actions_are_the_official_ones_pinned_to_a_major_version() -> None:
    used = [s["uses"] for _, s in steps() if "uses" in s]
    assert all(re.fullmatch(r"[\w-]+/[\w-]+@v\d+", u) for u in used), used
    assert {u.split("@")[0] for u in used} == {"actions/checkout", "actions/setup-python", "actions/upload-artifact",
                                              "aws-actions/configure-aws-credentials", "pulumi/actions"}
    pythons = [s["with"]["python-version"] for _, s in steps() if s.get("uses", "").startswith("actions/setup-python")]
    assert pythons == ["3.11", "3.11"]


def test_workflow_runs_the_expected_make_targets() -> None:
    assert [(job, words) for job, words in MAKE_LINES] == [("test-and-plan", ["make", "test"]),
                                                            ("preview", ["make", "pack"])]


@pytest.mark.parametrize(("job", "words"), MAKE_LINES, ids=[" ".join(w) for _, w in MAKE_LINES])
def test_make_target_exists(job: str, words: list[str]) -> None:
    targets = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
    assert targets, f"{' '.join(words)} names no target"
    assert set(targets) <= makefile_targets(), f"not a Makefile target: {set(targets) - makefile_targets()}"


def test_workflow_runs_mw_plan_and_schema() -> None:
    assert [words[1] for _, words in MW_LINES] == ["plan", "schema"]


@pytest.mark.parametrize(("job", "words"), MW_LINES, ids=[" ".join(w) for _, w in MW_LINES])
def test_mw_command_line_parses(job: str, words: list[str]) -> None:
    try:
        _parser().parse_args(words[1:])
    except SystemExit as err:
        pytest.fail(f"mw {' '.join(words[1:])}: argparse refused it (exit {err.code})")


def test_preview_matrix_is_the_list_of_stacks_the_plan_step_found() -> None:
    """The preview runs once per stack the plan step found (test_plan_step_writes_one_plan_per_stack checks the
    list), so a new Pulumi.<stack>.yaml needs no edit of the workflow."""
    assert JOBS["test-and-plan"]["outputs"] == {"stacks": "${{ steps.plan.outputs.stacks }}"}
    assert step(PLAN_STEP)["id"] == "plan"
    assert JOBS["preview"]["strategy"]["matrix"] == {"stack": "${{ fromJSON(needs.test-and-plan.outputs.stacks) }}"}
    assert JOBS["preview"]["strategy"]["fail-fast"] is False


def test_preview_runs_the_pack_with_the_stack_config() -> None:
    script = step("pulumi preview with the policy pack")["run"]
    words = command_lines(script)[0]
    assert words[:2] == ["pulumi", "preview"]
    flags = {word: (following if not following.startswith("--") else None)
             for word, following in zip(words, [*words[1:], "--"], strict=True) if word.startswith("--")}
    assert flags["--stack"] == "dev"
    assert flags["--policy-pack"] == "dist/policy-pack"
    assert flags["--policy-pack-config"] == "dist/policy-pack/config/dev.json"
    assert "PULUMI_ACCESS_TOKEN" in step("pulumi preview with the policy pack")["env"]


def test_uv_on_path_is_the_one_the_makefile_installs() -> None:
    """Pulumi.yaml's `toolchain: uv` runs `uv` from PATH; the workflow adds the directory `make` installs it in."""
    assert re.search(r"^\s*toolchain:\s*uv\s*$", (ROOT / "Pulumi.yaml").read_text(encoding="utf-8"), re.M)
    version = re.search(r"^UV_VERSION\s*:=\s*(\S+)", MAKEFILE, re.M)
    home = re.search(r"^UV_HOME\s*\?=\s*(\S+)", MAKEFILE, re.M)
    assert version and home, "the Makefile no longer sets UV_VERSION and UV_HOME"
    expected = home.group(1).replace("$(UV_VERSION)", version.group(1)).replace("$(HOME)", "$HOME") + "/bin"
    assert step("Put uv on PATH")["run"].strip() == f'echo "{expected}" >> "$GITHUB_PATH"'


def test_uploads_every_plan_even_when_the_plan_step_fails() -> None:
    upload = step("Keep the plans")
    assert upload["if"] == "always()"
    assert set(upload["with"]["path"].split()) == {"plan-*.json", "stack.schema.json"}


# --- the plan step, run -------------------------------------------------------------------------------------------


def run_plan_step(project: Path) -> subprocess.CompletedProcess[str]:
    """The step's script as GitHub runs it, from a copy of the project whose .venv is this repository's, with the
    step's output file in ``project/github-output``."""
    plan_step = step(PLAN_STEP)
    assert plan_step["shell"] == "bash"
    (project / ".venv").symlink_to(ROOT / ".venv")
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "GITHUB_OUTPUT": str(project / "github-output")}
    return subprocess.run([*GITHUB_BASH, plan_step["run"]], cwd=project, env=env, capture_output=True, text=True,
                          timeout=300)


def stacks_output(project: Path) -> list[str]:
    lines = (project / "github-output").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and lines[0].startswith("stacks="), lines
    return json.loads(lines[0].removeprefix("stacks="))


def plans(project: Path) -> dict[str, Path]:
    return {p.name.removeprefix("plan-").removesuffix(".json"): p for p in project.glob("plan-*.json")}


@pytest.mark.slow
def test_plan_step_writes_one_plan_per_stack(project: Path) -> None:
    """One JSON plan per Pulumi.<stack>.yaml, and the list of stacks for the preview job."""
    done = run_plan_step(project)
    assert done.returncode == 0, done.stdout + done.stderr
    written = plans(project)
    assert sorted(written) == sorted(STACKS) and {"dev", "prod"} <= set(written)
    assert sorted(stacks_output(project)) == sorted(STACKS)
    for stack, path in written.items():
        plan = json.loads(path.read_text(encoding="utf-8"))
        assert plan["stack"] == stack
        assert plan["resources"][0]["type"] == "pulumi:pulumi:Stack"
        assert plan["summary"]["mandatory"] == 0
        assert f"{stack}: clean or advisory only" in done.stdout


def trust_ec2(config: dict[str, Any]) -> None:
    """A mandatory violation: prod's policy config allows only ssm.amazonaws.com to assume the service role."""
    config["maintenance-windows:serviceRole"]["trustedServices"] = ["ec2.amazonaws.com", "ssm.amazonaws.com"]


def cutoff_too_long(config: dict[str, Any]) -> None:
    """A mistake in the stack file: a cutoff as long as the window."""
    config["maintenance-windows:windows"][0]["cutoff"] = 3


# (what, edits by stack, the step's exit status, the error line it prints)
FAILURES = [
    ("mandatory violation", {"prod": trust_ec2}, 1, "::error::prod: a mandatory policy violation"),
    ("stack file mistake", {"dev": cutoff_too_long}, 2, "::error::dev: the stack file or a flag is wrong"),
    ("both: the highest status", {"dev": cutoff_too_long, "prod": trust_ec2}, 2,
     "::error::prod: a mandatory policy violation"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("what", "edits", "status", "message"), FAILURES, ids=[f[0] for f in FAILURES])
def test_plan_step_fails_with_the_highest_status(project: Path, what: str, edits: dict[str, Any], status: int,
                                                 message: str) -> None:
    """The step plans every stack even after one fails, and exits with the highest status."""
    for stack, edit in edits.items():
        edit_stack(project, stack, edit)
    done = run_plan_step(project)
    assert done.returncode == status, done.stdout + done.stderr
    assert message in done.stdout
    written = plans(project)
    assert sorted(written) == sorted(STACKS), "every stack is planned, the failing ones too"
    assert sorted(stacks_output(project)) == sorted(STACKS)
    for stack in set(STACKS) - set(edits):
        assert json.loads(written[stack].read_text(encoding="utf-8"))["stack"] == stack
    if "prod" in edits:
        violations = json.loads(written["prod"].read_text(encoding="utf-8"))["violations"]
        assert [(v["policy"], v["level"]) for v in violations] == [("iam-trusted-principals", "mandatory")]


def test_built_pack_has_the_config_the_preview_names(tmp_path: Path) -> None:
    """`make pack` builds dist/policy-pack with config/<stack>.json for every stack the preview runs on."""
    out = tmp_path / "policy-pack"
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "tools" / "build_pack.py"), str(out)],
                   cwd=ROOT, check=True, capture_output=True, text=True, timeout=300)
    assert (out / "PulumiPolicy.yaml").is_file()
    for stack in STACKS:
        assert json.loads((out / "config" / f"{stack}.json").read_text(encoding="utf-8"))
