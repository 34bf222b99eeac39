"""``mw targets``: which instances each window target of a stack will touch, found before the window runs.

Each target is resolved the way Systems Manager resolves it, in the account and region where the window lives (a
member account of ``maintenance-windows:accounts`` through its roleArn, :meth:`mw._aws.Clients.for_role`):

- tags (``tags``, ``tagKeys``): EC2 DescribeInstances with one ``tag:<key>`` filter per key (values literal) and
  the tag keys; every key must be there, as SSM ANDs them;
- instance IDs: EC2 DescribeInstances with the ``instance-id`` filter; ``mi-`` nodes through SSM only;
- a resource group: Resource Groups ListGroupResources, with the target's resource types as the filter.

Then SSM DescribeInstanceInformation says which of them Systems Manager manages (PingStatus, platform, agent).
See docs/targets.md for what each problem means and what AWS does with such an instance.

Exit status: 0 when no target has a problem, 1 when one has, 2 on errors (bad config or arguments, no credentials
or region, access denied naming the IAM action, throttling after retries, an unreadable reply).

``--json`` prints ``{"stack", "targets": [{"account", "region", "window", "target", "instances": [{"instanceId",
"name", "state", "managed", "pingStatus", "platform", "platformName", "agentVersion"}], "problems": [str]}],
"summary": {"targets", "instances", "problems"}}``. ``state`` is EC2's (null for ``mi-`` nodes); ``platform``
is SSM's PlatformType (Linux, Windows, MacOS), else ``Windows`` when EC2 says so, else null; ``managed`` is null
for a stopped instance, which SSM's DescribeInstanceInformation does not describe.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from mw._aws import (
    DEFAULT_ATTEMPTS,
    DEFAULT_TIMEOUT,
    MAX_TIMEOUT,
    TIMEOUT_ENV,
    Clients,
    ClientsFactory,
    aws_errors,
    check_region,
    default_clients,
    parse_timeout_arg,
)
from mw.plan import find_project
from mw_core.errors import MWError

# The platforms of AWS's documents (DescribeDocument's PlatformTypes; see docs/targets.md for the sources). For any
# other document the platforms are not known here, and no platform problem is reported.
DOCUMENT_PLATFORMS: dict[str, frozenset[str]] = {
    "AWS-RunPatchBaseline": frozenset({"Linux", "MacOS", "Windows"}),
    "AWS-RunShellScript": frozenset({"Linux", "MacOS"}),
    "AWS-RunPowerShellScript": frozenset({"Linux", "Windows"}),
}
NOT_RUNNING = ("stopping", "stopped", "shutting-down")

TAGS, IDS, GROUP = "tags", "instance IDs", "resource group"


@dataclass(frozen=True)
class Scope:
    """Where windows live: an account (None: the credentials' own) and a region (None: the SDK's default)."""

    account: str | None
    region: str | None
    windows: tuple[Any, ...]  # MaintenanceWindowArgs
    role_arn: str | None = None  # a member account's roleArn, assumed to reach it


@dataclass
class Found:
    """One target resolved: its mode, the IDs it selects in order, the EC2 instances among them."""

    mode: str
    ids: list[str] = field(default_factory=list)
    ec2: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def register(commands: argparse._SubParsersAction, clients: ClientsFactory | None = None) -> None:
    """Add ``mw targets``; ``clients`` replaces the SDK's clients in tests."""
    parser = commands.add_parser(
        "targets", help="which instances each window target will touch, and why some will not run (calls AWS)",
        description="Resolve each window target of the stack as Systems Manager would, and report targets that "
                    "match nothing, instances that are not running, not managed by SSM or of a platform a task's "
                    "document does not support. Exit 0: no problems; 1: problems; 2: errors.")
    parser.add_argument("--stack", default="dev", help="the stack whose Pulumi.<stack>.yaml to read (default: dev)")
    parser.add_argument("--project-dir", type=Path, metavar="DIR",
                        help="the Pulumi project (default: the working directory or a parent with Pulumi.yaml)")
    parser.add_argument("--region", metavar="REGION",
                        help="only this region (default: every region the stack deploys windows to)")
    parser.add_argument("--profile", metavar="PROFILE", help="AWS profile (default: AWS_PROFILE)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--timeout", type=parse_timeout_arg, metavar="SECONDS",
                        help=f"seconds to wait for AWS to connect, then to answer, per attempt (default: "
                             f"{TIMEOUT_ENV}, else {DEFAULT_TIMEOUT:g}; at most {MAX_TIMEOUT:g}); {DEFAULT_ATTEMPTS} "
                             "attempts per call unless AWS_MAX_ATTEMPTS says otherwise")
    parser.set_defaults(handler=partial(_command, clients or default_clients))


