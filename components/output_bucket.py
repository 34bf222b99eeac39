"""The S3 bucket that keeps Run Command output in full (the console shows only the last 2,500 characters)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from mw_components import iam_policy
from mw_components.checks import checks, field_problems, limited, rule

from mw_core.errors import ConfigError, Problem
from mw_core.limits import S3_BUCKET_NAME, S3_LIFECYCLE_DAYS, check
from mw_core.problems import tag_problems

OUTPUT_BUCKET_TYPE = "maintenance-windows:s3:OutputBucket"


@dataclass(frozen=True)
class OutputBucketArgs:
    """A private, encrypted, versioned bucket for task output that ``pulumi destroy`` leaves in place.

    :param bucket_name: Default: a name Pulumi generates from the component name.
    :param kms_key_arn: encrypt with this KMS key (SSE-KMS). Default: S3-managed keys (SSE-S3).
    :param expiration_days: days after which output objects expire, 1 to 2,147,483,647; 0 keeps them
        forever (no expiration rule). Default: 365.
    :param noncurrent_version_expiration_days: days a replaced or deleted object's old version is kept,
        1 to 2,147,483,647. Default: 90.
    :param protect: also set Pulumi's ``protect``, so the stack cannot be destroyed while the bucket is in it.
        Default: false (the bucket is always retained on delete).
    :param region: Default: the provider's region.
    :param tags: Default: none.
    :param writer_accounts: other accounts whose managed nodes write Run Command output here, as
        ``(account id, key prefix)``: each gets ``s3:PutObject`` under its own prefix only. Default: none.
    """

    bucket_name: str | None = field(default=None, metadata=checks(limited(S3_BUCKET_NAME)))
    kms_key_arn: pulumi.Input[str] | None = None
    # S3 takes "a non-zero positive integer" of days, as a 32-bit integer (S3_LIFECYCLE_DAYS); 0 is this
    # component's own "no expiration rule at all".
    expiration_days: int = field(default=365, metadata=checks(rule(lambda days: None if days == 0 else _days(days))))
    noncurrent_version_expiration_days: int = field(default=90, metadata=checks(limited(S3_LIFECYCLE_DAYS)))
    protect: bool = False
    region: str | None = None
    tags: dict[str, str] | None = field(default=None, metadata=checks(lambda tags, context: tag_problems(tags)))
    writer_accounts: tuple[tuple[str, str], ...] = ()

    def problems(self) -> list[Problem]:
        return field_problems(self)


def _days(days: int) -> str | None:
    problem = check(S3_LIFECYCLE_DAYS, days)
    return None if problem is None else f"{problem}; 0 keeps output forever"


class OutputBucket(pulumi.ComponentResource):
    """An S3 bucket for Run Command output, safe by default.

    Creates an ``aws.s3.Bucket`` (retained on delete, never ``force_destroy``) with
    ``BucketOwnershipControls`` (ACLs off), a ``BucketPublicAccessBlock`` (all four settings on),
    ``BucketServerSideEncryptionConfiguration`` (SSE-S3, or SSE-KMS with ``kms_key_arn``),
    ``BucketVersioning`` (enabled), ``BucketLifecycleConfiguration`` and a ``BucketPolicy`` that
    denies any request not made over TLS. Children are named ``<name>-<purpose>``. Every one of them is
    retained on delete: ``pulumi destroy`` leaves the bucket in AWS with all of its settings.

    Example::

        logs = OutputBucket("output-bucket", OutputBucketArgs(expiration_days=400))
        TaskArgs(..., output_s3=OutputS3(bucket=logs.bucket))

    Outputs: ``bucket`` (name) and ``arn``.
    """

    bucket: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: OutputBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = args.problems()
        ConfigError.check(problems, f"output bucket {name!r}")
        super().__init__(OUTPUT_BUCKET_TYPE, name, None, opts)
        # Logs outlive the stack: destroy removes the bucket from the stack but not from AWS. Its settings stay
        # with it (retained too), so a destroyed stack does not leave the logs public, unencrypted by default,
        # unversioned or reachable without TLS.
        common: dict[str, Any] = {"opts": pulumi.ResourceOptions(parent=self, retain_on_delete=True),
                                  "region": args.region}
        kept = pulumi.ResourceOptions(parent=self, retain_on_delete=True, protect=args.protect)
        self.bucket_resource = aws.s3.Bucket(name, bucket=args.bucket_name, tags=args.tags, opts=kept,
                                            region=args.region)
        bucket = self.bucket_resource.id
        aws.s3.BucketOwnershipControls(f"{name}-ownership", bucket=bucket,
                                       rule={"object_ownership": "BucketOwnerEnforced"}, **common)
        aws.s3.BucketPublicAccessBlock(f"{name}-public-access-block", bucket=bucket, block_public_acls=True,
                                       block_public_policy=True, ignore_public_acls=True,
                                       restrict_public_buckets=True, **common)
        encryption: dict[str, Any] = ({"sse_algorithm": "aws:kms", "kms_master_key_id": args.kms_key_arn}
                                      if args.kms_key_arn else {"sse_algorithm": "AES256"})
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=bucket,
            rules=[{"apply_server_side_encryption_by_default": encryption,
                    "bucket_key_enabled": bool(args.kms_key_arn)}],
            **common)
        aws.s3.BucketVersioning(f"{name}-versioning", bucket=bucket,
                                versioning_configuration={"status": "Enabled"}, **common)
        rule: dict[str, Any] = {
            "id": "task-output",
            "status": "Enabled",
            "filter": {},
            "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
            "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_version_expiration_days},
        }
        if args.expiration_days:
            rule["expiration"] = {"days": args.expiration_days}
        aws.s3.BucketLifecycleConfiguration(f"{name}-lifecycle", bucket=bucket, rules=[rule], **common)
        writers = args.writer_accounts
        aws.s3.BucketPolicy(f"{name}-tls-only", bucket=bucket,
                            policy=self.bucket_resource.arn.apply(
                                lambda arn: iam_policy.dumps(bucket_policy(arn, writers))),
                            **common)
        self.bucket = self.bucket_resource.id  # a bucket's ID is its name, autonamed or not
        self.arn = self.bucket_resource.arn
        self.register_outputs({"bucket": self.bucket, "arn": self.arn})


def bucket_policy(bucket_arn: str, writers: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """TLS only, and (with ``writers``) each other account's ``s3:PutObject`` under its own key prefix.

    SSM Agent uploads Run Command output with the node's own credentials: "The S3 permissions that grant the
    ability to write the data to an S3 bucket are those of the instance profile (for EC2 instances) or IAM service
    role (hybrid-activated machines) assigned to the instance, not those of the IAM user performing this task
    [...] if the specified S3 bucket is in a different AWS account, make sure that the instance profile or IAM
    service role associated with the managed node has the necessary permissions to write to that bucket"
    (Systems Manager User Guide, "Running commands from the console",
    https://docs.aws.amazon.com/systems-manager/latest/userguide/running-commands-console.html). So the
    principal is the member account (``:root``, which delegates to its admins' identity policies on the nodes'
    roles), not a role this project knows. The agent's PutObject carries no ACL (aws/amazon-ssm-agent
    agent/s3util/s3util.go); its follow-up PutObjectAcl fails under BucketOwnerEnforced and is ignored by the
    agent, so s3:PutObject alone, and no s3:x-amz-acl condition (it would never match).
    """
    document = tls_only_policy(bucket_arn)
    partition = bucket_arn.split(":")[1] if bucket_arn.startswith("arn:") else "aws"
    for account, prefix in writers:
        document["Statement"].append({
            "Sid": f"RunCommandOutputFrom{account}",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/{prefix.strip('/')}/*",
        })
    return document


def tls_only_policy(bucket_arn: str) -> dict[str, Any]:
    """Deny every request to the bucket and its objects that is not made over TLS."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }]}
