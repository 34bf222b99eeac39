"""Rules for ``aws:cloudwatch/logGroup:LogGroup``, the log group that receives Run Command output."""

from __future__ import annotations

from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
)

from mw_core.limits import LOG_RETENTION_DAYS
from mw_core.tokens import LOG_GROUP

from ._props import UNKNOWN, config, get, message, props, show, subject, whole
from ._typed import ResourceTypePolicy

# The values CloudWatch Logs accepts for RetentionInDays (PutRetentionPolicy, CloudWatch Logs API Reference);
# the provider also takes 0, its spelling of "no retention policy": events never expire.
RETENTION_DAYS = LOG_RETENTION_DAYS
NEVER_EXPIRE = 0
# A year of task output; stacks that keep less (dev) lower it in their policy config.
RETENTION_DEFAULTS = {"minRetentionDays": 365}


def _who(args: ResourceValidationArgs) -> str:
    return subject("LogGroup", args.name)


def _cloudwatch_log_retention_value(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    value = get(props(args), "retentionInDays")
    if value is None or value is UNKNOWN:
        return
    if whole(value) not in (*RETENTION_DAYS, NEVER_EXPIRE):
        report_violation(message(
            _who(args),
            f"retentionInDays {show(value)} is not a value CloudWatch Logs accepts (allowed: "
            f"{', '.join(map(str, RETENTION_DAYS))}, or 0 for never)",
            "pick the nearest allowed value, e.g. 365 or 400",
        ))


cloudwatch_log_retention_value = ResourceTypePolicy(
    name="cloudwatch-log-retention-value",
    description="Requires a log group retention that CloudWatch Logs accepts (1, 3, 5, ... 3653 days, or 0).",
    resource_types=[LOG_GROUP],
    validate=_cloudwatch_log_retention_value,
)


def _cloudwatch_log_retention(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    minimum = config(args, "minRetentionDays", RETENTION_DEFAULTS["minRetentionDays"])
    days = whole(get(props(args), "retentionInDays"))
    # Absent or 0: the events never expire, which keeps them longer than any minimum.
    if days is not None and 0 < days < minimum:
        allowed = [d for d in RETENTION_DAYS if d >= minimum]
        report_violation(message(
            _who(args),
            f"retentionInDays is {days}: output is deleted after {days} day(s), and this stack keeps it at least "
            f"{minimum}",
            f"set retentionInDays to {allowed[0] if allowed else 0} or more (cloudWatchOutput.retentionInDays), "
            "or 0 to keep it forever",
        ))


cloudwatch_log_retention = ResourceTypePolicy(
    name="cloudwatch-log-retention",
    description="Requires log groups to keep events at least minRetentionDays (no retention keeps them forever).",
    resource_types=[LOG_GROUP],
    config_schema=PolicyConfigSchema(
        properties={"minRetentionDays": {"type": "integer", "minimum": 0,
                                         "default": RETENTION_DEFAULTS["minRetentionDays"]}}
    ),
    validate=_cloudwatch_log_retention,
)

POLICIES = [cloudwatch_log_retention_value, cloudwatch_log_retention]