def _command(factory: ClientsFactory, args: argparse.Namespace) -> int:
    clients = factory(args.region, args.profile, args.timeout)  # checks --region and the timeout first
    scopes = stack_scopes(args.stack, args.project_dir, args.region)
    with aws_errors(clients):
        result = resolve(clients, args.stack, scopes)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        sys.stdout.write(render(result))
    return 1 if result["summary"]["problems"] else 0


# --- what to resolve ---------------------------------------------------------------------------------------


def stack_scopes(stack: str, project_dir: Path | None, only_region: str | None) -> list[Scope]:
    """The (account, region, windows) the stack deploys, from ``Pulumi.<stack>.yaml``; ``only_region`` narrows."""
    # mw_config imports the components, and so pulumi: only a run needs it, not `mw --help`.
    from mw_config import load_stack_file, parse_stack

    path = find_project(project_dir) / f"Pulumi.{stack}.yaml"
    config = load_stack_file(path)
    parsed = parse_stack(config, source=str(path), stack=stack)
    provider = config.get("aws:region")
    default = check_region(provider, f"{path}: aws:region") if isinstance(provider, str) and provider else None
    if not parsed.windows:
        raise MWError(f"{path} has no windows (maintenance-windows:windows) to resolve targets of")
    if parsed.accounts:
        places = [(a.id, a.role_arn if a.id != parsed.home_account else None, a.regions,
                   tuple(w for w in parsed.windows if w.name in a.windows)) for a in parsed.accounts]
    else:
        places = [(parsed.home_account, None, parsed.regions or (None,), parsed.windows)]
    scopes = [Scope(account, region, windows, role)
              for account, role, regions, windows in places
              for region in dict.fromkeys(r or default for r in regions)]
    if only_region:
        every = list(dict.fromkeys(str(s.region) for s in scopes))
        scopes = [Scope(s.account, only_region, s.windows, s.role_arn) for s in scopes
                  if s.region in (only_region, None)]
        if not scopes:
            raise MWError(f"{path} deploys no window to --region {only_region}; its regions: {', '.join(every)}")
    return scopes


# --- resolving ---------------------------------------------------------------------------------------------


def resolve(clients: Clients, stack: str, scopes: Sequence[Scope]) -> dict[str, Any]:
    """Every target of every window in ``scopes``, with its instances and problems."""
    from mw import _targets_aws as aws

    entries: list[dict[str, Any]] = []
    for scope in scopes:
        reach = _clients_for(clients, scope)
        ec2, ssm = reach.client("ec2", scope.region), reach.client("ssm", scope.region)
        region = scope.region or ec2.meta.region_name
        found: list[tuple[Any, Any, Found]] = []
        for window in scope.windows:
            for target in window.targets:
                found.append((window, target, _find(reach, scope.region, target)))
        ids = [i for _, _, f in found for i in f.ids]
        nodes = aws.managed_nodes(ssm, ids) if ids else {}
        for window, target, result in found:
            instances = [_instance(i, result.ec2.get(i), nodes.get(i)) for i in result.ids]
            problems = result.problems + _problems(window, target, result, instances, region)
            entries.append({"account": scope.account, "region": region, "window": window.name,
                            "target": target.name, "instances": instances, "problems": problems})
    return {"stack": stack, "targets": entries,
            "summary": {"targets": len(entries), "instances": sum(len(e["instances"]) for e in entries),
                        "problems": sum(len(e["problems"]) for e in entries)}}


def _clients_for(clients: Clients, scope: Scope) -> Clients:
    """The run's clients, or, for a member account, clients of its roleArn (STS AssumeRole, through mw._aws)."""
    if scope.role_arn is None:
        return clients
    for_role = getattr(clients, "for_role", None)
    if not callable(for_role):
        raise MWError(f"account {scope.account} is reached by assuming {scope.role_arn}, which this mw cannot do")
    reached: Clients = for_role(scope.role_arn, scope.region, session_name="mw-targets")
    return reached


def _find(clients: Clients, region: str | None, target: Any) -> Found:
    from mw import _targets_aws as aws

    ec2 = clients.client("ec2", region)
    if target.resource_group is not None:
        group = target.resource_group
        ids, problems = aws.group_members(clients.client("resource-groups", region), group.name,
                                          group.resource_types)
        ec2_ids = [i for i in ids if i.startswith("i-")]
        return Found(GROUP, ids, aws.instances_by_id(ec2, ec2_ids) if ec2_ids else {}, problems)
    if target.instance_ids:
        ids = list(dict.fromkeys(target.instance_ids))
        ec2_ids = [i for i in ids if i.startswith("i-")]
        return Found(IDS, ids, aws.instances_by_id(ec2, ec2_ids) if ec2_ids else {})
    tagged = aws.tagged_instances(ec2, target.tags, target.tag_keys)
    return Found(TAGS, [i["InstanceId"] for i in tagged], {i["InstanceId"]: i for i in tagged})


