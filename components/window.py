"""The maintenance window component: the window, its targets and its tasks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from mw_components.target import TargetArgs
from mw_components.task import TaskArgs

from mw_core import limits, schedule
from mw_core.errors import ConfigError, Problem, ScheduleError
from mw_core.problems import checker, nest, tag_problems

WINDOW_TYPE = "maintenance-windows:ssm:MaintenanceWindow"


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
    :param end_date: ISO-8601; the window is inactive after it. Default: no end.
    :param allow_unregistered_targets: let tasks name instances that are not registered targets.
        Default: false (tasks run only on registered targets).
    :param enabled: Default: true.
    :param tags: Default: none.
    :param targets: the window's targets. Default: none.
    :param tasks: the window's tasks. Default: none.
    :param service_role_arn: the role tasks run with unless they name their own; required when a
        task has no ``service_role_arn``.
    :param region: Default: the provider's region.
    :param allow_wildcards: let the ARNs tasks turn into grants (``function_arn``, ``state_machine_arn``,
        ``notifications.topic_arn``) hold wildcards, leaving how far they reach to the policy pack's
        ``iam-resource-scope`` rule. Default: false (a wildcard is a problem). Role ARNs never take one.
    """

    schedule: str
    duration: int
    cutoff: int = 0
    name: str | None = None
    description: str | None = None
    schedule_timezone: str | None = None
    schedule_offset: int | None = None
    start_date: str | None = None
    end_date: str | None = None
    allow_unregistered_targets: bool = False
    enabled: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)
    targets: tuple[TargetArgs, ...] = ()
    tasks: tuple[TaskArgs, ...] = ()
    service_role_arn: pulumi.Input[str] | None = None
    region: str | None = None
    allow_wildcards: bool = False

    def problems(self) -> list[Problem]:
        """Every value AWS would reject, with paths relative to the window (``tasks[0].targets[0]``)."""
        out: list[Problem] = []
        check = checker(out)
        check("name", limits.WINDOW_NAME, self.name)
        check("description", limits.WINDOW_DESCRIPTION, self.description)
        check("duration", limits.WINDOW_DURATION_HOURS, self.duration)
        check("cutoff", limits.WINDOW_CUTOFF, self.cutoff)
        if self.cutoff >= self.duration and limits.WINDOW_DURATION_HOURS.min <= self.duration:
            out.append(Problem("cutoff", f"{self.cutoff} must be less than duration ({self.duration}): "
                                         "the window would stop starting tasks before it opens"))
        out += self._schedule_problems()
        out += nest("tags", tag_problems(self.tags))
        names = [t.name for t in self.targets]
        for index, target in enumerate(self.targets):
            out += nest(f"targets[{index}]", target.problems())
            if target.name in names[:index]:
                out.append(Problem(f"targets[{index}].name", f"{target.name!r} is already used by another target"))
        task_names = [t.name for t in self.tasks]
        for index, task in enumerate(self.tasks):
            out += nest(f"tasks[{index}]", task.problems(tuple(names), self.allow_unregistered_targets,
                                                         allow_wildcards=self.allow_wildcards))
            if task.name in task_names[:index]:
                out.append(Problem(f"tasks[{index}].name", f"{task.name!r} is already used by another task"))
        return out

    def _schedule_problems(self) -> list[Problem]:
        out: list[Problem] = []
        parsed = None
        try:
            parsed = schedule.parse(self.schedule)
        except ScheduleError as err:
            out.append(Problem("schedule", f"{err.field} {err.value!r} is not valid in {err.expression!r} "
                                           f"(allowed: {err.allowed})"))
        if self.schedule_offset is not None:
            check = checker(out)
            check("scheduleOffset", limits.WINDOW_OFFSET, self.schedule_offset)
            if parsed is not None and parsed.kind != "cron":
                out.append(Problem("scheduleOffset", f"{self.schedule_offset} is only allowed with a cron() "
                                                     f"schedule, not {parsed.kind}()"))
        if self.schedule_timezone is not None:
            try:
                schedule.validate_timezone(self.schedule_timezone)
            except ScheduleError as err:
                out.append(Problem("scheduleTimezone", f"{err.value!r} is not an IANA time zone "
                                                       f"(allowed: {err.allowed})"))
        dates = {}
        for key, value in (("startDate", self.start_date), ("endDate", self.end_date)):
            if value is None:
                continue
            try:
                dates[key] = schedule.parse_timestamp(value, key)
            except schedule.ScheduleRangeError as err:
                out.append(Problem(key, f"{limits.describe_value(value)} is out of range (allowed: {err.allowed})"))
            except ScheduleError as err:
                out.append(Problem(key, f"{value!r} is not an ISO-8601 timestamp (allowed: {err.allowed})"))
        if len(dates) == 2 and dates["startDate"] >= dates["endDate"]:
            out.append(Problem("endDate", f"{self.end_date!r} must be after startDate {self.start_date!r}"))
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
            out.append(Problem(f"tasks[{i}].serviceRoleArn", "no service role: give the task or the window one"))
        if task.output_s3 is not None and task.output_s3.bucket is None:
            out.append(Problem(f"tasks[{i}].outputS3.bucket", "required: the bucket Run Command writes output to"))
        if task.notifications is not None and task.notifications.topic_arn is None:
            out.append(Problem(f"tasks[{i}].notifications.topicArn", "required: the SNS topic to notify"))
    return out
