"""Values AWS rejects on any resource (issue 13): tags (aws-tags), regions (aws-region), a role's permissions
boundary (iam-permissions-boundary). Mandatory in every stack: the program's config refuses them too, but the
components can be used directly and other programs can use the pack."""

from __future__ import annotations

import json
from typing import Any

import pytest
from policy_cases.harness import (
    AWS_PROVIDER,
    UNKNOWN_OBJECT,
    UNKNOWN_STRING,
    assert_violations,
    run_resource,
    variant,
)
from policy_cases.lab import ACCOUNT, ROLE, ROLE_TYPE, TASK, TASK_TYPE, WINDOW, WINDOW_TYPE

BUCKET_TYPE = "aws:s3/bucket:Bucket"
GROUP_TYPE = "aws:autoscaling/group:Group"
COMPONENT_TYPE = "maintenance-windows:ssm:MaintenanceWindow"
PROVIDER_PROPS: dict[str, Any] = {"region": "us-east-1", "allowedAccountIds": [ACCOUNT], "version": "7.51.1"}

# (rule, id, resource type, properties, expected fragments or None when compliant)
CASES: list[tuple[str, str, str, dict[str, Any], list[str] | None]] = [
    ("aws-tags", "window", WINDOW_TYPE, WINDOW, None),
    ("aws-tags", "no-tags", TASK_TYPE, TASK, None),
    ("aws-tags", "unicode-letters-and-symbols", BUCKET_TYPE,
     {"tags": {"名前": "値", "Patch Group": "prod-canary", "a_.:/=+-@": "", "k": "v" * 256}}, None),
    ("aws-tags", "aws-inside-a-key", WINDOW_TYPE, variant(WINDOW, {"tags": {"team:aws:x": "aws"}}), None),
    ("aws-tags", "unknown-value", WINDOW_TYPE, variant(WINDOW, {"tags": {"Project": UNKNOWN_STRING}}), None),
    ("aws-tags", "unknown-tags", WINDOW_TYPE, variant(WINDOW, {"tags": UNKNOWN_OBJECT}), None),
    ("aws-tags", "list-form", GROUP_TYPE, {"tags": [{"key": "Team", "value": "ops", "propagateAtLaunch": True}]},
     None),
    ("aws-tags", "provider-default-tags", AWS_PROVIDER,
     {**PROVIDER_PROPS, "defaultTags": json.dumps({"tags": {"Project": "maintenance-windows"}})}, None),
    ("aws-tags", "reserved-prefix", WINDOW_TYPE, variant(WINDOW, {"tags": {"aws:owner": "me"}}),
     ["tags: tag 'aws:owner': 'aws:owner' starts with 'aws:', which AWS reserves for its own tags",
      "no key starting with aws:", "rename or remove the tag"]),
    ("aws-tags", "reserved-prefix-any-case", BUCKET_TYPE, {"tags": {"AWS:Owner": "me"}}, ["starts with 'aws:'"]),
    ("aws-tags", "key-of-129", WINDOW_TYPE, variant(WINDOW, {"tags": {"k" * 129: "v"}}),
     ["is 129 characters long (allowed: 1 to 128"]),
    ("aws-tags", "empty-key", ROLE_TYPE, variant(ROLE, {"tags": {"": "v"}}), ["tag '': '' is 0 characters long"]),
    ("aws-tags", "value-of-257", ROLE_TYPE, variant(ROLE, {"tags": {"k": "v" * 257}}),
     ["tag 'k': value 'vvv", "is 257 characters long"]),
    ("aws-tags", "nul-in-value", WINDOW_TYPE, variant(WINDOW, {"tags": {"Env": "prod\x00"}}),
     ["tag 'Env': value 'prod\\x00' is not allowed"]),
    ("aws-tags", "control-character-in-key", TASK_TYPE, variant(TASK, {"tags": {"Env\x07": "v"}}),
     ["tag 'Env\\x07': 'Env\\x07' is not allowed"]),
    ("aws-tags", "zero-width-space", WINDOW_TYPE, variant(WINDOW, {"tags": {"Env\u200b": "v"}}), ["is not allowed"]),
    ("aws-tags", "number-value", WINDOW_TYPE, variant(WINDOW, {"tags": {"Cost": 5.0}}),
     ["tag 'Cost': value expected a string, got 5"]),
    ("aws-tags", "list-form-reserved", GROUP_TYPE, {"tags": [{"key": "aws:x", "value": "v"}]},
     ["tag 'aws:x'"]),
    ("aws-tags", "provider-default-tags-reserved", AWS_PROVIDER,
     {**PROVIDER_PROPS, "defaultTags": json.dumps({"tags": {"aws:cost": "x"}})},
     ["AWS provider 'mw-aws': defaultTags.tags: tag 'aws:cost'"]),
    ("aws-tags", "provider-default-tags-object", AWS_PROVIDER,
     {**PROVIDER_PROPS, "defaultTags": {"tags": {"k" * 200: "x"}}}, ["200 characters long"]),
    ("aws-region", "window", WINDOW_TYPE, WINDOW, None),
    ("aws-region", "resource-region", WINDOW_TYPE, variant(WINDOW, {"region": "eu-west-1"}), None),
    ("aws-region", "china", BUCKET_TYPE, {"region": "cn-north-1"}, None),
    ("aws-region", "empty-is-the-providers", WINDOW_TYPE, variant(WINDOW, {"region": ""}), None),
    ("aws-region", "unknown", WINDOW_TYPE, variant(WINDOW, {"region": UNKNOWN_STRING}), None),
    ("aws-region", "provider", AWS_PROVIDER, PROVIDER_PROPS, None),
    ("aws-region", "provider-without-region", AWS_PROVIDER, {"version": "7.51.1"}, None),
    ("aws-region", "nowhere", WINDOW_TYPE, variant(WINDOW, {"region": "zz-nowhere-9"}),
     ["region: 'zz-nowhere-9' is not an AWS region (allowed: a region of aws, aws-cn", "set region to one of"]),
    ("aws-region", "near-miss", TASK_TYPE, variant(TASK, {"region": "us-east-7"}), ["did you mean"]),
    ("aws-region", "underscores", BUCKET_TYPE, {"region": "us_east_1"}, ["'us_east_1' is not an AWS region"]),
    ("aws-region", "number", BUCKET_TYPE, {"region": 1.0}, ["region: expected a region name, got 1"]),
    ("aws-region", "provider-nowhere", AWS_PROVIDER, {**PROVIDER_PROPS, "region": "mars-central-1"},
     ["AWS provider 'mw-aws': region: 'mars-central-1' is not an AWS region"]),
    ("iam-permissions-boundary", "none", ROLE_TYPE, ROLE, None),
    ("iam-permissions-boundary", "empty", ROLE_TYPE, variant(ROLE, {"permissionsBoundary": ""}), None),
    ("iam-permissions-boundary", "aws-managed", ROLE_TYPE,
     variant(ROLE, {"permissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess"}), None),
    ("iam-permissions-boundary", "customer-with-path", ROLE_TYPE,
     variant(ROLE, {"permissionsBoundary": f"arn:aws-us-gov:iam::{ACCOUNT}:policy/boundaries/Maintenance"}), None),
    ("iam-permissions-boundary", "unknown", ROLE_TYPE, variant(ROLE, {"permissionsBoundary": UNKNOWN_STRING}), None),
    ("iam-permissions-boundary", "not-an-arn", ROLE_TYPE, variant(ROLE, {"permissionsBoundary": "not-an-arn"}),
     ["permissionsBoundary: 'not-an-arn' is 10 characters long (allowed: 20 to 2048",
      "the ARN of a managed policy"]),
    ("iam-permissions-boundary", "a-role", ROLE_TYPE,
     variant(ROLE, {"permissionsBoundary": f"arn:aws:iam::{ACCOUNT}:role/Boundary"}),
     ["permissionsBoundary: 'arn:aws:iam::123456789012:role/Boundary' is not allowed",
      "arn:<partition>:iam::<account or aws>:policy/<path/><name>"]),
    ("iam-permissions-boundary", "wildcard", ROLE_TYPE,
     variant(ROLE, {"permissionsBoundary": "arn:aws:iam::*:policy/Boundary"}), ["is not allowed"]),
    ("iam-permissions-boundary", "number", ROLE_TYPE, variant(ROLE, {"permissionsBoundary": 5.0}),
     ["permissionsBoundary: expected a string, got 5"]),
]


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize(("rule", "case_id", "resource_type", "props", "expect"), CASES,
                         ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_aws_rule(rule: str, case_id: str, resource_type: str, props: dict[str, Any], expect: list[str] | None,
                  env: str) -> None:
    found = run_resource(rule, resource_type, props, env=env, name="mw-aws")
    if expect is None:
        assert found == []
    else:
        assert_violations(found, rule, env, expect, "mw-aws")


@pytest.mark.parametrize("rule", ["aws-tags", "aws-region"])
def test_only_aws_resources_and_the_aws_provider_are_checked(rule: str) -> None:
    bad = {"tags": {"aws:x": "\x00"}, "region": "zz-nowhere-9", "defaultTags": {"tags": {"aws:x": "y"}}}
    for resource_type in (COMPONENT_TYPE, "pulumi:providers:random", "random:index/randomId:RandomId",
                          "pulumi:pulumi:Stack"):
        assert run_resource(rule, resource_type, bad) == [], resource_type
    assert run_resource(rule, WINDOW_TYPE, bad)
    assert run_resource(rule, AWS_PROVIDER, bad)


def test_every_bad_tag_is_reported() -> None:
    found = run_resource("aws-tags", WINDOW_TYPE, variant(WINDOW, {"tags": {"aws:a": "x", "ok": "y", "b\x00": "z"}}))
    assert len(found) == 2
