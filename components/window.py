"""The maintenance window component: the window, its targets and its tasks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from mw_components.checks import Context, checks, field_problems, limited, rule, under
from mw_components.iam_policy import IAM_ROLE, arn_of
from mw_components.target import TargetArgs
from mw_components.task import TaskArgs

from mw_core import limits, schedule
from mw_core.errors import ConfigError, Problem, ScheduleError
from mw_core.problems import nest, tag_problems

WINDOW_TYPE = "maintenance-windows:ssm:MaintenanceWindow"


def schedule_problem(expression: str) -> str | None:
    """Why AWS would refuse a ``cron(...)``, ``rate(...)`` or ``at(...)`` expression, naming the field."""
    try:
        schedule.parse(expression)
    except ScheduleError as err:
        return f"{err.field} {err.value!r} is not valid in {err.expression!r} (allowed: {err.allowed})"
    return None


def timezone_problem(name: str) -> str | None:
    """Why ``name`` is not an IANA time zone AWS takes."""
    try:
        schedule.validate_timezone(name)
    except ScheduleError as err:
        return f"{err.value!r} is not an IANA time zone (allowed: {err.allowed})"
    return None


def timestamp_problem(value: str) -> str | None:
    """Why ``value`` is not an ISO-8601 timestamp in the calendar AWS schedules in."""
    try:
        schedule.parse_timestamp(value, "date")
    except schedule.ScheduleRangeError as err:
        return f"{limits.describe_value(value)} is out of range (allowed: {err.allowed})"
    except ScheduleError as err:
        return f"{value!r} is not an ISO-8601 timestamp (allowed: {err.allowed})"
    return None


def cutoff_problems(cutoff: int, context: Context) -> list[Problem]:
    """The cutoff must leave time to start tasks: less than the window's ``duration``."""
    duration = limits.whole(context.fields.get("duration"))
    if duration is None or limits.whole(cutoff) is None or duration < limits.WINDOW_DURATION_HOURS.min:
        return []
    if cutoff >= duration:
        return [Problem("", f"{cutoff} must be less than `duration` ({duration}): the window would stop starting "
                            "tasks before it opens")]
    return []


def offset_problems(offset: int, context: Context) -> list[Problem]:
    """AWS offsets cron schedules only."""
    expression = context.fields.get("schedule")
    if not isinstance(expression, str) or schedule_problem(expression) is not None:
        return []
    kind = schedule.parse(expression).kind
    if kind != "cron":
        return [Problem("", f"{offset} is only allowed with a cron() schedule, not {kind}()")]
    return []


def end_date_problems(end: str, context: Context) -> list[Problem]:
    """The window's active period must not be empty: ``end_date`` after ``start_date``."""
    start = context.fields.get("start_date")
    if not isinstance(start, str) or timestamp_problem(start) or timestamp_problem(end):
        return []
    if schedule.parse_timestamp(start, "start_date") >= schedule.parse_timestamp(end, "end_date"):
        return [Problem("", f"{end!r} must be after `start_date` {start!r}")]
    return []


def duplicate_name_problems(names: Sequence[object], kind: str) -> list[Problem]:
    """``[index].name`` of each item whose name an earlier item already has (``kind``: target, task)."""
    out: list[Problem] = []
    for index, name in enumerate(names):
        if isinstance(name, str) and name in names[:index]:
            out.append(Problem(f"[{index}].name", f"{name!r} is already used by another {kind}"))
    return out


def task_reference_problems(targets: Sequence[object], has_instance_ids: bool, window_targets: Sequence[str],
                            allow_unregistered: bool) -> list[Problem]:
    """A task's ``targets`` must be its window's; naming instances needs ``allow_unregistered_targets``.
    Paths are relative to the task; a target that is no text is not compared (its type is the problem)."""
    out: list[Problem] = []
    known = ", ".join(dict.fromkeys(window_targets)) if window_targets else "none"
    for index, target in enumerate(targets):
        if isinstance(target, str) and target not in window_targets:
            out.append(Problem(f"targets[{index}]", f"{target!r} is not a target of this window "
                                                    f"(its targets: {known})"))
    if has_instance_ids and not allow_unregistered:
        out.append(Problem("instance_ids", "a task can name unregistered instances only in a window with "
                                           "`allow_unregistered_targets`: true (or register them as a target)"))
    return out


