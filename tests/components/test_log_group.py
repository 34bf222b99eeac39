"""OutputLogGroup under Pulumi mocks: retention, encryption, kept on delete."""

from __future__ import annotations

import pytest
from conftest import deploy
from mw_components.log_group import OutputLogGroup, OutputLogGroupArgs

from mw_core.errors import ConfigError


def test_retention_and_key(mocks):
    key = "arn:aws:kms:us-east-1:123456789012:key/abc"
    deploy(lambda: OutputLogGroup("logs", OutputLogGroupArgs("/mw/prod", retention_in_days=400, kms_key_id=key)).arn)
    (group,) = mocks.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs == {"name": "/mw/prod", "retentionInDays": 400, "kmsKeyId": key}


def test_defaults_and_retention_on_delete(run_stack):
    result = run_stack({"cloudWatchOutput": {}}, stack="staging")
    (group,) = [r for r in result.resources if r.type == "aws:cloudwatch/logGroup:LogGroup"]
    assert group.inputs == {"name": "/maintenance-windows/staging", "retentionInDays": 365}
    assert group.retain_on_delete is True


@pytest.mark.parametrize(("args", "message"), [
    (OutputLogGroupArgs("/mw", retention_in_days=100), "retention_in_days: 100 is not allowed \\(allowed: 1, 3, 5"),
    (OutputLogGroupArgs(""), "log_group_name: '' is 0 characters long"),
    (OutputLogGroupArgs("/mw", tags={"aws:x": "y"}), "tags.aws:x: 'aws:x' starts with 'aws:'"),
    (OutputLogGroupArgs("/mw", tags={f"k{i}": "v" for i in range(51)}), "tags: 51 tags is too many"),
])
def test_invalid_args(mocks, args, message):
    with pytest.raises(ConfigError, match=message):
        OutputLogGroup("logs", args)
    assert mocks.resources == []
