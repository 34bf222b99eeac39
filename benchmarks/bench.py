"""``make bench``: how fast ``mw plan`` is, what the project's structure costs, and the policy pack's share.

Measured, in one run, on generated stacks of 1, 10, 100 and 500 windows (each with 2 tag targets and 3 Run
Command tasks, plus the dev stack's service role and PassRole policy), in a temporary copy of the project:

* ``mw plan --json`` as a user runs it, one fresh process per run: wall time, peak RSS of the plan process
  and of the policy pack it starts (see ``_measure.py``), resources and deploy depth;
* the program under the engine stand-in (``run_program``, in this process) against ``flat/__main__.py``,
  which registers the same resources with the same inputs from the same config without components or
  validation: the overhead ratio of the project's structure;
* the floor, ``python -c "import pulumi, pulumi_aws"``, and the policy pack's start-up;
* the policy pack through the analyzer protocol: ``Analyze`` per resource and ``AnalyzeStack`` over the
  100-window stack, next to packs of no-op policies (what pulumi-policy itself costs);
* ``AnalyzeStack`` over 200 windows that may share instances in three ways (each window its own application, 50
  applications of 4 windows, one application), which is where ``stack-window-overlap`` spends its time;
* the schedule search for an expression that never matches (February 30th), which must give up, not scan on.

Timings live here, not in the test suite: tests assert what is computed, benchmarks measure how fast.

Every figure is a median. Results go to stdout as markdown (for the README) and progress to stderr;
``--save`` also writes everything to ``benchmarks/results.json`` (or the path given), so that a run leaves the
tree clean unless asked. Targets are reported as PASS, MISS, or "not run" when this run did not measure what
the target is defined on (``--quick`` skips the large stacks); the exit status is 0 regardless (a benchmark
measures, it does not assert).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
FLAT = BENCH / "flat"
RESULTS = BENCH / "results.json"
PROJECT = "maintenance-windows"


@dataclass(frozen=True)
class Settings:
    """What to measure and how often; each figure is the median of its runs."""

    sizes: tuple[int, ...] = (1, 10, 100, 500)
    # Fresh `mw plan` processes per stack; 500 windows takes seconds per run and 2 cores run them
    # one at a time, so fewer there (keeps `make bench` to about 2 minutes).
    repeats: Mapping[str | int, int] = field(default_factory=lambda: {"dev": 5, 1: 5, 10: 5, 100: 5, 500: 3})
    fixed_repeats: int = 5  # import floor, pack start-up
    overhead_sizes: tuple[int, ...] = (1, 10, 100)
    overhead_repeats: int = 5
    policy_windows: int = 100
    policy_repeats: int = 5
    reference_repeats: int = 3  # the no-op reference packs
    overlap_windows: int = 200
    overlap_groups: tuple[int, ...] = (200, 50, 1)  # applications; the windows of one may share instances
    overlap_repeats: int = 3
    schedule_repeats: int = 5


FULL = Settings()
# `bench.py --quick`: a smoke run of every code path in well under a minute; its targets mean nothing.
QUICK = Settings(sizes=(1, 10), repeats={"dev": 1, 1: 1, 10: 1}, fixed_repeats=1, overhead_sizes=(1, 10),
                 overhead_repeats=1, policy_windows=10, policy_repeats=1, reference_repeats=1, overlap_windows=20,
                 overlap_groups=(20, 5, 1), overlap_repeats=1, schedule_repeats=1)
# Linux refuses to exec with any single argv/env string longer than this (MAX_ARG_STRLEN, 32 pages);
# the policy pack gets the whole stack config as one PULUMI_CONFIG variable.
MAX_ARG_STRLEN = 32 * 4096

TARGET_RATIO = 1.3  # ours / flat at 100 windows
TARGET_500_S = 15.0
TARGET_POLICY_MS = 1.0
TARGET_POLICY_WINDOWS = 100  # the stack the policy target is measured on
TARGET_DEPTH = 3
TARGET_DEV_FACTOR = 2.5  # dev plan vs (import floor + pack start-up)
TARGET_100_S = 5.0

_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def log(message: str) -> None:
    """Progress, on stderr so that stdout stays the pasteable report."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


# ------------------------------------------------------------------------------------------------ stacks


def stack_config(windows: int) -> dict[str, Any]:
    """A stack of ``windows`` windows, each with 2 tag targets and 3 Run Command tasks, clean under dev policy."""
    items = []
    for i in range(windows):
        items.append({
            "name": f"Patch-{i:04d}",
            "schedule": f"cron(0 {i % 24} ? * {_DAYS[i % 7]} *)",
            "duration": 3,
            "cutoff": 1,
            "targets": [
                {"name": "WebServers", "tags": {"Workload": f"app-{i:04d}", "Role": "Web"}},
                {"name": "Databases", "tags": {"Workload": f"app-{i:04d}", "Role": ["Db", "Cache"]}},
            ],
            "tasks": [
                {"name": "Scan", "type": "RUN_COMMAND", "document": "AWS-RunPatchBaseline", "priority": 1,
                 "targets": ["WebServers", "Databases"], "maxConcurrency": "10%", "maxErrors": "1",
                 "parameters": {"Operation": "Scan"}},
                {"name": "InstallWeb", "type": "RUN_COMMAND", "document": "AWS-RunPatchBaseline", "priority": 2,
                 "targets": ["WebServers"], "maxConcurrency": "10%", "maxErrors": "1",
                 "parameters": {"Operation": "Install"}},
                {"name": "InstallDatabases", "type": "RUN_COMMAND", "document": "AWS-RunPatchBaseline",
                 "priority": 3, "targets": ["Databases"], "maxConcurrency": 1, "maxErrors": 0,
                 "parameters": {"Operation": "Install", "RebootOption": "NoReboot"}},
            ],
        })
    return {
        "aws:region": "us-east-1",
        f"{PROJECT}:serviceRole": {"name": "SSMMaintenanceWindowRole"},
        f"{PROJECT}:passRole": {"policyName": "SSMMaintenanceWindowPassRole", "groups": ["Administrators"]},
        f"{PROJECT}:windows": items,
    }


