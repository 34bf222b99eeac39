"""Rules for what the windows write to and patch with: the S3 output bucket and its configuration resources,
the SNS topic, the CloudWatch log group, patch baselines and patch groups. Property sets in wire form
(camelCase, numbers as floats), per rule, under both policy configs; then the pack over the real program.

Some unsafe settings cannot come out of the program at all (OutputBucket always creates the encryption, public
access block, versioning and TLS-only policy; NotificationTopic refuses an empty kmsMasterKeyId; the
log group refuses a retention CloudWatch does not accept): those are tested here with property sets only.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from conftest import ROOT, edit_stack, examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mw_components.log_group import RETENTION_DAYS
from mw_components.output_bucket import tls_only_policy
from mw_policies import cloudwatch, s3
from policy_cases.harness import (
    DELETE,
    EXPECTED_LEVELS,
    POLICIES,
    UNKNOWN_ARRAY,
    UNKNOWN_BOOL,
    UNKNOWN_NUMBER,
    UNKNOWN_OBJECT,
    UNKNOWN_STRING,
    StackBuilder,
    Violation,
    leaf_paths,
    level,
    rule_config,
    run_resource,
    run_stack,
    stack_work,
    urn,
    variant,
    with_unknown,
)
from policy_cases.lab import ACCOUNT, ROLE_POLICY, ROLE_POLICY_TYPE
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from mw.plan import plan

M, A = "mandatory", "advisory"
# The levels policies/README.md promises: AWS's limits and "nothing that can delete logs" mandatory everywhere,
# security advisory in dev and mandatory in prod, best practice advisory.
LEVELS: dict[str, tuple[str, str]] = {rule: EXPECTED_LEVELS[rule] for rule in (
    "s3-bucket-force-destroy",
    "s3-bucket-protect",
    "s3-public-access-block",
    "s3-bucket-encryption",
    "s3-bucket-versioning",
    "s3-bucket-policy",
    "s3-bucket-ownership",
    "s3-bucket-retention",
    "s3-lifecycle-days",
    "sns-topic-encryption",
    "cloudwatch-log-retention-value",
    "cloudwatch-log-retention",
    "patch-baseline-limits",
    "patch-baseline-rejected-patches",
    "patch-group-limits",
    "stack-bucket-safeguards",
)}
RESOURCE_RULES = [rule for rule in LEVELS if not rule.startswith("stack-")]

NAME = "mw-output-123456789012"
ARN = f"arn:aws:s3:::{NAME}"
KMS_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

# What OutputBucket, NotificationTopic, OutputLogGroup and PatchBaseline send, as the engine sends it.
BUCKET: dict[str, Any] = {"bucket": NAME, "tags": {"Project": "maintenance-windows"}}
ENCRYPTION: dict[str, Any] = {"bucket": NAME, "rules": [
    {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}, "bucketKeyEnabled": False}]}
PUBLIC_ACCESS_BLOCK: dict[str, Any] = {"bucket": NAME, "blockPublicAcls": True, "blockPublicPolicy": True,
                                       "ignorePublicAcls": True, "restrictPublicBuckets": True}
VERSIONING: dict[str, Any] = {"bucket": NAME, "versioningConfiguration": {"status": "Enabled"}}
BUCKET_POLICY: dict[str, Any] = {"bucket": NAME, "policy": json.dumps(tls_only_policy(ARN))}
OWNERSHIP: dict[str, Any] = {"bucket": NAME, "rule": {"objectOwnership": "BucketOwnerEnforced"}}
LIFECYCLE: dict[str, Any] = {"bucket": NAME, "rules": [{
    "id": "task-output", "status": "Enabled", "filter": {}, "expiration": {"days": 400.0},
    "noncurrentVersionExpiration": {"noncurrentDays": 90.0}, "abortIncompleteMultipartUpload": {
        "daysAfterInitiation": 7.0}}]}
TOPIC: dict[str, Any] = {"name": "notifications", "kmsMasterKeyId": "alias/aws/sns"}
LOG_GROUP: dict[str, Any] = {"name": "/maintenance-windows/prod", "retentionInDays": 400.0}
BASELINE: dict[str, Any] = {
    "name": "ProdAmazonLinux2023",
    "description": "Security and bugfix updates, a week after release",
    "operatingSystem": "AMAZON_LINUX_2023",
    "approvalRules": [
        {"approveAfterDays": 7.0, "complianceLevel": "CRITICAL", "enableNonSecurity": False,
         "patchFilters": [{"key": "CLASSIFICATION", "values": ["Security"]},
                          {"key": "SEVERITY", "values": ["Critical", "Important"]}]},
        {"approveAfterDays": 14.0, "complianceLevel": "MEDIUM", "enableNonSecurity": False,
         "patchFilters": [{"key": "CLASSIFICATION", "values": ["Bugfix"]}]},
    ],
    "rejectedPatchesAction": "BLOCK",
}
PATCH_GROUP: dict[str, Any] = {"patchGroup": "prod-canary", "baselineId": "pb-0123456789abcdef0"}

BASES: dict[str, tuple[str, dict[str, Any]]] = {
    "bucket": (s3.BUCKET, BUCKET),
    "encryption": (s3.BUCKET_ENCRYPTION, ENCRYPTION),
    "public-access-block": (s3.BUCKET_PUBLIC_ACCESS_BLOCK, PUBLIC_ACCESS_BLOCK),
    "versioning": (s3.BUCKET_VERSIONING, VERSIONING),
    "policy": (s3.BUCKET_POLICY, BUCKET_POLICY),
    "ownership": (s3.BUCKET_OWNERSHIP_CONTROLS, OWNERSHIP),
    "lifecycle": (s3.BUCKET_LIFECYCLE, LIFECYCLE),
    "topic": ("aws:sns/topic:Topic", TOPIC),
    "log-group": ("aws:cloudwatch/logGroup:LogGroup", LOG_GROUP),
    "baseline": ("aws:ssm/patchBaseline:PatchBaseline", BASELINE),
    "patch-group": ("aws:ssm/patchGroup:PatchGroup", PATCH_GROUP),
}


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


PUBLIC_READ = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{ARN}/*"}

# (rule, id, base, changes, expected fragments or None when compliant); the same outcome under dev and prod.
CASES: list[tuple[str, str, str, dict[str, Any], list[str] | None]] = [
    ("s3-bucket-force-destroy", "program", "bucket", {}, None),
    ("s3-bucket-force-destroy", "false", "bucket", {"forceDestroy": False}, None),
    ("s3-bucket-force-destroy", "true", "bucket", {"forceDestroy": True},
     ["forceDestroy is true", "deletes every object"]),
    ("s3-public-access-block", "program", "public-access-block", {}, None),
    ("s3-public-access-block", "one-off", "public-access-block", {"blockPublicPolicy": False},
     ["blockPublicPolicy false (allowed: all four of"]),
    ("s3-public-access-block", "missing-settings", "public-access-block",
     {"ignorePublicAcls": DELETE, "restrictPublicBuckets": DELETE},
     ["ignorePublicAcls null, restrictPublicBuckets null", "a missing setting is false"]),
    ("s3-bucket-encryption", "sse-s3", "encryption", {}, None),
    ("s3-bucket-encryption", "sse-kms", "encryption", {
        "rules.0.applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KMS_KEY}}, None),
    ("s3-bucket-encryption", "dsse-kms", "encryption",
     {"rules.0.applyServerSideEncryptionByDefault.sseAlgorithm": "aws:kms:dsse"}, None),
    ("s3-bucket-encryption", "unknown-algorithm", "encryption",
     {"rules.0.applyServerSideEncryptionByDefault.sseAlgorithm": "DES"},
     ["rules[0].applyServerSideEncryptionByDefault.sseAlgorithm 'DES' is not allowed (allowed: AES256, aws:kms, "
      "aws:kms:dsse)"]),
    ("s3-bucket-encryption", "key-without-kms", "encryption",
     {"rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId": KMS_KEY},
     ["kmsMasterKeyId is set with sseAlgorithm 'AES256'"]),
    ("s3-bucket-encryption", "no-default", "encryption", {"rules.0.applyServerSideEncryptionByDefault": DELETE},
     ["no rule sets applyServerSideEncryptionByDefault"]),
    ("s3-bucket-versioning", "program", "versioning", {}, None),
    ("s3-bucket-versioning", "suspended", "versioning", {"versioningConfiguration.status": "Suspended"},
     ["versioningConfiguration.status is 'Suspended' (allowed: Enabled)"]),
    ("s3-bucket-versioning", "missing", "versioning", {"versioningConfiguration": DELETE},
     ["versioningConfiguration.status is null"]),
    ("s3-bucket-policy", "tls-only", "policy", {}, None),
    ("s3-bucket-policy", "conditioned-allow", "policy", {"policy": _policy(
        {**PUBLIC_READ, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}})}, None),
    ("s3-bucket-policy", "public-read", "policy", {"policy": _policy(PUBLIC_READ)},
     ["allows s3:GetObject to any principal (*) without a condition"]),
    ("s3-bucket-policy", "public-aws-star", "policy", {"policy": _policy({**PUBLIC_READ, "Principal": {"AWS": "*"}})},
     ["to any principal (*)"]),
    ("s3-bucket-policy", "not-json", "policy", {"policy": "{"}, ["policy: not valid JSON"]),
    ("s3-bucket-policy", "no-principal", "policy", {"policy": _policy(
        {"Effect": "Deny", "Action": "s3:*", "Resource": ARN})}, ["statement 1: a bucket policy statement needs a "
                                                                 "Principal"]),
    ("s3-bucket-ownership", "program", "ownership", {}, None),
    ("s3-bucket-ownership", "acls", "ownership", {"rule.objectOwnership": "ObjectWriter"},
     ["rule.objectOwnership is 'ObjectWriter' (allowed: BucketOwnerEnforced)"]),
    ("s3-bucket-retention", "400-days", "lifecycle", {}, None),
    ("s3-bucket-retention", "kept-forever", "lifecycle", {"rules.0.expiration": DELETE}, None),
    ("s3-bucket-retention", "disabled-rule", "lifecycle", {"rules.0.status": "Disabled",
                                                           "rules.0.expiration.days": 7.0}, None),
    ("s3-bucket-retention", "7-days", "lifecycle", {"rules.0.expiration.days": 7.0},
     ["rules[0].expiration.days is 7: output is deleted after 7 day(s)"]),
    ("s3-bucket-retention", "by-date", "lifecycle", {"rules.0.expiration": {"date": "2027-01-01"}},
     ["rules[0].expiration.date is '2027-01-01': from that day every object is deleted"]),
    # Days S3 refuses are s3-lifecycle-days' (mandatory everywhere), not reported twice.
    ("s3-bucket-retention", "fraction-days", "lifecycle", {"rules.0.expiration.days": 400.5}, None),
    ("s3-bucket-retention", "nan-days", "lifecycle", {"rules.0.expiration.days": float("nan")}, None),
    ("s3-bucket-retention", "days-beyond-32-bits", "lifecycle", {"rules.0.expiration.days": 3e9}, None),
    ("s3-lifecycle-days", "program", "lifecycle", {}, None),
    ("s3-lifecycle-days", "one-day", "lifecycle", {"rules.0.expiration.days": 1.0,
                                                   "rules.0.noncurrentVersionExpiration.noncurrentDays": 1.0}, None),
    ("s3-lifecycle-days", "largest", "lifecycle", {"rules.0.expiration.days": 2147483647.0}, None),
    # 0 is how the provider spells an expiration without days (hashicorp/terraform-provider-aws#23674).
    ("s3-lifecycle-days", "expiration-zero-is-unset", "lifecycle", {"rules.0.expiration.days": 0.0}, None),
    ("s3-lifecycle-days", "no-blocks", "lifecycle", {"rules.0.expiration": DELETE,
                                                     "rules.0.noncurrentVersionExpiration": DELETE}, None),
    ("s3-lifecycle-days", "disabled-rule-is-still-sent", "lifecycle",
     {"rules.0.status": "Disabled", "rules.0.expiration.days": -1.0}, ["rules[0].expiration.days: -1 is out of range"]),
    ("s3-lifecycle-days", "fraction-days", "lifecycle", {"rules.0.expiration.days": 400.5},
     ["rules[0].expiration.days: expected a whole number, got 400.5 (allowed: 1 to 2147483647)"]),
    ("s3-lifecycle-days", "nan-days", "lifecycle", {"rules.0.expiration.days": float("nan")},
     ["rules[0].expiration.days: expected a whole number, got nan"]),
    ("s3-lifecycle-days", "infinite-days", "lifecycle", {"rules.0.expiration.days": float("inf")},
     ["rules[0].expiration.days: expected a whole number, got inf"]),
    ("s3-lifecycle-days", "3e9-days", "lifecycle", {"rules.0.expiration.days": 3e9},
     ["rules[0].expiration.days: 3000000000 is out of range (allowed: 1 to 2147483647)"]),
    ("s3-lifecycle-days", "2-to-the-31", "lifecycle", {"rules.0.expiration.days": 2.0**31},
     ["rules[0].expiration.days: 2147483648 is out of range"]),
    ("s3-lifecycle-days", "negative", "lifecycle", {"rules.0.expiration.days": -5.0},
     ["rules[0].expiration.days: -5 is out of range", "set days to a whole number of days from 1"]),
    # A noncurrentDays of 0 reaches S3 and fails (hashicorp/terraform-provider-aws#34197).
    ("s3-lifecycle-days", "noncurrent-zero", "lifecycle", {"rules.0.noncurrentVersionExpiration.noncurrentDays": 0.0},
     ["rules[0].noncurrentVersionExpiration.noncurrentDays: 0 is out of range", "set noncurrentDays"]),
    ("s3-lifecycle-days", "noncurrent-3e9", "lifecycle",
     {"rules.0.noncurrentVersionExpiration.noncurrentDays": 3e9}, ["noncurrentDays: 3000000000 is out of range"]),
    ("s3-lifecycle-days", "list-form", "lifecycle", {"rules.0.expiration": [{"days": 0.5}]},
     ["rules[0].expiration[0].days: expected a whole number, got 0.5"]),
    ("s3-lifecycle-days", "text", "lifecycle", {"rules.0.expiration.days": "400"},
     ["rules[0].expiration.days: expected a number, got '400'"]),
    ("sns-topic-encryption", "aws-managed-key", "topic", {}, None),
    ("sns-topic-encryption", "customer-key", "topic", {"kmsMasterKeyId": KMS_KEY}, None),
    ("sns-topic-encryption", "absent", "topic", {"kmsMasterKeyId": DELETE}, ["kmsMasterKeyId is null"]),
    ("sns-topic-encryption", "empty", "topic", {"kmsMasterKeyId": ""}, ["kmsMasterKeyId is ''"]),
    ("sns-topic-encryption", "blank", "topic", {"kmsMasterKeyId": "  "}, ["kmsMasterKeyId is '  '"]),
    ("cloudwatch-log-retention-value", "400", "log-group", {}, None),
    ("cloudwatch-log-retention-value", "never", "log-group", {"retentionInDays": 0.0}, None),
    ("cloudwatch-log-retention-value", "absent", "log-group", {"retentionInDays": DELETE}, None),
    ("cloudwatch-log-retention-value", "366", "log-group", {"retentionInDays": 366.0},
     ["retentionInDays 366 is not a value CloudWatch Logs accepts (allowed: 1, 3, 5"]),
    ("cloudwatch-log-retention-value", "fraction", "log-group", {"retentionInDays": 30.5},
     ["retentionInDays 30.5 is not a value"]),
    ("cloudwatch-log-retention", "400", "log-group", {}, None),
    ("cloudwatch-log-retention", "never-expires", "log-group", {"retentionInDays": DELETE}, None),
    ("cloudwatch-log-retention", "zero-never-expires", "log-group", {"retentionInDays": 0.0}, None),
    ("cloudwatch-log-retention", "7-days", "log-group", {"retentionInDays": 7.0},
     ["retentionInDays is 7: output is deleted after 7 day(s)"]),
    ("patch-baseline-limits", "program", "baseline", {}, None),
    ("patch-baseline-limits", "os", "baseline", {"operatingSystem": "AMAZON_LINUX_2025"},
     ["operatingSystem: 'AMAZON_LINUX_2025' is not allowed (allowed: one of WINDOWS"]),
    ("patch-baseline-limits", "name", "baseline", {"name": "Prod Baseline"}, ["name: 'Prod Baseline' is not allowed"]),
    ("patch-baseline-limits", "eleven-rules", "baseline", {"approvalRules": [BASELINE["approvalRules"][1]] * 11},
     ["approvalRules: 11 items (allowed: 0 to 10 items)"]),
    ("patch-baseline-limits", "approve-after", "baseline", {"approvalRules.0.approveAfterDays": 361.0},
     ["approvalRules[0].approveAfterDays: 361 is out of range (allowed: 0 to 360)"]),
    ("patch-baseline-limits", "approve-after-fraction", "baseline", {"approvalRules.0.approveAfterDays": 1.5},
     ["approvalRules[0].approveAfterDays: expected a whole number, got 1.5"]),
    ("patch-baseline-limits", "compliance", "baseline", {"approvalRules.1.complianceLevel": "SEVERE"},
     ["approvalRules[1].complianceLevel: 'SEVERE' is not allowed"]),
    ("patch-baseline-limits", "filter-key", "baseline", {"approvalRules.0.patchFilters.0.key": "KIND"},
     ["approvalRules[0].patchFilters[0].key: 'KIND' is not allowed"]),
    ("patch-baseline-limits", "no-filter-values", "baseline", {"approvalRules.0.patchFilters.1.values": []},
     ["approvalRules[0].patchFilters[1].values: 0 items (allowed: 1 to 20 items)"]),
    ("patch-baseline-limits", "five-filters", "baseline",
     {"approvalRules.0.patchFilters": [{"key": "CLASSIFICATION", "values": ["Security"]}] * 5},
     ["approvalRules[0].patchFilters: 5 items (allowed: 0 to 4 items)"]),
    ("patch-baseline-limits", "global-filter", "baseline", {"globalFilters": [{"key": "PRODUCT", "values": []}]},
     ["globalFilters[0].values: 0 items"]),
    ("patch-baseline-limits", "patch-list", "baseline", {"approvedPatches": [f"KB{i}" for i in range(51)]},
     ["approvedPatches: 51 items (allowed: 0 to 50 items)"]),
    ("patch-baseline-limits", "action", "baseline", {"rejectedPatchesAction": "DENY"},
     ["rejectedPatchesAction: 'DENY' is not allowed (allowed: one of ALLOW_AS_DEPENDENCY, BLOCK)"]),
    ("patch-baseline-rejected-patches", "program", "baseline", {}, None),
    ("patch-baseline-rejected-patches", "blocked", "baseline", {"rejectedPatches": ["kernel-6.1.0"]}, None),
    ("patch-baseline-rejected-patches", "no-rejections", "baseline", {"rejectedPatchesAction": "ALLOW_AS_DEPENDENCY"},
     None),
    ("patch-baseline-rejected-patches", "as-dependency", "baseline",
     {"rejectedPatches": ["kernel-6.1.0"], "rejectedPatchesAction": "ALLOW_AS_DEPENDENCY"},
     ["rejectedPatches lists 1 patch(es) but rejectedPatchesAction is 'ALLOW_AS_DEPENDENCY'"]),
    ("patch-baseline-rejected-patches", "default-action", "baseline",
     {"rejectedPatches": ["kernel-6.1.0"], "rejectedPatchesAction": DELETE},
     ["rejectedPatchesAction is not set (AWS's default: ALLOW_AS_DEPENDENCY)"]),
    ("patch-group-limits", "program", "patch-group", {}, None),
    ("patch-group-limits", "spaces-and-symbols", "patch-group", {"patchGroup": "Prod Fleet:web/=+-@_."}, None),
    ("patch-group-limits", "too-long", "patch-group", {"patchGroup": "g" * 257},
     ["patchGroup: 'ggg", "is 257 characters long (allowed: 1 to 256"]),
    ("patch-group-limits", "characters", "patch-group", {"patchGroup": "prod#1"}, ["patchGroup: 'prod#1' is not "
                                                                                   "allowed"]),
    ("patch-group-limits", "missing", "patch-group", {"patchGroup": DELETE}, ["patchGroup is not set"]),
]

_LABELS = {"bucket": "Bucket", "encryption": "BucketServerSideEncryptionConfiguration",
           "public-access-block": "BucketPublicAccessBlock", "versioning": "BucketVersioning",
           "policy": "BucketPolicy", "ownership": "BucketOwnershipControls", "lifecycle": "BucketLifecycleConfiguration",
           "topic": "Topic", "log-group": "LogGroup", "baseline": "PatchBaseline", "patch-group": "PatchGroup"}


def options(*, protect: bool) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def run(rule: str, resource_type: str, props: Mapping[str, Any], *, env: str = "prod", name: str = "res",
        protect: bool = True, config: Mapping[str, Any] | None = None) -> list[Violation]:
    """One resource rule on one resource, as the servicer calls it, with the resource's ``protect`` option."""
    policy = POLICIES[rule]
    assert isinstance(policy, ResourceValidationPolicy)
    args = ResourceValidationArgs(resource_type, unknown_checking_proxy(copy.deepcopy(dict(props))),
                                  urn(resource_type, name), name, options(protect=protect), None,
                                  config if config is not None else rule_config(rule, env))
    found: list[Violation] = []
    policy.validate(args, lambda message, where=None: found.append(Violation(rule, level(rule, env), message, where)))
    return found


