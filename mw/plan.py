"""``mw plan``: the real program and the real policy pack for a stack, offline.

The program runs under the engine stand-in (:mod:`mw_engine.engine`); every resource then goes to the
policy pack the way the engine sends it (:mod:`mw_engine.analyzer`): ``Configure`` from
``policies/config/<stack>.json`` when present, ``Analyze`` per resource, ``AnalyzeStack`` at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
from collections import Counter, deque
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mw_core import schedule, tokens
from mw_core.errors import MWError, ScheduleError

# mw_engine and mw_config import pulumi, pulumi-aws and grpc: about half a second. Every `mw` command imports this
# module (`mw --help`, and `mw schedule` and `mw history` for find_project), and only a plan needs them, so they
# are imported where a plan is made (plan() and Plan.depth), not here.
if TYPE_CHECKING:
    from mw_engine.engine import ProgramRun, RegisteredResource

PROJECT = "maintenance-windows"
OPENINGS_SHOWN = 3
# Below this many resources a second policy pack process costs more to start than it saves: at about
# 0.75 ms per Analyze, one pack was 0.2 s faster at 707 resources, two were 1-2 s faster at 3,507.
SECOND_PACK_FROM = 1500


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    urn: str
    message: str


@dataclass(frozen=True)
class PolicyConfigReport:
    """Which policy config a plan used, and where each rule's level came from.

    ``path`` is the config file (None without one); ``levels`` maps each rule to ``(level, source)``,
    where ``source`` is ``"config"`` when the file set the level (by name or through ``all``) and
    ``"pack default"`` otherwise.
    """

    path: str | None
    searched: str
    levels: dict[str, tuple[str, str]]

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "searched": self.searched,
                "levels": {name: {"level": level, "from": source} for name, (level, source) in self.levels.items()}}

    def summary(self) -> list[str]:
        """The lines ``mw plan`` prints about the policy config."""
        defaults = sorted(name for name, (_, source) in self.levels.items() if source == "pack default")
        counts = Counter(level for level, _ in self.levels.values())
        tally = ", ".join(f"{counts[level]} {level}" for level in _LEVELS if counts[level])
        if self.path is None:
            return [f"Policy config: none ({self.searched} does not exist); all {len(self.levels)} rules at the "
                    f"pack's default levels ({tally})"]
        set_here = len(self.levels) - len(defaults)
        lines = [f"Policy config: {self.path} ({set_here} of {len(self.levels)} rules set there; {tally})"]
        if defaults:
            lines.append(f"    at the pack's default level: {', '.join(defaults)}")
        return lines


_LEVELS = ("mandatory", "advisory", "remediate", "disabled")


@dataclass
class Plan:
    """What ``mw plan`` found for one stack."""

    stack: str
    run: ProgramRun
    violations: list[Violation] = field(default_factory=list)
    openings: dict[str, list[Any]] = field(default_factory=dict)
    policies_checked: bool = True
    policy_config: PolicyConfigReport | None = None

    @property
    def warnings(self) -> list[str]:
        """Things that are valid but probably not what the user meant."""
        if any(r.type == tokens.MAINTENANCE_WINDOW for r in self.run.resources):
            return []
        return [f"stack {self.stack!r} has no maintenance windows: only the service role and the PassRole "
                f"policy would be created (add windows under 'maintenance-windows:windows')"]

    @property
    def depth(self) -> int:
        from mw_engine.engine import deploy_depth  # see the note on imports at the top

        return deploy_depth(self.run.resources)

    def count(self, level: str) -> int:
        return sum(1 for v in self.violations if v.level == level)

    @property
    def exit_code(self) -> int:
        """0 when clean or advisory only, 1 on a mandatory violation."""
        return 1 if self.count("mandatory") else 0

    def resources(self) -> list[RegisteredResource]:
        """The stack, then the program's resources in tree order (parents first, siblings by name)."""
        children: dict[str, list[RegisteredResource]] = {}
        for r in self.run.resources:
            children.setdefault(r.parent, []).append(r)
        out = [self.run.stack]

        def walk(urn: str) -> None:
            for child in sorted(children.get(urn, []), key=lambda r: (r.custom, r.type, r.name)):
                out.append(child)
                walk(child.urn)

        walk(self.run.stack.urn)
        return out

    def to_json(self) -> dict[str, Any]:
        resources = self.resources()
        return {
            "stack": self.stack,
            "resources": [{"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent or None,
                           "provider": (r.provider_urn or None) if r.account else None,
                           "account": r.account or None, "region": r.region or None,
                           "inputs": r.inputs, "dependencies": _all_dependencies(r)} for r in resources],
            "violations": [{"policy": v.policy, "level": v.level, "urn": v.urn, "message": v.message}
                           for v in self.violations],
            "summary": {"resources": len(resources), "depth": self.depth, "mandatory": self.count("mandatory"),
                        "advisory": self.count("advisory")},
            "warnings": self.warnings,
            "policyConfig": self.policy_config.to_json() if self.policy_config is not None else None,
        }


