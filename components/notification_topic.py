"""The SNS topic that maintenance window tasks notify, encrypted with KMS."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from mw_components import iam_policy
from mw_components.checks import checks, each, field_problems, rule

from mw_core.errors import ConfigError, Problem
from mw_core.limits import describe_value
from mw_core.problems import tag_problems

NOTIFICATION_TOPIC_TYPE = "maintenance-windows:sns:NotificationTopic"
DEFAULT_KMS_KEY = "alias/aws/sns"
_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _topic_name_problem(name: str) -> str | None:
    if isinstance(name, str) and _TOPIC_NAME.fullmatch(name):
        return None
    return f"{describe_value(name)} is not allowed (allowed: 1 to 256 letters, digits, - and _)"


def _kms_key_problem(key: str) -> str | None:
    if key == "":
        return f"'' is not allowed: the topic is always encrypted (default: {DEFAULT_KMS_KEY})"
    return None if isinstance(key, str) else f"expected a string, got {describe_value(key)}"


def _email_problem(email: str) -> str | None:
    if isinstance(email, str) and _EMAIL.fullmatch(email):
        return None
    return f"{describe_value(email)} is not an e-mail address"


@dataclass(frozen=True)
class NotificationTopicArgs:
    """An encrypted SNS topic for task notifications, with optional e-mail subscriptions.

    :param topic_name: Default: a name Pulumi generates from the component name.
    :param kms_master_key_id: the KMS key SNS encrypts messages with. Default: ``alias/aws/sns``
        (the AWS managed key).
    :param email_subscriptions: addresses that get every notification (each must confirm). Default: none.
    :param region: Default: the provider's region.
    :param tags: Default: none.
    """

    topic_name: str | None = field(default=None, metadata=checks(rule(_topic_name_problem)))
    kms_master_key_id: pulumi.Input[str] = field(default=DEFAULT_KMS_KEY, metadata=checks(rule(_kms_key_problem)))
    email_subscriptions: tuple[str, ...] = field(default=(), metadata=checks(each(rule(_email_problem))))
    region: str | None = None
    tags: dict[str, str] | None = field(default=None, metadata=checks(lambda tags, context: tag_problems(tags)))

    def problems(self) -> list[Problem]:
        return field_problems(self)


class NotificationTopic(pulumi.ComponentResource):
    """An SNS topic for maintenance window task notifications.

    Creates an ``aws.sns.Topic`` encrypted with ``kms_master_key_id`` and one
    ``aws.sns.TopicSubscription`` (protocol ``email``) per address, named ``<name>-email-<index>``.
    The service role is granted ``sns:Publish`` on this topic only, by the program.

    Example::

        topic = NotificationTopic("notifications", NotificationTopicArgs(email_subscriptions=("ops@example.com",)))
        Notifications(topic_arn=topic.arn)

    Outputs: ``arn``.
    """

    arn: pulumi.Output[str]

    def __init__(self, name: str, args: NotificationTopicArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = args.problems()
        ConfigError.check(problems, f"notification topic {name!r}")
        super().__init__(NOTIFICATION_TOPIC_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        topic = aws.sns.Topic(name, name=args.topic_name, kms_master_key_id=args.kms_master_key_id, tags=args.tags,
                              opts=child, region=args.region)
        for index, email in enumerate(args.email_subscriptions):
            aws.sns.TopicSubscription(f"{name}-email-{index}", topic=topic.arn, protocol="email", endpoint=email,
                                      opts=child, region=args.region)
        self.topic = topic
        self.arn = topic.arn
        self.region = args.region
        self.register_outputs({"arn": self.arn})

    def allow_publishers(self, role_arns: list[pulumi.Input[str]]) -> aws.sns.TopicPolicy | None:
        """A topic policy letting exactly these roles (other accounts' service roles) publish, nothing wider.

        The topic's own account needs no statement: its roles are allowed by their identity policies. Called once
        the roles exist; without roles, no policy (the topic keeps SNS's default one).
        """
        if not role_arns:
            return None
        document = pulumi.Output.all(self.arn, *role_arns).apply(
            lambda values: iam_policy.dumps(publishers_policy(values[0], sorted(set(values[1:])))))
        return aws.sns.TopicPolicy(f"{self._name}-publishers", arn=self.arn, policy=document,
                                   region=self.region, opts=pulumi.ResourceOptions(parent=self))


def publishers_policy(topic_arn: str, role_arns: list[str]) -> dict[str, Any]:
    """``sns:Publish`` on one topic for exactly ``role_arns``."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "MemberAccountServiceRolesPublish",
        "Effect": "Allow",
        "Principal": {"AWS": role_arns},
        "Action": "sns:Publish",
        "Resource": topic_arn,
    }]}