def check(found: list[Violation], rule: str, env: str, expect: list[str], who: str) -> None:
    """Violations of ``rule`` only, at its env's level, each naming ``who`` and a fix, with every fragment."""
    assert found, f"{rule}: expected a violation containing {expect}"
    for violation in found:
        assert violation.rule == rule
        assert violation.level == LEVELS[rule][("dev", "prod").index(env)]
        assert violation.message.startswith(who), violation.message
        assert "Fix: " in violation.message, violation.message
    text = "\n".join(v.message for v in found)
    for fragment in expect:
        assert fragment in text, f"{fragment!r} not in:\n{text}"


@pytest.mark.parametrize("rule", sorted(LEVELS))
def test_levels_and_metadata(rule: str) -> None:
    """dev and prod levels as promised; the code's default is the prod level (prod-safe)."""
    assert (level(rule, "dev"), level(rule, "prod")) == LEVELS[rule]
    policy = POLICIES[rule]
    assert policy.enforcement_level is not None and policy.enforcement_level.value == LEVELS[rule][1]
    assert policy.description.startswith(("Requires ", "Prohibits ")) and policy.description.endswith(".")


def test_retention_config_per_stack() -> None:
    assert rule_config("s3-bucket-retention", "prod") == {"minRetentionDays": 365}
    assert rule_config("s3-bucket-retention", "dev") == {"minRetentionDays": 30}
    assert rule_config("cloudwatch-log-retention", "prod") == {"minRetentionDays": 365}
    assert rule_config("cloudwatch-log-retention", "dev") == {"minRetentionDays": 30}
    for policy in (s3.s3_bucket_retention, cloudwatch.cloudwatch_log_retention):
        assert policy.config_schema is not None
        assert policy.config_schema.properties["minRetentionDays"]["default"] == 365