def overlap_config(windows: int, groups: int) -> dict[str, Any]:
    """``windows`` windows in ``groups`` applications: a window targets its application's production instances, so
    only windows of one application may share instances. Each application's windows open a few hours apart on
    different weekdays, some of them overlapping (what tests/policies/test_policy_overlap.py timed before)."""
    items = []
    for i in range(windows):
        items.append({
            "name": f"Overlap-{i:03d}",
            "schedule": f"cron({i % 4 * 15} {i % 24} ? * {'MON' if i % 2 else 'SUN,WED'} *)",
            "scheduleTimezone": "Europe/Paris" if i % 3 else "UTC",
            "duration": 3,
            "cutoff": 1,
            "targets": [{"name": "Production", "tags": {"Env": "prod", "App": f"app-{i % groups}"}}],
            "tasks": [{"name": "Install", "type": "RUN_COMMAND", "document": "AWS-RunPatchBaseline", "priority": 1,
                       "targets": ["Production"], "maxConcurrency": "10%", "maxErrors": "1",
                       "parameters": {"Operation": "Install"}}],
        })
    return {**stack_config(0), f"{PROJECT}:windows": items}


def make_project(tmp: Path, sizes: Iterable[int]) -> Path:
    """A copy of the project (program, dev stack, policy pack) with ``Pulumi.bench<N>.yaml`` stacks.

    Each bench stack gets the dev policy config (``policies/config/bench<N>.json``), so ``mw plan`` runs
    exactly as for ``dev``. The copy keeps the repository untouched.
    """
    project = tmp / "project"
    project.mkdir()
    for name in ("__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(ROOT / "policies", project / "policies", ignore=shutil.ignore_patterns("__pycache__"))
    dev_policy = project / "policies" / "config" / "dev.json"
    for n in sizes:
        text = yaml.safe_dump({"config": stack_config(n)}, sort_keys=False)
        (project / f"Pulumi.bench{n}.yaml").write_text(text, encoding="utf-8")
        shutil.copy2(dev_policy, project / "policies" / "config" / f"bench{n}.json")
    return project


def stock_servicer_pack(project: Path, tmp: Path) -> Path:
    """A copy of the project's pack whose ``__main__.py`` does not install ``mw_policies._servicer``:
    the same rules served by pulumi-policy's own servicer (the repository root stays its parent's
    parent, as the pack expects, by copying into a sibling project)."""
    copy = tmp / "stock-servicer" / "project"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("__pycache__"))
    main = copy / "policies" / "__main__.py"
    text = main.read_text(encoding="utf-8")
    if "\ninstall()\n" not in text:
        raise SystemExit("benchmarks: policies/__main__.py no longer calls install(); update stock_servicer_pack")
    main.write_text(text.replace("\ninstall()\n", "\n"), encoding="utf-8")
    return copy / "policies"


def noop_pack(directory: Path, resource_policies: int, stack_policies: int) -> Path:
    """A pack of policies that do nothing: what pulumi-policy costs for that many policies."""
    directory.mkdir()
    (directory / "PulumiPolicy.yaml").write_text("description: no-op policies\nversion: 0.0.0\nruntime: python\n",
                                                encoding="utf-8")
    (directory / "__main__.py").write_text(
        "from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy\n"
        "def noop(args, report):\n    pass\n"
        "A = EnforcementLevel.ADVISORY\n"
        f"PolicyPack(name='noop', policies="
        f"[ResourceValidationPolicy(name=f'r{{i}}', description='no-op', validate=noop, enforcement_level=A)"
        f" for i in range({resource_policies})]"
        f" + [StackValidationPolicy(name=f's{{i}}', description='no-op', validate=noop, enforcement_level=A)"
        f" for i in range({stack_policies})])\n", encoding="utf-8")
    return directory


def config_env_bytes(config: Mapping[str, Any]) -> int:
    """Length of the ``PULUMI_CONFIG=...`` string the policy pack is started with."""
    from mw_engine.engine import config_to_pulumi

    values, _ = config_to_pulumi(config)
    return len("PULUMI_CONFIG=") + len(json.dumps(values).encode())


# ------------------------------------------------------------------------------------------------ mw plan