@dataclass(frozen=True)
class MaintenanceWindowArgs:
    """A maintenance window (``CreateMaintenanceWindow``) with its targets and tasks.

    :param schedule: ``cron(...)``, ``rate(...)`` or ``at(...)`` as AWS takes it.
    :param duration: hours the window stays open, 1 to 24.
    :param cutoff: hours before the end when no new task starts, less than ``duration``.
        Default: 0 (tasks may start until the window closes).
    :param name: Default: the component's name.
    :param description: Default: none.
    :param schedule_timezone: IANA zone the schedule is read in. Default: UTC.
    :param schedule_offset: days after each cron match to open, 1 to 6 (cron only). Default: none.
    :param start_date: ISO-8601; the window is inactive before it. Default: active from creation.
    :param end_date: ISO-8601, after ``start_date``; the window is inactive after it. Default: no end.
    :param allow_unregistered_targets: let tasks name instances that are not registered targets.
        Default: false (tasks run only on registered targets).
    :param enabled: Default: true.
    :param tags: Default: none.
    :param targets: the window's targets, names unique. Default: none.
    :param tasks: the window's tasks, names unique; their ``targets`` name the window's targets.
        Default: none.
    :param service_role_arn: the role tasks run with unless they name their own; required when a
        task has no ``service_role_arn``.
    :param region: Default: the provider's region.
    :param allow_wildcards: let the ARNs tasks turn into grants (``function_arn``, ``state_machine_arn``,
        ``notifications.topic_arn``) hold wildcards, leaving how far they reach to the policy pack's
        ``iam-resource-scope`` rule. Default: false (a wildcard is a problem). Role ARNs never take one.
    """

    schedule: str = field(metadata=checks(limited(limits.WINDOW_SCHEDULE), rule(schedule_problem)))
    duration: int = field(metadata=checks(limited(limits.WINDOW_DURATION_HOURS)))
    cutoff: int = field(default=0, metadata=checks(limited(limits.WINDOW_CUTOFF), cutoff_problems))
    name: str | None = field(default=None, metadata=checks(limited(limits.WINDOW_NAME)))
    description: str | None = field(default=None, metadata=checks(limited(limits.WINDOW_DESCRIPTION)))
    schedule_timezone: str | None = field(default=None, metadata=checks(rule(timezone_problem)))
    schedule_offset: int | None = field(default=None, metadata=checks(limited(limits.WINDOW_OFFSET), offset_problems))
    start_date: str | None = field(default=None, metadata=checks(rule(timestamp_problem)))
    end_date: str | None = field(default=None, metadata=checks(rule(timestamp_problem), end_date_problems))
    allow_unregistered_targets: bool = False
    enabled: bool = True
    tags: Mapping[str, str] = field(default_factory=dict, metadata=checks(lambda tags, context: tag_problems(tags)))
    targets: tuple[TargetArgs, ...] = ()
    tasks: tuple[TaskArgs, ...] = ()
    service_role_arn: pulumi.Input[str] | None = field(default=None, metadata=checks(arn_of(IAM_ROLE)))
    region: str | None = None
    allow_wildcards: bool = False

    def problems(self) -> list[Problem]:
        """Every value AWS would reject, with paths relative to the window (``tasks[0].targets[0]``)."""
        out = field_problems(self, allow_wildcards=self.allow_wildcards) + self.rules()
        for index, target in enumerate(self.targets):
            out += nest(f"targets[{index}]", target.problems())
        for index, task in enumerate(self.tasks):
            out += nest(f"tasks[{index}]", task.problems(allow_wildcards=self.allow_wildcards))
        return out

    def rules(self) -> list[Problem]:
        """The rules across its targets and tasks: unique names, tasks naming the window's targets (and instances
        only when it allows unregistered targets)."""
        out: list[Problem] = []
        names = [t.name for t in self.targets]
        out += [under("targets", p) for p in duplicate_name_problems(names, "target")]
        for index, task in enumerate(self.tasks):
            found = task_reference_problems(task.targets, bool(task.instance_ids), names,
                                            self.allow_unregistered_targets)
            out += nest(f"tasks[{index}]", found)
        out += [under("tasks", p) for p in duplicate_name_problems([t.name for t in self.tasks], "task")]
        return out