def _instance(instance_id: str, ec2: Mapping[str, Any] | None, node: Mapping[str, Any] | None) -> dict[str, Any]:
    tags = {t.get("Key"): t.get("Value") for t in (ec2 or {}).get("Tags") or []}
    platform = (node or {}).get("PlatformType") or ("Windows" if (ec2 or {}).get("Platform") == "windows" else None)
    state = ((ec2 or {}).get("State") or {}).get("Name")
    # DescribeInstanceInformation "does not return information for nodes that are either Stopped or Terminated":
    # whether a stopped instance is managed is not known.
    managed = True if node is not None else (None if state in NOT_RUNNING else False)
    return {"instanceId": instance_id, "name": tags.get("Name") or (node or {}).get("Name") or None,
            "state": state, "managed": managed,
            "pingStatus": (node or {}).get("PingStatus"), "platform": platform,
            "platformName": (node or {}).get("PlatformName"), "agentVersion": (node or {}).get("AgentVersion")}


def _problems(window: Any, target: Any, found: Found, instances: list[dict[str, Any]], region: str) -> list[str]:
    by_id = found.mode == IDS
    if not instances and found.mode != IDS:
        what = "EC2 instance with these tags" if found.mode == TAGS else "EC2 instance or managed node"
        return [f"matches no {what} in {region}: the window's tasks will run on nothing here (Run Command says "
                "No Instances In Tag)"]
    out = []
    for i in instances:
        iid, state = i["instanceId"], i["state"]
        if i["state"] is None and not i["managed"]:
            out.append(f"{iid} does not exist in {region} (EC2 and Systems Manager do not know it): the task "
                       "invocation fails (InvalidInstanceId)")
        elif state in NOT_RUNNING:
            if state == "shutting-down":
                out.append(f"{iid} is shutting down: it will be gone; a command sent to it fails (InvalidInstanceId)")
            elif by_id:
                out.append(f"{iid} is {state}: the command cannot be delivered; it waits (Delayed) and ends Delivery "
                           "Timed Out unless the instance is started within the task's timeout")
            else:
                out.append(f"{iid} is {state}: the window's tasks will not run on it unless it is started before "
                           "the task's timeout runs out")
        elif not i["managed"]:
            out.append(f"{iid} is not managed by Systems Manager (no SSM Agent registered: agent, instance profile "
                       "or network): " + ("the task invocation fails (InvalidInstanceId)" if by_id else
                                          "the window skips it, as targets resolve to managed nodes only"))
        elif i["pingStatus"] != "Online":
            out.append(f"{iid} has PingStatus {i['pingStatus']}: the command waits and ends Delivery Timed Out "
                       "unless the agent reconnects within the task's timeout")
    out += _platform_problems(window, target, instances, by_id)
    return out


def _platform_problems(window: Any, target: Any, instances: list[dict[str, Any]], by_id: bool) -> list[str]:
    out = []
    for task in window.tasks:
        if task.type != "RUN_COMMAND" or target.name not in task.targets:
            continue
        supported = DOCUMENT_PLATFORMS.get(task.document or "")
        if supported is None:
            continue
        wrong = [i for i in instances if i["managed"] and i["platform"] and i["platform"] not in supported]
        if wrong:
            listed = ", ".join(f"{i['instanceId']} ({i['platform']})" for i in wrong)
            outcome = ("the invocation fails (UnsupportedPlatformType)" if by_id
                       else "their invocations end Invalid Platform")
            out.append(f"task {task.name} runs {task.document}, which supports {', '.join(sorted(supported))} "
                       f"only; not {listed}: {outcome}")
    return out


# --- text --------------------------------------------------------------------------------------------------


def render(result: Mapping[str, Any]) -> str:
    """Per window and target: its instances as a table, then its problems; a summary line last."""
    lines = [f"stack {result['stack']}"]
    for entry in result["targets"]:
        where = ", ".join(str(x) for x in (entry["account"], entry["region"]) if x)
        count = len(entry["instances"])
        lines += ["", f"{entry['window']} / {entry['target']} ({where}): {count} instance{'s' if count != 1 else ''}"]
        rows = [("INSTANCE", "NAME", "STATE", "SSM", "PLATFORM")] + [
            (i["instanceId"], i["name"] or "-", i["state"] or "-",
             (i["pingStatus"] or "managed") if i["managed"] else "-" if i["managed"] is None else "not managed",
             " ".join(x for x in (i["platform"] or "-", f"({i['platformName']})" if i["platformName"] else "",
                                  f"agent {i['agentVersion']}" if i["agentVersion"] else "") if x))
            for i in entry["instances"]]
        if entry["instances"]:
            widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]) - 1)]
            lines += ["  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)) + "  " + r[-1]
                      for r in rows]
        lines += [f"  problem: {p}" for p in entry["problems"]]
    summary = result["summary"]
    lines += ["", f"{summary['targets']} targets, {summary['instances']} instances, {summary['problems']} problems"]
    return "\n".join(lines) + "\n"