def test_retention_values_match_the_component() -> None:
    """The pack keeps its own copy (it runs without pulumi_aws); it must be the program's."""
    assert cloudwatch.RETENTION_DAYS == RETENTION_DAYS


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize(("rule", "case_id", "base", "changes", "expect"), CASES,
                         ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_resource_rule(rule: str, case_id: str, base: str, changes: dict[str, Any], expect: list[str] | None,
                       env: str) -> None:
    resource_type, props = BASES[base]
    found = run(rule, resource_type, variant(props, changes), env=env, name="output")
    if expect is None:
        assert found == []
    else:
        check(found, rule, env, expect, f"{_LABELS[base]} 'output'")


@pytest.mark.parametrize(("env", "protect", "expect"), [("prod", True, None), ("prod", False, M), ("dev", False, A)])
def test_bucket_protect(env: str, protect: bool, expect: str | None) -> None:
    found = run("s3-bucket-protect", s3.BUCKET, BUCKET, env=env, name="output-bucket", protect=protect)
    if expect is None:
        assert found == []
    else:
        check(found, "s3-bucket-protect", env, ["the bucket is not protected", "retainOnDelete cannot be seen"],
              "Bucket 'output-bucket'")


def test_protect_is_only_asked_of_buckets() -> None:
    assert run("s3-bucket-protect", s3.BUCKET_VERSIONING, VERSIONING, protect=False) == []
    assert run("s3-bucket-protect", "aws:cloudwatch/logGroup:LogGroup", LOG_GROUP, protect=False) == []


@pytest.mark.parametrize(("rule", "base", "days", "dev", "prod"), [
    ("s3-bucket-retention", "lifecycle", 90.0, None, M),
    ("s3-bucket-retention", "lifecycle", 30.0, None, M),
    ("s3-bucket-retention", "lifecycle", 14.0, A, M),
    ("s3-bucket-retention", "lifecycle", 365.0, None, None),
    ("cloudwatch-log-retention", "log-group", 90.0, None, M),
    ("cloudwatch-log-retention", "log-group", 14.0, A, M),
    ("cloudwatch-log-retention", "log-group", 365.0, None, None),
])
def test_retention_minimum_per_stack(rule: str, base: str, days: float, dev: str | None, prod: str | None) -> None:
    """dev keeps output 30 days, prod a year (policies/config/*.json)."""
    resource_type, props = BASES[base]
    field = "rules.0.expiration.days" if base == "lifecycle" else "retentionInDays"
    for env, expected in (("dev", dev), ("prod", prod)):
        found = run(rule, resource_type, variant(props, {field: days}), env=env)
        assert [v.level for v in found] == ([expected] if expected else []), (env, found)


def test_retention_default_applies_without_config() -> None:
    """A caller that sends no config (not the CLI) gets the prod-safe year."""
    found = run("cloudwatch-log-retention", "aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 180.0},
                config={})
    check(found, "cloudwatch-log-retention", "prod", ["this stack keeps it at least 365", "set retentionInDays to 365"],
          "LogGroup 'res'")


def _unknown_variants() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for base, (resource_type, props) in BASES.items():
        for path in leaf_paths(props):
            out.append((f"{base}:{'.'.join(map(str, path))}", resource_type, with_unknown(props, path)))
        for unknown in (UNKNOWN_STRING, UNKNOWN_NUMBER, UNKNOWN_BOOL, UNKNOWN_ARRAY, UNKNOWN_OBJECT):
            out.append((f"{base}:all-{unknown[:4]}", resource_type, {key: unknown for key in props}))
    return out


UNKNOWN_VARIANTS = _unknown_variants()


@pytest.mark.parametrize(("case", "resource_type", "props"), UNKNOWN_VARIANTS, ids=[c[0] for c in UNKNOWN_VARIANTS])
def test_unknown_values_never_crash_or_fail(case: str, resource_type: str, props: dict[str, Any]) -> None:
    """During a preview any input may be unknown: every rule skips what it cannot know."""
    for env in ("dev", "prod"):
        for rule in RESOURCE_RULES:
            assert run(rule, resource_type, props, env=env) == [], (rule, env)


def test_other_resources_are_not_checked() -> None:
    """Each rule reads its own resource type only: a window or role passes every new rule."""
    for rule in RESOURCE_RULES:
        for resource_type, props in (("aws:ssm/maintenanceWindow:MaintenanceWindow", {"forceDestroy": True}),
                                     (ROLE_POLICY_TYPE, {"retentionInDays": 2.0, "kmsMasterKeyId": ""})):
            assert run(rule, resource_type, props, protect=False) == [], rule


# --- the bucket and its configuration resources, as a stack -----------------------------------------------------

CONFIGURATIONS = {
    "output-bucket-encryption": (s3.BUCKET_ENCRYPTION, ENCRYPTION),
    "output-bucket-public-access-block": (s3.BUCKET_PUBLIC_ACCESS_BLOCK, PUBLIC_ACCESS_BLOCK),
    "output-bucket-versioning": (s3.BUCKET_VERSIONING, VERSIONING),
    "output-bucket-tls-only": (s3.BUCKET_POLICY, BUCKET_POLICY),
    "output-bucket-ownership": (s3.BUCKET_OWNERSHIP_CONTROLS, OWNERSHIP),
    "output-bucket-lifecycle": (s3.BUCKET_LIFECYCLE, LIFECYCLE),
}


def bucket_stack(*, preview: bool = True, skip: str = "", change: Mapping[str, dict[str, Any]] | None = None,
                 bucket: Mapping[str, Any] | None = None) -> StackBuilder:
    """The OutputBucket component's resources. During a preview the bucket's name and ARN are unknown and
    every configuration depends on the bucket; after deployment they name it by value only."""
    stack = StackBuilder().add("maintenance-windows:s3:OutputBucket", "output", {})
    known = {**BUCKET, "id": NAME, "arn": ARN}
    stack.add(s3.BUCKET, "output-bucket", {**(BUCKET if preview else known), **(bucket or {})}, parent="output")
    for name, (resource_type, props) in CONFIGURATIONS.items():
        if name == skip:
            continue
        props = variant(props, (change or {}).get(name, {}))
        if preview:
            props = {**props, "bucket": UNKNOWN_STRING}
            if resource_type == s3.BUCKET_POLICY:
                props["policy"] = UNKNOWN_STRING  # it is built from the bucket's ARN
        stack.add(resource_type, name, props, parent="output", deps={"bucket": ["output-bucket"]} if preview else {})
    return stack


DENY_OBJECTS_ONLY = _policy({**tls_only_policy(ARN)["Statement"][0], "Resource": f"{ARN}/*"})
DENY_ALLOW = _policy({**tls_only_policy(ARN)["Statement"][0], "Effect": "Allow"})
DENY_GET_ONLY = _policy({**tls_only_policy(ARN)["Statement"][0], "Action": "s3:GetObject"})
DENY_WITHOUT_CONDITION = _policy({k: v for k, v in tls_only_policy(ARN)["Statement"][0].items() if k != "Condition"})

# (id, build, expected fragments or None)
STACK_CASES: list[tuple[str, Callable[[], StackBuilder], list[str] | None]] = [
    ("preview", bucket_stack, None),
    ("deployed", lambda: bucket_stack(preview=False), None),
    ("by-id-only", lambda: bucket_stack(preview=False, bucket={"bucket": DELETE}), None),
    ("inline-versioning", lambda: bucket_stack(skip="output-bucket-versioning", bucket={"versioning": {
        "enabled": True, "mfaDelete": False}}), None),
    ("inline-encryption", lambda: bucket_stack(skip="output-bucket-encryption", bucket={
        "serverSideEncryptionConfiguration": {"rule": {"applyServerSideEncryptionByDefault": {
            "sseAlgorithm": "AES256"}}}}), None),
    ("tls-star-resource", lambda: bucket_stack(preview=False, change={"output-bucket-tls-only": {"policy": _policy(
        {**tls_only_policy(ARN)["Statement"][0], "Resource": "*"})}}), None),
    ("no-encryption", lambda: bucket_stack(skip="output-bucket-encryption"),
     ["the bucket has no BucketServerSideEncryptionConfiguration"]),
    ("no-public-access-block", lambda: bucket_stack(preview=False, skip="output-bucket-public-access-block"),
     ["the bucket has no BucketPublicAccessBlock"]),
    ("no-versioning", lambda: bucket_stack(skip="output-bucket-versioning"), ["the bucket has no BucketVersioning"]),
    ("inline-versioning-off", lambda: bucket_stack(skip="output-bucket-versioning", bucket={"versioning": {
        "enabled": False}}), ["the bucket has no BucketVersioning"]),
    ("no-policy", lambda: bucket_stack(skip="output-bucket-tls-only"),
     ["nothing denies requests made without TLS (no bucket policy:"]),
    ("deny-objects-only", lambda: bucket_stack(preview=False, change={"output-bucket-tls-only": {
        "policy": DENY_OBJECTS_ONLY}}), ["nothing denies requests made without TLS (BucketPolicy 'output-bucket-tls-only'"]),
    ("allow-not-deny", lambda: bucket_stack(preview=False, change={"output-bucket-tls-only": {"policy": DENY_ALLOW}}),
     ["nothing denies requests made without TLS"]),
    ("get-only", lambda: bucket_stack(preview=False, change={"output-bucket-tls-only": {"policy": DENY_GET_ONLY}}),
     ["nothing denies requests made without TLS"]),
    ("unconditional", lambda: bucket_stack(preview=False, change={"output-bucket-tls-only": {
        "policy": DENY_WITHOUT_CONDITION}}), ["nothing denies requests made without TLS"]),
    ("other-buckets-configuration", lambda: bucket_stack(preview=False, change={
        "output-bucket-versioning": {"bucket": "someone-elses-bucket"}}), ["the bucket has no BucketVersioning"]),
]


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize(("case_id", "build", "expect"), STACK_CASES, ids=[c[0] for c in STACK_CASES])
def test_stack_bucket_safeguards(case_id: str, build: Callable[[], StackBuilder], expect: list[str] | None,
                                 env: str) -> None:
    found = run_stack("stack-bucket-safeguards", build(), env=env)
    if expect is None:
        assert found == []
    else:
        check(found, "stack-bucket-safeguards", env, expect, "Bucket 'output-bucket'")
        assert all(v.urn == urn(s3.BUCKET, "output-bucket") for v in found)


def test_unplaced_configuration_suspends_the_bucket_check() -> None:
    """A configuration whose bucket is unknown and linked by no dependency might be this bucket's."""
    stack = bucket_stack(skip="output-bucket-versioning").add(
        s3.BUCKET_VERSIONING, "versioning-2", {**VERSIONING, "bucket": UNKNOWN_STRING})
    assert run_stack("stack-bucket-safeguards", stack) == []


def test_unknown_values_in_the_bucket_stack_never_fail() -> None:
    base = bucket_stack(preview=False)
    for name, item in base.items.items():
        for path in leaf_paths(item.props):
            stack = StackBuilder()
            for other in base.items.values():
                props = with_unknown(other.props, path) if other.name == name else other.props
                stack.add(other.resource_type, other.name, props, deps=other.deps, parent=other.parent)
            assert run_stack("stack-bucket-safeguards", stack) == [], (name, path)


def test_denies_insecure_transport_reads_the_programs_policy() -> None:
    from mw_policies import _iam

    document = _iam.read(BUCKET_POLICY["policy"])
    assert s3.denies_insecure_transport(document, NAME)
    assert s3.denies_insecure_transport(document, s3.UNKNOWN)
    assert not s3.denies_insecure_transport(document, "another-bucket")
    assert s3.denies_insecure_transport(_iam.read(_policy({**tls_only_policy(ARN)["Statement"][0], "Condition": {
        "BoolIfExists": {"aws:SecureTransport": False}}})), NAME)


# --- IAM rules and the bucket policy's Deny -------------------------------------------------------------------

def test_iam_rules_never_flag_the_bucket_policy() -> None:
    """A Deny of s3:* is the TLS guard; wildcard rules are about what a policy allows."""
    for rule in (r for r, p in POLICIES.items() if r.startswith("iam-") and isinstance(p, ResourceValidationPolicy)):
        for env in ("dev", "prod"):
            assert run_resource(rule, s3.BUCKET_POLICY, BUCKET_POLICY, env=env) == [], rule


@pytest.mark.parametrize("resource_type", [ROLE_POLICY_TYPE, "aws:iam/policy:Policy"])
def test_wildcard_deny_in_an_iam_policy_is_not_flagged(resource_type: str) -> None:
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": [ARN, f"{ARN}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    statements = [*json.loads(ROLE_POLICY["policy"])["Statement"], deny]
    assert run_resource("iam-no-wildcard-actions", resource_type, {**ROLE_POLICY, "policy": _policy(*statements)}) == []
    allowed = {**ROLE_POLICY, "policy": _policy(*statements, {"Effect": "Allow", "Action": "s3:*", "Resource": ARN})}
    found = run_resource("iam-no-wildcard-actions", resource_type, allowed)
    assert len(found) == 1 and "allows 's3:*'" in found[0].message


# --- the pack over the real program ---------------------------------------------------------------------------

B, N, C, P = ("maintenance-windows:outputBucket", "maintenance-windows:notifications",
              "maintenance-windows:cloudWatchOutput", "maintenance-windows:patchBaselines")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_programs_stacks_pass(stack: str) -> None:
    result = plan(stack, project_dir=ROOT)
    assert [v for v in result.violations if v.level == M] == []
    assert [v for v in result.violations if v.policy in LEVELS or v.policy == "stack-window-overlap"] == []


def _unprotected(config: dict[str, Any]) -> None:
    config[B]["protect"] = False


def _short_bucket_retention(config: dict[str, Any]) -> None:
    config[B]["expirationDays"] = 30


def _short_log_retention(config: dict[str, Any]) -> None:
    config[C]["retentionInDays"] = 30


def _rejected_as_dependency(config: dict[str, Any]) -> None:
    config[P][0]["rejectedPatches"] = ["kernel-6.1.0"]
    config[P][0]["rejectedPatchesAction"] = "ALLOW_AS_DEPENDENCY"


def _kept_forever(config: dict[str, Any]) -> None:
    config[B]["expirationDays"] = 0


def _customer_kms_keys(config: dict[str, Any]) -> None:
    config[B]["kmsKeyArn"] = KMS_KEY
    config[N]["kmsMasterKeyId"] = KMS_KEY


def _dev_with_outputs(config: dict[str, Any]) -> None:
    """dev with a bucket (not protected: dev is torn down) kept 60 days, and logs kept 30."""
    config[B] = {"expirationDays": 60}
    config[C] = {"retentionInDays": 30}


# (stack, change, {rule: level} expected from the new rules: exactly these)
BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], dict[str, str]]] = [
    ("prod", _unprotected, {"s3-bucket-protect": M}),
    ("prod", _short_bucket_retention, {"s3-bucket-retention": M}),
    ("prod", _short_log_retention, {"cloudwatch-log-retention": M}),
    ("prod", _rejected_as_dependency, {"patch-baseline-rejected-patches": A}),
    ("prod", _kept_forever, {}),
    ("prod", _customer_kms_keys, {}),
    ("dev", _dev_with_outputs, {"s3-bucket-protect": A}),
]


