"""``mw_core.arns``: regions checked against botocore's own data, and how far a granted ARN reaches."""

from __future__ import annotations

import botocore.loaders
import pytest

from mw_core import arns


def botocore_regions() -> dict[str, set[str]]:
    loader = botocore.loaders.create_loader()
    found: dict[str, set[str]] = {}
    for partition in loader.load_data("partitions")["partitions"]:
        found.setdefault(partition["id"], set()).update(partition["regions"])
    for partition in loader.load_data("endpoints")["partitions"]:
        found.setdefault(partition["partition"], set()).update(partition["regions"])
    # aws-global, aws-cn-global, ...: endpoint names, not regions anyone deploys to.
    return {p: {r for r in regions if not r.endswith("-global")} for p, regions in found.items()}


def test_the_regions_are_botocores():
    assert {p: set(r) for p, r in arns.PARTITIONS.items()} == botocore_regions()


def test_the_dns_suffixes_are_botocores():
    partitions = botocore.loaders.create_loader().load_data("partitions")["partitions"]
    assert {p["id"]: p["outputs"]["dnsSuffix"] for p in partitions} == arns.DNS_SUFFIXES


@pytest.mark.parametrize(("region", "partition"), [
    ("us-east-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"), ("zz-nowhere-9", None)])
def test_partition_of_region(region, partition):
    assert arns.partition_of_region(region) == partition


@pytest.mark.parametrize(("region", "problem"), [
    ("eu-west-1", None),
    ("zz-nowhere-9", "'zz-nowhere-9' is not an AWS region"),
    ("us-east-9", "did you mean us-east-1 or us-east-2"),
    ("US-EAST-1", "is not an AWS region"),
    ("us east 1", "is not an AWS region"),
])
def test_region_problem(region, problem):
    found = arns.region_problem(region)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize(("account", "ok"), [
    ("123456789012", True), ("not an account", False), ("12345678901", False), ("1234567890123", False),
    ("12345678901a", False), ("*", False)])
def test_account_problem(account, ok):
    assert (arns.account_problem(account) is None) is ok


@pytest.mark.parametrize("arn", [
    "arn:aws:lambda:us-east-1:123456789012:function:Patch",
    "arn:aws:lambda:us-east-1:123456789012:function:Patch:*",  # its versions and aliases
    "arn:aws:lambda:us-east-1:123456789012:function:Patch:live",
    "arn:aws:states:us-east-1:123456789012:stateMachine:Patch",
    "arn:aws:states:us-east-1:123456789012:execution:Patch:*",  # its executions
    "arn:aws:sns:us-east-1:123456789012:alerts",
    "arn:aws:s3:::mw-output",
    "arn:aws:s3:::mw-output/*",  # the bucket's objects
    "arn:aws:s3:::mw-output/window/task/*",
    "arn:aws:iam::123456789012:role/ops/MwRole",
    "arn:aws-cn:sns:cn-north-1:123456789012:alerts",
])
def test_grants_on_one_resource(arn):
    assert arns.grant_problem(arn) is None


@pytest.mark.parametrize(("arn", "problem"), [
    ("*", "every resource of every account"),
    ("Patch", "is not an ARN"),
    ("arn:aws:lambda:*:*:function:*", "wildcard in its region"),
    ("arn:aws:lambda:us-east-1:*:function:Patch", "wildcard in its account"),
    ("arn:aws:lambda:us-east-1:12345678901?:function:Patch", "wildcard in its account"),
    ("arn:*:lambda:us-east-1:123456789012:function:Patch", "wildcard in its partition"),
    ("arn:aws:*:us-east-1:123456789012:function:Patch", "wildcard in its service"),
    ("arn:aws:lambda:us-east-1:123456789012:function:*", "wildcard in the resource's name"),
    ("arn:aws:lambda:us-east-1:123456789012:function:Patch*", "wildcard in the resource's name"),
    ("arn:aws:states:us-east-1:123456789012:stateMachine:*", "wildcard in the resource's name"),
    ("arn:aws:states:us-east-1:123456789012:execution:*:*", "wildcard in the resource's name"),
    ("arn:aws:sns:*:*:*", "wildcard in its region"),
    ("arn:aws:sns:us-east-1:123456789012:*", "wildcard in the resource's name"),
    ("arn:aws:s3:::*", "bucket ARNs carry no account"),
    ("arn:aws:s3:::mw-*/*", "bucket ARNs carry no account"),
    ("arn:aws:iam::123456789012:role/*", "wildcard in the resource's name"),
    ("arn:aws:iam::123456789012:role/ops/*", "wildcard in the resource's name"),
    ("arn:aws:lambda::123456789012:function:Patch", "names no region"),
])
def test_grants_that_reach_further(arn, problem):
    found = arns.grant_problem(arn)
    assert found is not None and problem in found, found


@pytest.mark.parametrize(("arn", "account"), [
    ("arn:aws:sns:us-east-1:123456789012:alerts", "123456789012"),
    ("arn:aws:iam::aws:policy/service-role/AmazonSSMMaintenanceWindowRole", "aws"),
    ("arn:aws:s3:::bucket", ""),
    ("not-an-arn", None),
])
def test_account_of(arn, account):
    assert arns.account_of(arn) == account
