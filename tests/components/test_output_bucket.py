"""OutputBucket under Pulumi mocks: every safety setting, and its validation."""

from __future__ import annotations

import json

import pytest
from conftest import deploy
from mw_components.output_bucket import OutputBucket, OutputBucketArgs, tls_only_policy

from mw_core.errors import ConfigError


def registered(mocks, kind: str):
    (found,) = mocks.of_type(f"aws:s3/{kind[0].lower()}{kind[1:]}:{kind}")
    return found.inputs


def test_secure_defaults(mocks):
    deploy(lambda: OutputBucket("logs", OutputBucketArgs()).bucket)
    bucket = registered(mocks, "Bucket")
    assert "forceDestroy" not in bucket or bucket["forceDestroy"] is False
    assert registered(mocks, "BucketPublicAccessBlock") == {
        "bucket": "logs-id", "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
        "restrictPublicBuckets": True}
    assert registered(mocks, "BucketOwnershipControls")["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert registered(mocks, "BucketServerSideEncryptionConfiguration")["rules"] == [{
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}, "bucketKeyEnabled": False}]
    assert registered(mocks, "BucketVersioning")["versioningConfiguration"] == {"status": "Enabled"}
    (rule,) = registered(mocks, "BucketLifecycleConfiguration")["rules"]
    assert rule["expiration"] == {"days": 365}
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 90}
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    policy = json.loads(registered(mocks, "BucketPolicy")["policy"])
    assert policy == tls_only_policy("arn:aws:s3::123456789012:bucket/logs")


def test_kms_and_keep_forever(mocks):
    key = "arn:aws:kms:us-east-1:123456789012:key/abc"
    deploy(lambda: OutputBucket("logs", OutputBucketArgs(kms_key_arn=key, expiration_days=0,
                                                         bucket_name="my-patch-logs")).bucket)
    assert registered(mocks, "Bucket")["bucket"] == "my-patch-logs"
    assert registered(mocks, "BucketServerSideEncryptionConfiguration")["rules"] == [{
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key},
        "bucketKeyEnabled": True}]
    (rule,) = registered(mocks, "BucketLifecycleConfiguration")["rules"]
    assert "expiration" not in rule


def test_the_bucket_is_retained_on_delete(run_stack):
    result = run_stack({"outputBucket": {"protect": True}})
    (bucket,) = [r for r in result.resources if r.type == "aws:s3/bucket:Bucket"]
    assert bucket.retain_on_delete is True
    assert bucket.protect is True
    result = run_stack({"outputBucket": {}})
    (bucket,) = [r for r in result.resources if r.type == "aws:s3/bucket:Bucket"]
    assert (bucket.retain_on_delete, bucket.protect) == (True, False)


def test_the_buckets_settings_stay_with_it_on_delete(run_stack):
    """Destroy leaves the bucket; it must not leave it public, without TLS-only, unencrypted or unversioned."""
    result = run_stack({"outputBucket": {}})
    settings = {r.type.rsplit(":", 1)[1]: r.retain_on_delete for r in result.resources
                if r.type.startswith("aws:s3/") and r.type != "aws:s3/bucket:Bucket"}
    assert settings == {name: True for name in ("BucketOwnershipControls", "BucketPublicAccessBlock",
                                                "BucketServerSideEncryptionConfiguration", "BucketVersioning",
                                                "BucketLifecycleConfiguration", "BucketPolicy")}


@pytest.mark.parametrize(("args", "message"), [
    (OutputBucketArgs(bucket_name="Bad_Name"), "bucket_name: 'Bad_Name'"),
    (OutputBucketArgs(expiration_days=-1), "expiration_days: -1 is out of range"),
    (OutputBucketArgs(noncurrent_version_expiration_days=0), "noncurrent_version_expiration_days: 0 is out of range"),
    (OutputBucketArgs(expiration_days=3_000_000_000),
     "expiration_days: 3000000000 is out of range \\(allowed: 1 to 2147483647\\); 0 keeps output forever"),
    (OutputBucketArgs(noncurrent_version_expiration_days=2**31),
     "noncurrent_version_expiration_days: 2147483648 is out of range \\(allowed: 1 to 2147483647\\)"),
    (OutputBucketArgs(tags={"aws:cost": "x"}), "tags.aws:cost: 'aws:cost' starts with 'aws:'"),
])
def test_invalid_args(mocks, args, message):
    with pytest.raises(ConfigError, match=message):
        OutputBucket("logs", args)
    assert mocks.resources == []


@pytest.mark.parametrize("days", [0, 1, 2**31 - 1])
def test_lifecycle_days_s3_takes(days):
    assert OutputBucketArgs(expiration_days=days, noncurrent_version_expiration_days=max(days, 1)).problems() == []