@pytest.mark.parametrize(("stack", "change", "expect"), BROKEN,
                         ids=[f"{s}-{c.__name__.strip('_')}" for s, c, _ in BROKEN])
def test_a_changed_copy_reports_the_expected_rules(project, stack: str, change: Callable[[dict[str, Any]], None],
                                                   expect: dict[str, str]) -> None:
    edit_stack(project, stack, change)
    result = plan(stack, project_dir=project)
    found = {(v.policy, v.level) for v in result.violations if v.policy in LEVELS}
    assert found == set(expect.items()), sorted(found)
    assert result.exit_code == (1 if M in expect.values() else 0)


@pytest.fixture(scope="module")
def prod_run() -> Any:
    from mw_config import load_stack_file
    from mw_engine.engine import run_program

    return run_program(ROOT, project="maintenance-windows", stack="prod", config=load_stack_file(
        ROOT / "Pulumi.prod.yaml"))


@pytest.fixture(scope="module")
def prod_pack() -> Iterator[Any]:
    """The pack served as the CLI serves it, configured with policies/config/prod.json."""
    from mw_engine.analyzer import PolicyPackProcess

    with PolicyPackProcess(ROOT / "policies", project="maintenance-windows", stack="prod",
                           policy_config=ROOT / "policies" / "config" / "prod.json") as pack:
        yield pack