def find_project(start: Path | None = None) -> Path:
    """The directory holding ``Pulumi.yaml``: ``start`` (default: the working directory) or a parent."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "Pulumi.yaml").is_file() and (candidate / "__main__.py").is_file():
            return candidate
    raise MWError(f"no Pulumi project here: no Pulumi.yaml with __main__.py in {here} or its parents")


def plan(stack: str, *, project_dir: Path | None = None, policy_config: Path | None = None,
         policies: bool = True, now: datetime | None = None) -> Plan:
    """Run the program for ``stack`` and, unless ``policies`` is false, the policy pack over it."""
    # See the note on imports at the top.
    from mw_config import load_stack_file
    from mw_engine.analyzer import PolicyPackProcess, load_policy_config
    from mw_engine.engine import run_program

    root = project_dir or find_project()
    config = load_stack_file(root / f"Pulumi.{stack}.yaml")
    pack_dir = root / "policies"
    searched = policy_config or root / "policies" / "config" / f"{stack}.json"
    pack_config = _policy_config(root, stack, policy_config)
    report: PolicyConfigReport | None = None
    if policies:
        def new_pack() -> PolicyPackProcess:
            return PolicyPackProcess(pack_dir, project=PROJECT, stack=stack, config=config, policy_config=pack_config)

        pack = new_pack()
        try:
            # The pack boots in its own process while the program runs here; both take a few hundred ms.
            with ThreadPoolExecutor(max_workers=1) as pool:
                started = pool.submit(pack.start)
                try:
                    run = run_program(root, project=PROJECT, stack=stack, config=config)
                except BaseException:
                    # The program's error is the one to show, not whatever the pack did meanwhile, and at once:
                    # a pack still starting is stopped rather than waited for.
                    pack.cancel()
                    with contextlib.suppress(Exception):
                        started.result()
                    raise
                started.result()
            report = _report(pack, load_policy_config(pack_config) or {}, pack_config is not None,
                             _shown(root, searched))
            found = _analyze(run, pack, new_pack)
        finally:
            pack.close()
        violations = [Violation(v.policy, v.level, v.urn, v.message) for v in found]
    else:
        run = run_program(root, project=PROJECT, stack=stack, config=config)
        violations = []
    result = Plan(stack, run, sorted(violations, key=lambda v: (v.level != "mandatory", v.policy, v.urn)),
                  policies_checked=policies, policy_config=report)
    result.openings = _openings(run, now or datetime.now(UTC))
    return result


def _analyze(run: ProgramRun, pack: Any, new_pack: Any) -> list[Any]:
    """What the engine does: Analyze every resource it tracks, then AnalyzeStack over all of them.

    pulumi-policy spends milliseconds per resource in one Python process; for a large stack a second
    pack process, started once the program has run, takes resources from the same queue on the other core.
    """
    queue = deque(run.engine_resources)
    lock = threading.Lock()
    helpers: list[Any] = []

    def drain(analyzer: Any) -> list[Any]:
        out: list[Any] = []
        while True:
            with lock:
                if not queue:
                    return out
                resource = queue.popleft()
            out += analyzer.analyze(resource, run.provider_of(resource))

    def second() -> list[Any]:
        helper = new_pack()
        helpers.append(helper)
        helper.start()
        return drain(helper)

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(drain, pack)]
            if len(queue) >= SECOND_PACK_FROM:
                futures.append(pool.submit(second))
            found = [v for future in futures for v in future.result()]
    finally:
        for helper in helpers:
            helper.close()
    return found + pack.analyze_stack(run.engine_resources, stack_urn=run.stack_urn)


def _policy_config(root: Path, stack: str, given: Path | None) -> Path | None:
    path = given or root / "policies" / "config" / f"{stack}.json"
    if not path.is_file():
        if given is not None:
            raise MWError(f"--policy-config: no such file: {given}")
        return None
    return path


def _shown(root: Path, path: Path) -> str:
    """``path`` relative to the project when it is inside it, as users wrote it."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _report(pack: Any, given: Mapping[str, Any], from_file: bool, searched: str) -> PolicyConfigReport:
    """Each rule's effective level (what the pack was configured with) and whether the file set it.

    ``given`` is the policy config file as read (``load_policy_config``), ``from_file`` whether there was one.
    """
    everything = "all" in given and given["all"].enforcement_level is not None
    levels = {}
    for name, effective in sorted(pack.effective_config.items()):
        entry = given.get(name)
        set_there = everything or (entry is not None and entry.enforcement_level is not None)
        levels[name] = (effective.enforcement_level or "advisory", "config" if set_there else "pack default")
    return PolicyConfigReport(searched if from_file else None, searched, levels)