class MaintenanceWindow(pulumi.ComponentResource):
    """A maintenance window with its registered targets and tasks.

    Creates an ``aws.ssm.MaintenanceWindow``, one ``aws.ssm.MaintenanceWindowTarget`` per target and
    one ``aws.ssm.MaintenanceWindowTask`` per task, all children of this component. Child names are
    ``<name>`` for the window and ``<name>-<target or task name>``; changing a name replaces the
    resource.

    Example::

        MaintenanceWindow("PatchWebServers", MaintenanceWindowArgs(
            schedule="cron(0 2 ? * * *)", duration=3, cutoff=1, service_role_arn=role.arn,
            targets=(TargetArgs("WebServers", tags={"Role": ("Web",)}),),
            tasks=(TaskArgs("Patch", RUN_COMMAND, document="AWS-RunPatchBaseline",
                            targets=("WebServers",), parameters={"Operation": ("Install",)}),)))

    Outputs: ``window_id``, ``target_ids`` and ``task_ids`` (by target and task name).
    """

    window_id: pulumi.Output[str]
    target_ids: dict[str, pulumi.Output[str]]
    task_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: MaintenanceWindowArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = args.problems()
        problems += _missing_inputs(args)
        ConfigError.check(problems, f"maintenance window {name!r}")
        super().__init__(WINDOW_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        window_name = args.name or name
        self.window = aws.ssm.MaintenanceWindow(
            name,
            name=window_name,
            description=args.description,
            schedule=args.schedule,
            schedule_timezone=args.schedule_timezone,
            schedule_offset=args.schedule_offset,
            start_date=args.start_date,
            end_date=args.end_date,
            duration=args.duration,
            cutoff=args.cutoff,
            allow_unassociated_targets=args.allow_unregistered_targets,
            enabled=args.enabled,
            tags=dict(args.tags) or None,
            region=args.region,
            opts=child,
        )
        self.window_id = self.window.id
        targets: dict[str, aws.ssm.MaintenanceWindowTarget] = {}
        for target in args.targets:
            targets[target.name] = aws.ssm.MaintenanceWindowTarget(
                f"{name}-{target.name}",
                window_id=self.window.id,
                name=target.name,
                description=target.description,
                owner_information=target.owner_information,
                resource_type=target.resource_type,
                targets=target.wire_targets(),
                region=args.region,
                opts=child,
            )
        tasks: dict[str, aws.ssm.MaintenanceWindowTask] = {}
        for task in args.tasks:
            role_arn = task.service_role_arn or args.service_role_arn
            if task.targets:
                task_targets = [{"key": "WindowTargetIds", "values": [targets[t].id for t in task.targets]}]
            elif task.instance_ids:
                task_targets = [{"key": "InstanceIds", "values": list(task.instance_ids)}]
            else:
                task_targets = None
            max_concurrency, max_errors = task.rate_control()
            tasks[task.name] = aws.ssm.MaintenanceWindowTask(
                f"{name}-{task.name}",
                window_id=self.window.id,
                name=task.name,
                description=task.description,
                task_type=task.type,
                task_arn=task.task_arn,
                priority=task.priority,
                targets=task_targets,
                max_concurrency=max_concurrency,
                max_errors=max_errors,
                cutoff_behavior=task.cutoff_behavior,
                service_role_arn=role_arn,
                task_invocation_parameters=task.invocation_parameters(window_name, role_arn),
                region=args.region,
                opts=child,
            )
        self.target_ids = {k: v.id for k, v in targets.items()}
        self.task_ids = {k: v.id for k, v in tasks.items()}
        self.register_outputs({"windowId": self.window_id, "targetIds": self.target_ids, "taskIds": self.task_ids})


def _missing_inputs(args: MaintenanceWindowArgs) -> list[Problem]:
    """References the program fills in from the stack (role, bucket, topic), still missing."""
    out: list[Problem] = []
    for i, task in enumerate(args.tasks):
        if task.service_role_arn is None and args.service_role_arn is None:
            out.append(Problem(f"tasks[{i}].service_role_arn", "no service role: give the task or the window one"))
        if task.output_s3 is not None and task.output_s3.bucket is None:
            out.append(Problem(f"tasks[{i}].output_s3.bucket", "required: the bucket Run Command writes output to"))
        if task.notifications is not None and task.notifications.topic_arn is None:
            out.append(Problem(f"tasks[{i}].notifications.topic_arn", "required: the SNS topic to notify"))
    return out