@pytest.mark.parametrize(("dropped", "expect"), [
    (None, None),
    (s3.BUCKET_ENCRYPTION, "no BucketServerSideEncryptionConfiguration"),
    (s3.BUCKET_PUBLIC_ACCESS_BLOCK, "no BucketPublicAccessBlock"),
    (s3.BUCKET_VERSIONING, "no BucketVersioning"),
    (s3.BUCKET_POLICY, "nothing denies requests made without TLS"),
])
def test_the_programs_bucket_without_a_configuration(prod_run: Any, prod_pack: Any, dropped: str | None,
                                                     expect: str | None) -> None:
    """The program cannot leave one out; the real run minus one resource, through the Analyzer protocol, shows the
    stack rule links the program's resources (property dependencies in the engine's wire form)."""
    resources = [r for r in prod_run.engine_resources if r.type != dropped]
    found = [v for v in prod_pack.analyze_stack(resources, stack_urn=prod_run.stack_urn)
             if v.policy == "stack-bucket-safeguards"]
    if expect is None:
        assert found == []
    else:
        assert [(v.level, v.urn.rsplit("::", 1)[-1]) for v in found] == [(M, "output-bucket")]
        assert expect in found[0].message


# (rule, compliant) of every case above, for the pack-wide check that each rule has both kinds.
RULE_CASES: list[tuple[str, bool]] = [
    *[(rule, expect is None) for rule, _, _, _, expect in CASES],
    ("s3-bucket-protect", True), ("s3-bucket-protect", False),  # test_bucket_protect
    *[("stack-bucket-safeguards", expect is None) for _, _, expect in STACK_CASES],
]