def _openings(run: ProgramRun, now: datetime) -> dict[str, list[Any]]:
    """The next openings of each window, by window name; a schedule that cannot be read gets none."""
    out: dict[str, list[Any]] = {}
    for r in run.resources:
        if r.type != tokens.MAINTENANCE_WINDOW:
            continue
        i = r.inputs
        try:
            out[r.name] = schedule.openings(
                i["schedule"], after=now, count=OPENINGS_SHOWN, timezone=i.get("scheduleTimezone"),
                offset_days=i.get("scheduleOffset"), start_date=i.get("startDate"), end_date=i.get("endDate"),
                duration_hours=int(i.get("duration", 1)), cutoff_hours=int(i.get("cutoff", 0)))
        except (ScheduleError, KeyError, TypeError, ValueError):
            out[r.name] = []
    return out


def _all_dependencies(r: RegisteredResource) -> list[str]:
    found = dict.fromkeys(r.dependencies)
    for urns in r.property_dependencies.values():
        found.update(dict.fromkeys(urns))
    return sorted(found)


# ------------------------------------------------------------------------------------------------ text


def _groups(resources: list[RegisteredResource]) -> list[tuple[str, list[RegisteredResource]]]:
    """The tree split by account and region: ``[(header, resources)]``, one group when there is one placement.

    An AWS resource belongs to its own account and region; a component to those of its AWS descendants (it is
    shown in each group it has some in), the stack to every group. What has none (providers, components without
    AWS resources) comes first, under "Stack-wide". Within a group the order is the tree's.
    """
    where: dict[str, set[tuple[str, str]]] = {r.urn: {(r.account, r.region)} if r.account else set()
                                              for r in resources}
    by_urn = {r.urn: r for r in resources}
    for r in resources:
        if r.account:
            for ancestor in _ancestors(r, by_urn):
                where[ancestor.urn].add((r.account, r.region))
    placements = list(dict.fromkeys((r.account, r.region) for r in resources if r.account))
    if len(placements) <= 1:
        return [("", resources)]
    placements.sort()
    root = resources[0]
    groups = []
    unplaced = [r for r in resources[1:] if not where[r.urn]]
    if unplaced:
        groups.append(("Stack-wide (providers and components without AWS resources):", [root, *unplaced]))
    for account, region in placements:
        members = [r for r in resources[1:] if (account, region) in where[r.urn]]
        groups.append((f"Account {account}, region {region}:", [root, *members]))
    return groups


