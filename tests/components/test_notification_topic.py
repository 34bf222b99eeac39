"""NotificationTopic under Pulumi mocks: always encrypted; e-mail subscriptions."""

from __future__ import annotations

import pytest
from conftest import deploy
from mw_components.notification_topic import NotificationTopic, NotificationTopicArgs

from mw_core.errors import ConfigError


def test_encrypted_with_the_aws_managed_key_by_default(mocks):
    deploy(lambda: NotificationTopic("alerts", NotificationTopicArgs()).arn)
    (topic,) = mocks.of_type("aws:sns/topic:Topic")
    assert topic.inputs["kmsMasterKeyId"] == "alias/aws/sns"
    assert mocks.of_type("aws:sns/topicSubscription:TopicSubscription") == []


def test_email_subscriptions(mocks):
    deploy(lambda: NotificationTopic("alerts", NotificationTopicArgs(
        topic_name="patching", kms_master_key_id="alias/patching", email_subscriptions=("a@example.com",
                                                                                     "b@example.com"))).arn)
    (topic,) = mocks.of_type("aws:sns/topic:Topic")
    assert (topic.inputs["name"], topic.inputs["kmsMasterKeyId"]) == ("patching", "alias/patching")
    subscriptions = sorted((s.name, s.inputs["protocol"], s.inputs["endpoint"])
                           for s in mocks.of_type("aws:sns/topicSubscription:TopicSubscription"))
    assert subscriptions == [("alerts-email-0", "email", "a@example.com"), ("alerts-email-1", "email", "b@example.com")]


@pytest.mark.parametrize(("args", "message"), [
    (NotificationTopicArgs(kms_master_key_id=""), "kms_master_key_id: '' is not allowed: the topic is always encrypted"),
    (NotificationTopicArgs(topic_name="bad name"), "topic_name: 'bad name' is not allowed"),
    (NotificationTopicArgs(email_subscriptions=("nobody",)), "email_subscriptions\\[0\\]: 'nobody' is not an e-mail"),
    (NotificationTopicArgs(tags={"Aws:team": "ops"}), "tags.Aws:team: 'Aws:team' starts with 'aws:'"),
    (NotificationTopicArgs(tags={"team": "ops\n"}), "tags.team: value 'ops\\\\n' is not allowed"),
])
def test_invalid_args(mocks, args, message):
    with pytest.raises(ConfigError, match=message):
        NotificationTopic("alerts", args)
    assert mocks.resources == []