def test_every_rule_has_compliant_and_violating_cases() -> None:
    assert {rule for rule, _ in RULE_CASES} == set(LEVELS)
    for rule in LEVELS:
        assert {compliant for name, compliant in RULE_CASES if name == rule} == {True, False}, rule


_FUZZ_KEYS = st.sampled_from(sorted({key for _, props in BASES.values() for path in leaf_paths(props)
                                     for key in path if isinstance(key, str)} | {"expiration", "date", "versioning"}))
_FUZZ_SCALARS = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
                          st.integers(-10, 10**6), st.text(max_size=20),
                          st.sampled_from([UNKNOWN_STRING, UNKNOWN_NUMBER, UNKNOWN_BOOL, UNKNOWN_ARRAY, UNKNOWN_OBJECT,
                                           "AES256", "aws:kms", "Enabled", "BLOCK", "", "{", BUCKET_POLICY["policy"]]))
_FUZZ_VALUES = st.recursive(_FUZZ_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_FUZZ_KEYS, inner, max_size=5)), max_leaves=12)


@settings(max_examples=examples(500), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(sorted(BASES)), props=st.dictionaries(_FUZZ_KEYS, _FUZZ_VALUES, max_size=8))
def test_random_property_sets_never_crash(base: str, props: dict[str, Any]) -> None:
    """Property sets of any shape give violations naming the resource and a fix, never exceptions."""
    resource_type, _ = BASES[base]
    for rule in RESOURCE_RULES:
        for violation in run(rule, resource_type, props, protect=False):
            assert violation.message.startswith(f"{_LABELS[base]} 'res'") and "Fix: " in violation.message


