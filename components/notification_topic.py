"""The SNS topic that maintenance window tasks notify, encrypted with KMS."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from mw_core.errors import ConfigError, Problem
from mw_core.problems import nest, tag_problems

NOTIFICATION_TOPIC_TYPE = "maintenance-windows:sns:NotificationTopic"
DEFAULT_KMS_KEY = "alias/aws/sns"
_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


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

    topic_name: str | None = None
    kms_master_key_id: pulumi.Input[str] = DEFAULT_KMS_KEY
    email_subscriptions: tuple[str, ...] = ()
    region: str | None = None
    tags: dict[str, str] | None = None

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        if self.topic_name is not None and not _TOPIC_NAME.fullmatch(self.topic_name):
            out.append(Problem("topicName", f"{self.topic_name!r} is not allowed (allowed: 1 to 256 letters, "
                                            "digits, - and _)"))
        if isinstance(self.kms_master_key_id, str) and not self.kms_master_key_id:
            out.append(Problem("kmsMasterKeyId", "'' is not allowed: the topic is always encrypted "
                                                 f"(default: {DEFAULT_KMS_KEY})"))
        for index, email in enumerate(self.email_subscriptions):
            if not _EMAIL.fullmatch(email):
                out.append(Problem(f"emailSubscriptions[{index}]", f"{email!r} is not an e-mail address"))
        out += nest("tags", tag_problems(self.tags))
        return out


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
        self.arn = topic.arn
        self.register_outputs({"arn": self.arn})