def render(result: Plan) -> str:
    """The plan as a ``pulumi preview`` user expects to read it; grouped by account and region when the stack
    has more than one."""
    resources = result.resources()
    groups = _groups(resources)
    shown_by_group = []
    for _, members in groups:
        by_urn = {r.urn: r for r in members}
        shown_by_group.append([_tree_prefix(r, by_urn, members) + _display_type(r.type) for r in members])
    # As wide as the longest type in the tree (at least 50), so that names line up and nothing overflows.
    width = max([50, *(len(c) + 1 for column in shown_by_group for c in column)])
    lines = [f"Previewing stack '{result.stack}' offline (engine stand-in; nothing is deployed)"]
    all_by_urn = {r.urn: r for r in resources}
    for (header, members), column in zip(groups, shown_by_group, strict=True):
        by_urn = {r.urn: r for r in members}
        lines.append("")
        if header:
            lines.append(header)
        lines.append(f"     {'Type':<{width}} Name")
        for r, shown in zip(members, column, strict=True):
            lines.append(f" +   {shown:<{width}} {r.name}")
            for detail in _details(r, all_by_urn):
                lines.append(f"     {_continuation(r, by_urn, members)}    {detail}")
    by_urn = all_by_urn
    lines += ["", "Resources:", f"    + {len(resources)} to create", "",
              f"Deploy depth: {result.depth} (resources in one layer are created in parallel)"]
    if result.openings:
        lines += ["", f"Next {OPENINGS_SHOWN} openings:"]
        for name, openings in sorted(result.openings.items()):
            lines.append(f"    {name}:")
            if not openings:
                lines.append("        none")
            for o in openings:
                lines.append(f"        {o.opens.isoformat()}  stops starting tasks {o.stops_starting.isoformat()}"
                             f"  closes {o.closes.isoformat()}")
    lines.append("")
    lines.extend(f"warning: {w}" for w in result.warnings)
    if result.policy_config is not None:
        lines.extend(result.policy_config.summary())
    if not result.policies_checked:
        lines.append("Policies: not checked (--no-policy)")
    elif not result.violations:
        lines.append("Policies: no violations")
    for level in ("mandatory", "advisory"):
        found = [v for v in result.violations if v.level == level]
        if not found:
            continue
        lines.append(f"Policy violations, {level} ({len(found)}):")
        for v in found:
            # A default provider is not in the tree: name it by the last part of its URN.
            where = by_urn[v.urn].name if v.urn in by_urn else (v.urn.rsplit("::", 1)[-1] if v.urn else "stack")
            lines.append(f"    [{v.policy}] {where}")
            lines.extend(f"        {line}" for line in v.message.splitlines())
    return "\n".join(lines) + "\n"


def _display_type(token: str) -> str:
    """``aws:iam/role:Role`` is shown as ``aws:iam:Role``, as the Pulumi CLI does."""
    parts = token.split(":")
    if len(parts) == 3 and "/" in parts[1]:
        return f"{parts[0]}:{parts[1].split('/')[0]}:{parts[2]}"
    return token


def _ancestors(r: RegisteredResource, by_urn: Mapping[str, RegisteredResource]) -> list[RegisteredResource]:
    out = []
    while r.parent and r.parent in by_urn:
        r = by_urn[r.parent]
        out.append(r)
    return out


def _is_last(r: RegisteredResource, resources: list[RegisteredResource]) -> bool:
    siblings = [s for s in resources if s.parent == r.parent and s.parent]
    return bool(siblings) and siblings[-1] is r