@dataclass
class PlanFigures:
    """``mw plan`` for one stack: medians over ``runs`` fresh processes."""

    stack: str
    windows: int | None
    runs: int = 0
    wall_s: float | None = None
    wall_all_s: list[float] = field(default_factory=list)
    plan_rss_mib: float | None = None
    pack_rss_mib: float | None = None
    resources: int | None = None
    depth: int | None = None
    mandatory: int | None = None
    advisory: int | None = None
    config_env_bytes: int | None = None
    no_policy: bool = False
    error: str | None = None


def plan_once(project: Path, stack: str, *extra: str) -> tuple[float, dict[str, Any], dict[str, Any] | None, str]:
    """One ``mw plan --json`` in a fresh process: (wall s, peak memory from ``_measure.py``, JSON or None, error)."""
    fd, usage_file = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    cmd = [sys.executable, str(BENCH / "_measure.py"), usage_file, "-m", "mw.cli", "plan", "--stack", stack,
           "--project-dir", str(project), "--json", *extra]
    try:
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        text = Path(usage_file).read_text(encoding="utf-8")
        usage = json.loads(text) if text else {}
    finally:
        os.unlink(usage_file)
    # 0: clean or advisory only; 1 with JSON on stdout: a mandatory violation. Anything else failed.
    if proc.returncode in (0, 1) and proc.stdout.strip():
        return wall, usage, json.loads(proc.stdout), ""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    return wall, usage, None, f"exit {proc.returncode}: {lines[-1].strip() if lines else 'no output'}"


def measure_plan(project: Path, stack: str, windows: int | None, repeats: int, *extra: str) -> PlanFigures:
    """``repeats`` runs of ``mw plan --stack stack --json``; stops at the first failure and records it."""
    figures = PlanFigures(stack=stack, windows=windows, no_policy="--no-policy" in extra)
    walls, plan_rss, pack_rss = [], [], []
    for i in range(repeats):
        wall, usage, result, error = plan_once(project, stack, *extra)
        log(f"mw plan --stack {stack} {' '.join(extra)}: run {i + 1}/{repeats} {wall:.2f}s"
            + (f" FAILED {error}" if error else ""))
        if result is None:
            figures.error = error
            break  # a failure is deterministic; repeating it only costs time
        walls.append(wall)
        plan_rss.append(usage["self_hwm_kib"] / 1024)
        if not figures.no_policy and usage.get("children_hwm_kib"):
            pack_rss.append(usage["children_hwm_kib"] / 1024)
        summary = result["summary"]
        figures.resources, figures.depth = summary["resources"], summary["depth"]
        figures.mandatory, figures.advisory = summary["mandatory"], summary["advisory"]
    figures.runs = len(walls)
    figures.wall_all_s = [round(w, 3) for w in walls]
    if walls:
        figures.wall_s = median(walls)
        figures.plan_rss_mib = median(plan_rss)
        figures.pack_rss_mib = median(pack_rss) if pack_rss else None
    return figures


# ------------------------------------------------------------------------------------------------ fixed costs


def measure_floor(repeats: int) -> tuple[float, float]:
    """``python -c "import pulumi, pulumi_aws"``: median wall s, and its peak RSS in MiB (one more run, measured)."""
    command = "import pulumi, pulumi_aws"
    walls = []
    for _ in range(repeats + 1):  # the first run warms the page cache and is dropped
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", command], check=True)
        walls.append(time.perf_counter() - start)
    fd, usage_file = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        subprocess.run([sys.executable, str(BENCH / "_measure.py"), usage_file, "-c", command], check=True)
        rss = json.loads(Path(usage_file).read_text(encoding="utf-8"))["self_hwm_kib"] / 1024
    finally:
        os.unlink(usage_file)
    return median(walls[1:]), rss


def measure_pack_startup(project: Path, config: Mapping[str, Any], repeats: int) -> float:
    """``PolicyPackProcess.start``: spawn ``python -m pulumi.policy``, read its port, connect, configure."""
    from mw_engine.analyzer import PolicyPackProcess

    times = []
    for _ in range(repeats + 1):
        pack = PolicyPackProcess(project / "policies", project=PROJECT, stack="dev", config=config,
                                 policy_config=project / "policies" / "config" / "dev.json")
        start = time.perf_counter()
        try:
            pack.start()
            times.append(time.perf_counter() - start)
        finally:
            pack.close()
    return median(times[1:])


# ------------------------------------------------------------------------------------------------ overhead


@dataclass
class Overhead:
    """``run_program`` of the real program and of ``flat/``, same config, interleaved in one process."""

    windows: int
    resources_ours: int
    resources_flat: int
    ours_s: float
    flat_s: float
    ratio: float
    depth: int
    same_inputs: bool


def _normalized(run: Any) -> dict[tuple[str, str], Any]:
    """Custom resources by (type, name) with their inputs; IDs (which derive from URNs) by resource name."""
    ids = {r.id: r.name for r in run.resources if r.custom and r.id}

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            return f"<id of {ids[value]}>" if value in ids else value
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    return {(r.type, r.name): fix(r.inputs) for r in run.resources if r.custom}


