"""The CloudWatch Logs group that receives Run Command output."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from mw_components.checks import OneOf, checks, field_problems, limited

from mw_core.errors import ConfigError, Problem
from mw_core.limits import CLOUDWATCH_LOG_GROUP_NAME, LOG_RETENTION_DAYS
from mw_core.problems import tag_problems

OUTPUT_LOG_GROUP_TYPE = "maintenance-windows:cloudwatch:OutputLogGroup"
RETENTION_DAYS = LOG_RETENTION_DAYS


@dataclass(frozen=True)
class OutputLogGroupArgs:
    """A log group for Run Command output.

    :param log_group_name: the log group's name. From stack config, default: ``/maintenance-windows/<stack>``.
    :param retention_in_days: one of CloudWatch's retention values (:data:`RETENTION_DAYS`). Default: 365.
    :param kms_key_id: a KMS key ARN to encrypt the logs with. Default: CloudWatch Logs' own encryption.
    :param region: Default: the provider's region.
    :param tags: Default: none.
    """

    log_group_name: str = field(metadata=checks(limited(CLOUDWATCH_LOG_GROUP_NAME)))
    retention_in_days: int = field(default=365, metadata=checks(OneOf(RETENTION_DAYS)))
    kms_key_id: pulumi.Input[str] | None = None
    region: str | None = None
    tags: dict[str, str] | None = field(default=None, metadata=checks(lambda tags, context: tag_problems(tags)))

    def problems(self) -> list[Problem]:
        return field_problems(self)


class OutputLogGroup(pulumi.ComponentResource):
    """A CloudWatch Logs group for Run Command output, kept when the stack is destroyed.

    Creates an ``aws.cloudwatch.LogGroup`` with a retention period, retained on delete.

    Example::

        logs = OutputLogGroup("output-logs", OutputLogGroupArgs("/maintenance-windows/prod"))
        CloudWatchOutput(log_group=logs.name)

    Outputs: ``name`` and ``arn``.
    """

    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: OutputLogGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = args.problems()
        ConfigError.check(problems, f"log group {name!r}")
        super().__init__(OUTPUT_LOG_GROUP_TYPE, name, None, opts)
        group = aws.cloudwatch.LogGroup(
            name, name=args.log_group_name, retention_in_days=args.retention_in_days, kms_key_id=args.kms_key_id,
            tags=args.tags, region=args.region, opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True))
        self.name = group.name
        self.arn = group.arn
        self.register_outputs({"name": self.name, "arn": self.arn})