def _tree_prefix(r: RegisteredResource, by_urn: Mapping[str, RegisteredResource],
                 resources: list[RegisteredResource]) -> str:
    if not r.parent:
        return ""
    ancestors = _ancestors(r, by_urn)[:-1]  # the stack draws no bar
    bars = "".join("   " if _is_last(a, resources) else "│  " for a in reversed(ancestors))
    return bars + ("└─ " if _is_last(r, resources) else "├─ ")


def _continuation(r: RegisteredResource, by_urn: Mapping[str, RegisteredResource],
                  resources: list[RegisteredResource]) -> str:
    ancestors = _ancestors(r, by_urn)[:-1]
    return "".join("   " if _is_last(a, resources) else "│  " for a in reversed([r, *ancestors]))


def _details(r: RegisteredResource, by_urn: Mapping[str, RegisteredResource]) -> list[str]:
    """The key inputs of windows, targets and tasks."""
    i = r.inputs
    if r.type == tokens.MAINTENANCE_WINDOW:
        parts = [f"schedule={i.get('schedule')}"]
        parts += [f"{k}={i[k]}" for k in ("scheduleTimezone", "scheduleOffset", "startDate", "endDate") if k in i]
        parts += [f"duration={i.get('duration')}h", f"cutoff={i.get('cutoff', 0)}h",
                  f"allowUnassociatedTargets={str(i.get('allowUnassociatedTargets', False)).lower()}"]
        return [" ".join(parts)]
    if r.type == tokens.MAINTENANCE_WINDOW_TARGET:
        return [f"{i.get('resourceType')}: " + " AND ".join(_condition(t) for t in i.get("targets", []))]
    if r.type == tokens.MAINTENANCE_WINDOW_TASK:
        names = {t.id: t.inputs.get("name", t.name) for t in by_urn.values()
                 if t.type == tokens.MAINTENANCE_WINDOW_TARGET}
        targets = [", ".join(names.get(v, v) for v in t.get("values", [])) for t in i.get("targets", []) or []]
        parts = [f"{i.get('taskType')} {i.get('taskArn')}", f"priority={i.get('priority', 1)}"]
        if targets:
            parts.append(f"targets=[{'; '.join(targets)}]")
        parts += [f"{k}={i[k]}" for k in ("maxConcurrency", "maxErrors", "cutoffBehavior") if k in i]
        return [" ".join(parts)]
    return []


def _condition(target: Mapping[str, Any]) -> str:
    key, values = target.get("key", ""), target.get("values", [])
    shown = values[0] if len(values) == 1 else "(" + " OR ".join(values) + ")"
    return f"{key.removeprefix('tag:')}={shown}" if key.startswith("tag:") else f"{key}={shown}"


# ------------------------------------------------------------------------------------------------ command


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``mw plan`` to the ``mw`` command."""
    parser = commands.add_parser("plan", help="what a stack would create, and whether it passes policy (offline)",
                                 description="Run the program and the policy pack for a stack, offline.")
    parser.add_argument("--stack", default="dev", help="stack name: reads Pulumi.<stack>.yaml (default: dev)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the preview")
    parser.add_argument("--policy-config", type=Path, metavar="PATH",
                        help="policy pack config (default: policies/config/<stack>.json when present)")
    parser.add_argument("--no-policy", action="store_true", help="skip the policy pack")
    parser.add_argument("--project-dir", type=Path, metavar="DIR",
                        help="the Pulumi project (default: the working directory or a parent with Pulumi.yaml)")
    parser.set_defaults(handler=_command)


def _command(args: argparse.Namespace) -> int:
    root = find_project(args.project_dir)
    result = plan(args.stack, project_dir=root, policy_config=args.policy_config, policies=not args.no_policy)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, default=str))
    else:
        sys.stdout.write(render(result))
    return result.exit_code