def measure_overhead(project: Path, configs: Mapping[int, Mapping[str, Any]],
                     settings: Settings) -> tuple[list[Overhead], Any]:
    """Ratios per size, and the real program's last 100-window run (for the policy measurements)."""
    from mw_engine.engine import deploy_depth, run_program

    def timed(directory: Path, n: int) -> tuple[float, Any]:
        gc.collect()  # garbage from the previous run must not be collected on this one's clock
        start = time.perf_counter()
        run = run_program(directory, project=PROJECT, stack=f"bench{n}", config=configs[n])
        return time.perf_counter() - start, run

    # Warm-up: the first run of each program pays its imports, which `mw plan` figures already include.
    timed(project, 1)
    timed(FLAT, 1)
    out: list[Overhead] = []
    kept = None
    for n in settings.overhead_sizes:
        ours, flat = [], []
        run_ours = run_flat = None
        for i in range(settings.overhead_repeats):
            # Alternate which goes first, so that drift within the process hits both alike.
            pair = ((project, ours), (FLAT, flat)) if i % 2 == 0 else ((FLAT, flat), (project, ours))
            for directory, times in pair:
                seconds, run = timed(directory, n)
                times.append(seconds)
                if directory == FLAT:
                    run_flat = run
                else:
                    run_ours = run
        assert run_ours is not None and run_flat is not None
        item = Overhead(
            windows=n, resources_ours=len(run_ours.resources), resources_flat=len(run_flat.resources),
            ours_s=median(ours), flat_s=median(flat), ratio=median(ours) / median(flat),
            depth=deploy_depth(run_ours.resources), same_inputs=_normalized(run_ours) == _normalized(run_flat),
        )
        log(f"run_program {n} windows: ours {item.ours_s:.3f}s flat {item.flat_s:.3f}s ratio {item.ratio:.2f} "
            f"same inputs: {item.same_inputs}")
        out.append(item)
        if n == settings.policy_windows:
            kept = run_ours
        del run_ours, run_flat
    return out, kept


# ------------------------------------------------------------------------------------------------ policy


@dataclass
class PolicyFigures:
    """Analyze per resource (median over passes) and AnalyzeStack, for one pack."""

    pack: str
    resources: int
    analyze_ms_per_resource: float
    analyze_stack_s: float
    passes: int


def measure_pack(label: str, pack_dir: Path, run: Any, repeats: int, *, config: Mapping[str, Any] | None,
                 policy_config: Path | None) -> tuple[PolicyFigures, Any]:
    """Analyze every resource of ``run`` (as the engine does), ``repeats`` passes, then AnalyzeStack."""
    from mw_engine.analyzer import PolicyPackProcess

    resources = run.engine_resources
    per_resource, stack = [], []
    with PolicyPackProcess(pack_dir, project=PROJECT, stack=run.stack_name, config=config,
                           policy_config=policy_config) as pack:
        info = pack.info()
        for _ in range(repeats):
            start = time.perf_counter()
            for r in resources:
                pack.analyze(r, run.provider_of(r))
            per_resource.append((time.perf_counter() - start) / len(resources) * 1000)
            start = time.perf_counter()
            pack.analyze_stack(resources, stack_urn=run.stack_urn)
            stack.append(time.perf_counter() - start)
    figures = PolicyFigures(label, len(resources), median(per_resource), median(stack), repeats)
    log(f"policy {label}: {figures.analyze_ms_per_resource:.3f} ms/resource, "
        f"AnalyzeStack {figures.analyze_stack_s:.3f}s")
    return figures, info


def measure_policy(project: Path, tmp: Path, run: Any, config: Mapping[str, Any],
                   settings: Settings) -> list[PolicyFigures]:
    """The pack as ``mw plan`` runs it, then the same without the stack config, then no-op packs."""
    policy_config = project / "policies" / "config" / f"{run.stack_name}.json"
    ours, info = measure_pack("this pack, as `mw plan` runs it", project / "policies", run, settings.policy_repeats,
                              config=config, policy_config=policy_config)
    bare, _ = measure_pack("this pack, no stack config in its environment", project / "policies", run,
                           settings.reference_repeats, config=None, policy_config=policy_config)
    stock, _ = measure_pack("this pack with pulumi-policy's own servicer", stock_servicer_pack(project, tmp), run,
                            settings.reference_repeats, config=config, policy_config=policy_config)
    resource_policies = sum(1 for p in info.policies if p.policy_type == "resource")
    stack_policies = sum(1 for p in info.policies if p.policy_type == "stack")
    same = noop_pack(tmp / "noop-same", resource_policies, stack_policies)
    one = noop_pack(tmp / "noop-one", 1, 1)
    noops, _ = measure_pack(f"{resource_policies} + {stack_policies} no-op policies (pulumi-policy alone)", same,
                            run, settings.reference_repeats, config=None, policy_config=None)
    floor, _ = measure_pack("1 + 1 no-op policies (protocol floor)", one, run, settings.reference_repeats, config=None,
                            policy_config=None)
    return [ours, bare, stock, noops, floor]


@dataclass
class OverlapFigures:
    """``AnalyzeStack`` over windows in ``groups`` applications (median of ``runs``), with the overlaps reported."""

    windows: int
    groups: int
    resources: int
    analyze_stack_s: float
    overlaps: int
    runs: int