def many_buckets(count: int) -> list[Any]:
    """``count`` deployed buckets, each with its four configuration resources naming it by value."""
    stack = StackBuilder()
    for index in range(count):
        name, arn = f"{NAME}-{index}", f"{ARN}-{index}"
        stack.add(s3.BUCKET, f"bucket-{index}", {**BUCKET, "bucket": name, "id": name, "arn": arn})
        for kind, props in ((s3.BUCKET_ENCRYPTION, ENCRYPTION), (s3.BUCKET_PUBLIC_ACCESS_BLOCK, PUBLIC_ACCESS_BLOCK),
                            (s3.BUCKET_VERSIONING, VERSIONING),
                            (s3.BUCKET_POLICY, {**BUCKET_POLICY, "policy": json.dumps(tls_only_policy(arn))})):
            stack.add(kind, f"{kind.rsplit(':', 1)[-1]}-{index}", {**props, "bucket": name})
    return stack.build()


def test_bucket_safeguards_do_linear_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each bucket's configurations were found by scanning every configuration: twice the buckets must cost
    about twice the work (counted, not timed)."""
    assert run_stack("stack-bucket-safeguards", many_buckets(3)) == []
    small, large = (stack_work(many_buckets(n), ["stack-bucket-safeguards"], monkeypatch) for n in (100, 200))
    assert large <= 2.2 * small, (small, large)
