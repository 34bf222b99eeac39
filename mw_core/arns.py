"""AWS partitions, regions, account IDs and ARNs: what they look like and how far a pattern reaches.

Pure standard library: the config, the components and the policy pack all import this module.

- :data:`REGIONS` lists every region of every partition that botocore knows; ``tests/test_arns.py`` compares
  it with botocore's ``partitions.json`` and ``endpoints.json``, so a new region fails a test instead of a
  stack.
- :func:`parse` splits an ARN into its six fields (``arn:partition:service:region:account:resource``).
- :func:`grant_problem` says why an ARN used as the ``Resource`` of a grant would reach further than one
  resource of one account in one region: ``*``, or a wildcard in the partition, region or account, or in
  the resource's own name. A wildcard is accepted only where it selects parts of one named resource (a
  Lambda function's versions and aliases, a state machine's executions, a bucket's objects).

IAM matches ``*`` (any run of characters) and ``?`` (one character) in every field of a resource ARN
("IAM JSON policy elements: Resource", IAM User Guide), so a wildcard in the region or account field
spans regions or accounts.

Usage::

    from mw_core import arns
    arns.grant_problem("arn:aws:lambda:*:*:function:*")   # "... spans every region ..."
    arns.account_of("arn:aws:sns:us-east-1:123456789012:alerts")  # "123456789012"
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ACCOUNT_ID",
    "DNS_SUFFIXES",
    "PARTITIONS",
    "REGIONS",
    "Arn",
    "account_of",
    "account_problem",
    "grant_problem",
    "has_wildcard",
    "parse",
    "partition_of_region",
    "region_problem",
]

# botocore 1.44's partitions.json and endpoints.json, without the pseudo-regions (aws-global, ...).
# tests/test_arns.py fails when botocore knows a region that is missing here, or the other way round.
PARTITIONS: dict[str, frozenset[str]] = {
    "aws": frozenset({
        "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
        "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
        "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2",
        "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1",
        "me-central-1", "me-south-1", "me-west-1", "mx-central-1", "sa-east-1", "sa-west-1", "us-east-1",
        "us-east-2", "us-west-1", "us-west-2",
    }),
    "aws-cn": frozenset({"cn-north-1", "cn-northwest-1"}),
    "aws-eusc": frozenset({"eusc-de-east-1"}),
    "aws-iso": frozenset({"us-iso-east-1", "us-iso-west-1"}),
    "aws-iso-b": frozenset({"us-isob-east-1", "us-isob-west-1"}),
    "aws-iso-e": frozenset({"eu-isoe-west-1"}),
    "aws-iso-f": frozenset({"us-isof-east-1", "us-isof-south-1"}),
    "aws-us-gov": frozenset({"us-gov-east-1", "us-gov-west-1"}),
}
REGIONS: frozenset[str] = frozenset().union(*PARTITIONS.values())
# Each partition's DNS suffix (partitions.json `outputs.dnsSuffix`), for endpoints such as ec2.<region>.<suffix>.
DNS_SUFFIXES: dict[str, str] = {
    "aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn", "aws-eusc": "amazonaws.eu", "aws-iso": "c2s.ic.gov",
    "aws-iso-b": "sc2s.sgov.gov", "aws-iso-e": "cloud.adc-e.uk", "aws-iso-f": "csp.hci.ic.gov",
    "aws-us-gov": "amazonaws.com",
}
_REGION_PARTITION = {region: partition for partition, regions in PARTITIONS.items() for region in regions}

# An AWS account ID is 12 digits (AWS Account Management Reference Guide, "View AWS account identifiers").
ACCOUNT_ID = re.compile(r"[0-9]{12}")
# A KMS key by ARN (not an alias): what an IAM grant on a key names.
KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]{1,128}")
_WILDCARDS = frozenset("*?")


def has_wildcard(text: str) -> bool:
    """Whether IAM would read ``text`` as a pattern (``*`` or ``?``)."""
    return not _WILDCARDS.isdisjoint(text)


def partition_of_region(region: str) -> str | None:
    """The partition of a known region (``cn-north-1`` -> ``aws-cn``), else None."""
    return _REGION_PARTITION.get(region)


def region_problem(region: str) -> str | None:
    """Why ``region`` is not a region AWS has, or None."""
    if region in REGIONS:
        return None
    close = sorted(r for r in REGIONS if r.split("-")[0] == region.split("-")[0])[:3]
    hint = f"; did you mean {' or '.join(close)}?" if close and len(region) < 40 else ""
    return f"{_show(region)} is not an AWS region (allowed: a region of {', '.join(sorted(PARTITIONS))}, such as " \
           f"us-east-1 or eu-west-1{hint})"


def account_problem(account: str) -> str | None:
    """Why ``account`` is not an AWS account ID, or None."""
    if ACCOUNT_ID.fullmatch(account):
        return None
    return f"{_show(account)} is not an AWS account ID (allowed: 12 digits, such as 123456789012)"


@dataclass(frozen=True, slots=True)
class Arn:
    """The six fields of an ARN; ``resource`` keeps its own ``:`` and ``/`` separators."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse(text: str) -> Arn | None:
    """``text`` as an :class:`Arn`, or None when it is not ``arn:<partition>:<service>:<region>:<account>:...``."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2] or not parts[5]:
        return None
    return Arn(*parts[1:])


def account_of(text: str) -> str | None:
    """The account field of an ARN (``aws`` for AWS managed IAM policies, ``""`` for S3), or None."""
    arn = parse(text)
    return arn.account if arn is not None else None


# Per service and resource type: how many ':'/'/'-separated parts name the resource itself (no wildcard
# allowed), after which a wildcard only selects parts of that one resource. From the Service Authorization
# Reference's ARN formats: lambda function:NAME[:QUALIFIER]; states stateMachine:NAME, execution:MACHINE:ID;
# s3 BUCKET[/KEY]; sns TOPIC; iam role/PATH/NAME and policy/PATH/NAME (no wildcard at all).
_NAMED_PREFIX = {
    ("lambda", "function"): 2,    # function:NAME, then :QUALIFIER (version or alias) may be *
    ("states", "stateMachine"): 2,  # stateMachine:NAME, then :VERSION/ALIAS
    ("states", "execution"): 2,   # execution:MACHINE, then :EXECUTION-ID may be *
}
_GLOBAL_SERVICES = frozenset({"iam", "s3"})  # ARNs without a region (and, for s3, without an account)


def grant_problem(text: str) -> str | None:
    """Why granting on ``text`` would reach beyond one resource of one account in one region, else None.

    ``*`` alone, a wildcard in the partition, service, region or account, or in the name of the resource
    (a function, state machine, topic, bucket or role name) are problems. A wildcard after the name only
    selects parts of that resource: ``function:NAME:*`` (its versions and aliases), ``execution:MACHINE:*``,
    ``BUCKET/prefix/*``. Text that is not an ARN (and not ``*``) is a problem too: IAM matches resources by ARN.
    """
    if text == "*":
        return "'*' grants on every resource of every account"
    arn = parse(text)
    if arn is None:
        return f"{_show(text)} is not an ARN (allowed: arn:<partition>:<service>:<region>:<account>:<resource>)"
    for field, value, reach in (("partition", arn.partition, "every partition"), ("service", arn.service,
                                "every service"), ("region", arn.region, "every region"),
                                ("account", arn.account, "every account")):
        if has_wildcard(value):
            return f"{_show(text)} has a wildcard in its {field} and so spans {reach}"
    if arn.service == "s3":
        bucket = arn.resource.split("/", 1)[0]
        if has_wildcard(bucket):
            return f"{_show(text)} has a wildcard in its bucket name, and bucket ARNs carry no account: it can " \
                   "match buckets of any account"
        return None
    parts = re.split(r"[:/]", arn.resource)
    kind = parts[0]
    named = _NAMED_PREFIX.get((arn.service, kind), len(parts))
    if any(has_wildcard(part) for part in parts[:named]):
        return f"{_show(text)} has a wildcard in the resource's name and so can match other resources"
    if arn.service not in _GLOBAL_SERVICES and not arn.region:
        return f"{_show(text)} names no region"
    return None


def _show(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")