def measure_overlap(project: Path, settings: Settings) -> list[OverlapFigures]:
    """The stack rules, ``stack-window-overlap`` among them, over windows that may share instances in three ways."""
    from mw_engine.analyzer import PolicyPackProcess
    from mw_engine.engine import run_program

    out = []
    for groups in settings.overlap_groups:
        config = overlap_config(settings.overlap_windows, groups)
        stack = f"overlap{groups}"
        run = run_program(project, project=PROJECT, stack=stack, config=config)
        times, overlaps = [], 0
        with PolicyPackProcess(project / "policies", project=PROJECT, stack=stack, config=config,
                               policy_config=project / "policies" / "config" / "dev.json") as pack:
            for _ in range(settings.overlap_repeats):
                start = time.perf_counter()
                found = pack.analyze_stack(run.engine_resources, stack_urn=run.stack_urn)
                times.append(time.perf_counter() - start)
                overlaps = sum(1 for v in found if v.policy == "stack-window-overlap")
        item = OverlapFigures(settings.overlap_windows, groups, len(run.engine_resources), median(times), overlaps,
                              len(times))
        log(f"AnalyzeStack, {item.windows} windows in {groups} applications: {item.analyze_stack_s:.3f}s, "
            f"{overlaps} overlaps")
        out.append(item)
    return out


@dataclass
class ScheduleFigures:
    """One schedule search (``mw_core.schedule.openings``), median of ``runs``."""

    expression: str
    asked: str
    ms: float
    runs: int


def measure_schedules(settings: Settings) -> list[ScheduleFigures]:
    """An expression that never matches: how long the search takes to give up (tests/core only check it does)."""
    from mw_core.schedule import openings

    after = datetime(2026, 11, 1, tzinfo=UTC)
    out = []
    for asked, kwargs in (("count=1", {"count": 1}), ("days=3650", {"days": 3650})):
        times = []
        for _ in range(settings.schedule_repeats):
            start = time.perf_counter()
            openings("cron(0 0 30 2 ? *)", after=after, **kwargs)
            times.append(time.perf_counter() - start)
        out.append(ScheduleFigures("cron(0 0 30 2 ? *)", asked, median(times) * 1000, len(times)))
        log(f"never-matching schedule, {asked}: {out[-1].ms:.1f} ms")
    return out


# ------------------------------------------------------------------------------------------------ report


@dataclass
class Target:
    """A goal and what this run measured; ``met`` is None when the run did not measure it."""

    name: str
    goal: str
    measured: str
    met: bool | None

    @property
    def verdict(self) -> str:
        return "not run" if self.met is None else "PASS" if self.met else "MISS"


# ------------------------------------------------------------------------------------------------ accounts

# Issue 16: the prod stack's windows in N accounts x 4 regions, planned with the pack (prod policy config).
ACCOUNT_SIZES = (1, 10, 50)
ACCOUNT_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2")
ACCOUNT_REPEATS = {1: 3, 10: 3, 50: 2}
HOME_ACCOUNT = "123456789012"
TARGET_ACCOUNTS_S = 15.0  # 50 accounts x 4 regions, on 2 cores
TARGET_ACCOUNTS_DEPTH = 4
TARGET_FLAT_RATIO = 1.5  # per-account cost from 10 to 50 accounts vs from 1 to 10: "flat" within this factor


