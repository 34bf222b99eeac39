"""Rules for ``aws:sns/topic:Topic``, the topic maintenance window tasks notify."""

from __future__ import annotations

from pulumi_policy import ReportViolation, ResourceValidationArgs

from mw_core.tokens import TOPIC

from ._props import UNKNOWN, get, message, props, show, subject
from ._typed import ResourceTypePolicy


def _sns_topic_encryption(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    key = get(props(args), "kmsMasterKeyId")
    if key is UNKNOWN or (isinstance(key, str) and key.strip()):
        return
    report_violation(message(
        subject("Topic", args.name),
        f"kmsMasterKeyId is {show(key)}, so SNS keeps the notifications (instance IDs, command output "
        "summaries) unencrypted at rest",
        "set kmsMasterKeyId to a KMS key ARN or alias, e.g. alias/aws/sns (the AWS managed key)",
    ))


sns_topic_encryption = ResourceTypePolicy(
    name="sns-topic-encryption",
    description="Requires SNS topics to be encrypted with a KMS key (kmsMasterKeyId).",
    resource_types=[TOPIC],
    validate=_sns_topic_encryption,
)

POLICIES = [sns_topic_encryption]