def accounts_config(accounts: int) -> dict[str, Any]:
    """``Pulumi.prod.yaml`` with ``accounts`` accounts (the home one first) in :data:`ACCOUNT_REGIONS` each.

    The account list is issue 16's ``maintenance-windows:accounts`` (notes/issue16-contract.md): members by
    ``id``, ``name`` and the role the deployment assumes there; the home account needs no role.
    """
    config = dict(yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text(encoding="utf-8"))["config"])
    config["aws:allowedAccountIds"] = [HOME_ACCOUNT]
    # Member accounts' service roles cannot publish to a topic under the AWS managed key alias/aws/sns (the
    # config refuses it): a customer managed key in the home account.
    config["maintenance-windows:notifications"] = {
        **config.get("maintenance-windows:notifications", {}),
        "kmsMasterKeyId": f"arn:aws:kms:us-east-1:{HOME_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
    listed: list[dict[str, Any]] = [{"id": HOME_ACCOUNT, "name": "home", "regions": list(ACCOUNT_REGIONS)}]
    for i in range(1, accounts):
        member = f"{100000000000 + i:012d}"
        listed.append({"id": member, "name": f"member-{i:02d}",
                       "roleArn": f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
                       "regions": list(ACCOUNT_REGIONS)})
    config["maintenance-windows:accounts"] = listed
    return config


@dataclass
class AccountFigures:
    """``mw plan`` (with the pack) of the prod stack in ``accounts`` accounts x ``regions`` regions."""

    accounts: int
    regions: int
    plan: PlanFigures
    placements: int | None = None  # distinct (account, region) of the plan's AWS resources
    windows: int | None = None


def add_account_stacks(project: Path, sizes: Iterable[int]) -> None:
    prod_policy = project / "policies" / "config" / "prod.json"
    for n in sizes:
        text = yaml.safe_dump({"config": accounts_config(n)}, sort_keys=False)
        (project / f"Pulumi.org{n}.yaml").write_text(text, encoding="utf-8")
        shutil.copy2(prod_policy, project / "policies" / "config" / f"org{n}.json")


def measure_accounts(project: Path, sizes: Iterable[int], repeats: Mapping[int, int]) -> list[AccountFigures]:
    out = []
    for n in sizes:
        figures = measure_plan(project, f"org{n}", None, repeats.get(n, 1))
        found = AccountFigures(n, len(ACCOUNT_REGIONS), figures)
        if figures.error is None:
            _, _, result, _ = plan_once(project, f"org{n}")
            if result is not None:
                resources = result["resources"]
                found.placements = len({(r.get("account"), r.get("region")) for r in resources if r.get("account")})
                found.windows = sum(1 for r in resources if r["type"] == "aws:ssm/maintenanceWindow:MaintenanceWindow")
        out.append(found)
    return out


def per_account_s(figures: list[AccountFigures]) -> list[tuple[int, int, float]]:
    """The marginal plan time per added account between consecutive sizes: ``[(from, to, seconds)]``."""
    done = [f for f in figures if f.plan.wall_s is not None]
    return [(a.accounts, b.accounts, (b.plan.wall_s - a.plan.wall_s) / (b.accounts - a.accounts))
            for a, b in itertools.pairwise(done) if b.accounts > a.accounts]


def account_targets(figures: list[AccountFigures]) -> list[Target]:
    by_n = {f.accounts: f for f in figures}
    largest = by_n.get(50)
    if largest is None:
        text, met = "not run", None
    elif largest.plan.wall_s is None:
        text, met = f"failed ({largest.plan.error})", False
    else:
        text, met = f"{largest.plan.wall_s:.2f} s", largest.plan.wall_s < TARGET_ACCOUNTS_S
    targets = [Target("`mw plan`, 50 accounts x 4 regions (prod windows, pack)", f"< {TARGET_ACCOUNTS_S:g} s",
                      text, met)]
    depths = [f.plan.depth for f in figures if f.plan.depth is not None]
    targets.append(Target("deploy depth, accounts", f"<= {TARGET_ACCOUNTS_DEPTH}",
                          f"max {max(depths)}" if depths else "not measured",
                          max(depths) <= TARGET_ACCOUNTS_DEPTH if depths and len(depths) == len(figures) else
                          (None if not figures else False)))
    steps = per_account_s(figures)
    if len(steps) >= 2:
        first, last = steps[0][2], steps[-1][2]
        flat = last <= TARGET_FLAT_RATIO * first
        targets.append(Target("cost per account flat", f"last step <= {TARGET_FLAT_RATIO}x first",
                              ", ".join(f"{a}->{b}: {s * 1000:.0f} ms" for a, b, s in steps), flat))
    else:
        targets.append(Target("cost per account flat", f"last step <= {TARGET_FLAT_RATIO}x first", "not measured",
                              None if not figures else False))
    return targets


def render_accounts(figures: list[AccountFigures]) -> str:
    lines = ["", f"Accounts (prod windows, {len(ACCOUNT_REGIONS)} regions each, with the pack, prod policy config):",
             f"    {'accounts':>8} {'runs':>4} {'wall s':>7} {'resources':>9} {'windows':>7} {'acct x region':>13} "
             f"{'depth':>5} {'mand':>4} {'adv':>4}  error"]
    for f in figures:
        p = f.plan
        lines.append(f"    {f.accounts:>8} {p.runs:>4} {_cell(p.wall_s, '{:.2f}'):>7} {_cell(p.resources):>9} "
                     f"{_cell(f.windows):>7} {_cell(f.placements):>13} {_cell(p.depth):>5} {_cell(p.mandatory):>4} "
                     f"{_cell(p.advisory):>4}  {p.error or ''}")
    for a, b, seconds in per_account_s(figures):
        lines.append(f"    per added account, {a} -> {b}: {seconds * 1000:.0f} ms")
    return "\n".join(lines) + "\n"


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in ("pulumi", "pulumi-aws", "pulumi-policy", "protobuf", "grpcio"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "packages": versions}


def evaluate(plans: list[PlanFigures], overhead: list[Overhead], policy: list[PolicyFigures], floor_s: float,
             startup_s: float, policy_windows: int = 100) -> list[Target]:
    by_stack = {p.stack: p for p in plans if not p.no_policy}

    def plan_time(stack: str, limit: float) -> tuple[str, bool | None]:
        p = by_stack.get(stack)
        if p is None:
            return "not run", None
        if p.wall_s is None:
            return f"failed ({p.error})", False
        return f"{p.wall_s:.2f} s", p.wall_s < limit

    targets = []
    at100 = next((o for o in overhead if o.windows == 100), None)
    targets.append(Target("program overhead vs flat, 100 windows", f"<= {TARGET_RATIO}x",
                          f"{at100.ratio:.2f}x" if at100 else "not run",
                          None if at100 is None else at100.ratio <= TARGET_RATIO))
    text, met = plan_time("bench500", TARGET_500_S)
    targets.append(Target("`mw plan`, 500 windows", f"< {TARGET_500_S:g} s", text, met))
    text, met = plan_time("bench100", TARGET_100_S)
    targets.append(Target("`mw plan`, 100 windows", f"< {TARGET_100_S:g} s", text, met))
    ms = policy[0].analyze_ms_per_resource
    # The target is defined on the 100-window stack; a smaller one (--quick) says little about it.
    at_size = policy_windows == TARGET_POLICY_WINDOWS
    targets.append(Target(f"policy pack, Analyze per resource ({TARGET_POLICY_WINDOWS} windows)",
                          f"<= {TARGET_POLICY_MS:g} ms",
                          f"{ms:.2f} ms" + ("" if at_size else f" at {policy_windows} windows"),
                          ms <= TARGET_POLICY_MS if at_size else None))
    depths = {p.stack: p.depth for p in plans if p.depth is not None}
    missing = sorted({p.stack for p in plans} - set(depths))
    worst = max(depths.values(), default=None)
    targets.append(Target("deploy depth, any size", f"<= {TARGET_DEPTH}",
                          f"max {worst}" + (f" (unknown for {', '.join(missing)})" if missing else ""),
                          worst is not None and worst <= TARGET_DEPTH and not missing))
    dev = by_stack.get("dev")
    budget = TARGET_DEV_FACTOR * (floor_s + startup_s)
    targets.append(Target("`mw plan`, dev stack", f"<= {TARGET_DEV_FACTOR}x (import floor + pack start-up) "
                                                  f"= {budget:.2f} s",
                          f"{dev.wall_s:.2f} s ({dev.wall_s / (floor_s + startup_s):.2f}x)"
                          if dev and dev.wall_s else "failed",
                          bool(dev and dev.wall_s and dev.wall_s <= budget)))
    return targets


def _cell(value: Any, fmt: str = "{}") -> str:
    return "-" if value is None else fmt.format(value)


def render(info: dict[str, Any], plans: list[PlanFigures], overhead: list[Overhead], policy: list[PolicyFigures],
           floor: tuple[float, float], startup_s: float, targets: list[Target], settings: Settings,
           overlap: Iterable[OverlapFigures] = (), schedules: Iterable[ScheduleFigures] = ()) -> str:
    pkgs = ", ".join(f"{k} {v}" for k, v in info["packages"].items() if v)
    out = [f"Machine: {info['cpu']}, {info['cores']} cores, Python {info['python']} ({info['platform']}); {pkgs}", ""]
    out += ["`mw plan --json` (fresh process per run; median wall time; peak RSS of the plan process and of the "
            "policy pack it starts):", "",
            "| stack | windows | resources | deploy depth | violations (mandatory / advisory) | runs | wall time "
            "| plan RSS | pack RSS | PULUMI_CONFIG |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for p in plans:
        name = p.stack + (" `--no-policy`" if p.no_policy else "")
        wall = _cell(p.wall_s, "{:.2f} s") if p.error is None else f"**failed**: {p.error}"
        env = _cell(p.config_env_bytes, "{:,} B")
        if p.config_env_bytes and p.config_env_bytes > MAX_ARG_STRLEN:
            env += " (> 128 KiB)"
        violations = "-" if p.mandatory is None or p.no_policy else f"{p.mandatory} / {p.advisory}"
        out.append(f"| {name} | {_cell(p.windows)} | {_cell(p.resources)} | {_cell(p.depth)} | {violations} | "
                   f"{p.runs} | {wall} | "
                   f"{_cell(p.plan_rss_mib, '{:.0f} MiB')} | {_cell(p.pack_rss_mib, '{:.0f} MiB')} | {env} |")
    out += ["", "Program under the engine stand-in (`run_program`, in-process, modules already imported; median of "
            f"{settings.overhead_repeats}, interleaved) against `benchmarks/flat` (same resources and inputs, "
            "no components, no validation):", "",
            "| windows | resources (ours / flat) | ours | flat | ratio | same inputs |",
            "| ---: | ---: | ---: | ---: | ---: | --- |"]
    for o in overhead:
        out.append(f"| {o.windows} | {o.resources_ours} / {o.resources_flat} | {o.ours_s:.3f} s | {o.flat_s:.3f} s | "
                   f"{o.ratio:.2f}x | {'yes' if o.same_inputs else '**no**'} |")
    out += ["", f"Policy pack over the {settings.policy_windows}-window stack through the analyzer protocol "
            f"({policy[0].resources} resources incl. stack and provider):", "",
            "| pack | Analyze per resource | AnalyzeStack | passes |", "| --- | ---: | ---: | ---: |"]
    for p in policy:
        out.append(f"| {p.pack} | {p.analyze_ms_per_resource:.2f} ms | {p.analyze_stack_s:.3f} s | {p.passes} |")
    overlap = list(overlap)
    if overlap:
        out += ["", "AnalyzeStack (every stack rule, `stack-window-overlap` the costly one) over windows in "
                "applications; only the windows of one application may share instances:", "",
                "| windows | applications | resources | AnalyzeStack | overlaps reported | runs |",
                "| ---: | ---: | ---: | ---: | ---: | ---: |"]
        out += [f"| {o.windows} | {o.groups} | {o.resources} | {o.analyze_stack_s:.3f} s | {o.overlaps} | {o.runs} |"
                for o in overlap]
    schedules = list(schedules)
    if schedules:
        out += ["", "| schedule search that never matches | asked | median |", "| --- | --- | ---: |"]
        out += [f"| `{x.expression}` | {x.asked} | {x.ms:.1f} ms |" for x in schedules]
    out += ["", "| fixed cost | median |", "| --- | ---: |",
            f"| `python -c \"import pulumi, pulumi_aws\"` (floor) | {floor[0]:.3f} s, {floor[1]:.0f} MiB |",
            f"| policy pack start-up (`PolicyPackProcess.start`: spawn, port line, connect, configure) | "
            f"{startup_s:.3f} s |", "",
            "| target | goal | measured | |", "| --- | --- | --- | --- |"]
    for t in targets:
        out.append(f"| {t.name} | {t.goal} | {t.measured} | {t.verdict} |")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 and 10 windows, one run each (targets on larger stacks: 'not run')")
    parser.add_argument("--accounts-only", action="store_true",
                        help="only the accounts part (issue 16): 1, 10 and 50 accounts x 4 regions of prod's windows")
    parser.add_argument("--save", nargs="?", const=RESULTS, type=Path, metavar="PATH",
                        help=f"also write every figure as JSON (default path: {RESULTS.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    began = time.perf_counter()
    info = machine()
    log(f"{info['cpu']}, {info['cores']} cores, Python {info['python']}")
    from mw_config import load_stack_file

    account_sizes = ACCOUNT_SIZES if not args.quick else (1, 10)
    account_repeats = ACCOUNT_REPEATS if not args.quick else {1: 1, 10: 1}
    if args.accounts_only:
        with tempfile.TemporaryDirectory(prefix="mw-bench-") as tmp_name:
            project = make_project(Path(tmp_name), ())
            add_account_stacks(project, account_sizes)
            plan_once(project, "dev")  # warm-up
            accounts = measure_accounts(project, account_sizes, account_repeats)
        sys.stdout.write(render_accounts(accounts))
        for t in account_targets(accounts):
            print(f"    {t.verdict:<7} {t.name}: {t.measured} (goal {t.goal})")
        print(f"\nBenchmark took {time.perf_counter() - began:.0f} s.")
        return 0

    with tempfile.TemporaryDirectory(prefix="mw-bench-") as tmp_name:
        tmp = Path(tmp_name)
        project = make_project(tmp, settings.sizes)
        configs = {n: load_stack_file(project / f"Pulumi.bench{n}.yaml") for n in settings.sizes}
        dev_config = load_stack_file(project / "Pulumi.dev.yaml")

        floor = measure_floor(settings.fixed_repeats)
        log(f"floor: {floor[0]:.3f}s {floor[1]:.0f} MiB")
        startup = measure_pack_startup(project, dev_config, settings.fixed_repeats)
        log(f"pack start-up: {startup:.3f}s")

        plan_once(project, "dev")  # warm-up: byte-compiles the pack copy, fills the page cache
        plans = [measure_plan(project, "dev", None, settings.repeats["dev"])]
        plans[0].config_env_bytes = config_env_bytes(dev_config)
        for n in settings.sizes:
            figures = measure_plan(project, f"bench{n}", n, settings.repeats[n])
            figures.config_env_bytes = config_env_bytes(configs[n])
            plans.append(figures)
            if figures.error is not None:
                # Still measure the program's side, and learn the stack's depth.
                fallback = measure_plan(project, f"bench{n}", n, min(2, settings.repeats[n]), "--no-policy")
                fallback.config_env_bytes = figures.config_env_bytes
                plans.append(fallback)

        overhead, policy_run = measure_overhead(project, configs, settings)
        policy = measure_policy(project, tmp, policy_run, configs[settings.policy_windows], settings)
        overlap = measure_overlap(project, settings)
        add_account_stacks(project, account_sizes)
        accounts = measure_accounts(project, account_sizes, account_repeats)
    schedules = measure_schedules(settings)

    targets = evaluate(plans, overhead, policy, floor[0], startup, settings.policy_windows)
    targets += account_targets(accounts)
    elapsed = time.perf_counter() - began
    sys.stdout.write(render(info, plans, overhead, policy, floor, startup, targets, settings, overlap, schedules))
    sys.stdout.write(render_accounts(accounts))
    print(f"\nBenchmark took {elapsed:.0f} s.")
    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "elapsed_s": round(elapsed, 1),
        "plan": [asdict(p) for p in plans],
        "overhead": [asdict(o) for o in overhead],
        "policy": [asdict(p) for p in policy],
        "overlap": [asdict(o) for o in overlap],
        "schedule": [asdict(x) for x in schedules],
        "accounts": [asdict(a) for a in accounts],
        "floor": {"import_s": floor[0], "import_rss_mib": floor[1], "pack_startup_s": startup},
        "targets": [{**asdict(t), "verdict": t.verdict} for t in targets],
    }
    if args.save is not None:
        args.save.write_text(json.dumps(_rounded(results), indent=2) + "\n", encoding="utf-8")
        log(f"wrote {args.save}")
    return 0


def _rounded(value: Any) -> Any:
    """Floats to 4 digits: results.json is read by people and diffed in review."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


if __name__ == "__main__":
    raise SystemExit(main())
