"""Window target rules: compliant and non-compliant property sets in wire form, per rule."""

from __future__ import annotations

from typing import Any

import pytest
from policy_cases.harness import (
    DELETE,
    UNKNOWN_ARRAY,
    UNKNOWN_STRING,
    assert_violations,
    run_resource,
    variant,
)
from policy_cases.lab import TARGET, TARGET_TYPE

RESOURCE_GROUP = {"resourceType": "RESOURCE_GROUP",
                  "targets": [{"key": "resource-groups:Name", "values": ["web-servers"]},
                              {"key": "resource-groups:ResourceTypeFilters", "values": ["AWS::EC2::Instance"]}]}
FIVE_TAGS = [{"key": f"tag:k{i}", "values": ["v"]} for i in range(5)]

CASES: list[tuple[str, str, dict[str, Any], list[str] | None]] = [
    ("target-resource-type", "lab", {}, None),
    ("target-resource-type", "resource-group", RESOURCE_GROUP, None),
    ("target-resource-type", "filters-only", {"resourceType": "RESOURCE_GROUP",
                                              "targets": [{"key": "resource-groups:ResourceTypeFilters",
                                                           "values": ["AWS::EC2::Instance"]}]}, None),
    ("target-resource-type", "instance-ids", {"targets": [{"key": "InstanceIds", "values": ["i-0123456789abcdef0"]}]},
     None),
    ("target-resource-type", "lowercase", {"resourceType": "instance"},
     ["resourceType: 'instance' is not allowed", "INSTANCE, RESOURCE_GROUP"]),
    ("target-resource-type", "missing", {"resourceType": DELETE}, ["resourceType is not set"]),
    ("target-resource-type", "group-keys-on-instance", {"targets": RESOURCE_GROUP["targets"]},
     ["targets[0].key 'resource-groups:Name' selects RESOURCE_GROUP targets but resourceType is INSTANCE"]),
    ("target-resource-type", "tag-keys-on-group", {"resourceType": "RESOURCE_GROUP"},
     ["'tag:Workload' selects INSTANCE targets but resourceType is RESOURCE_GROUP"]),
    ("target-targets", "lab", {}, None),
    ("target-targets", "five-pairs", {"targets": FIVE_TAGS}, None),
    ("target-targets", "fifty-values", {"targets": [{"key": "tag-key", "values": [f"k{i}" for i in range(50)]}]}, None),
    ("target-targets", "hybrid-node", {"targets": [{"key": "InstanceIds", "values": ["mi-0123456789abcdef0"]}]}, None),
    ("target-targets", "unicode-tag", {"targets": [{"key": "tag:Équipe web", "values": ["Été"]}]}, None),
    ("target-targets", "six-pairs", {"targets": [*FIVE_TAGS, {"key": "tag:k5", "values": ["v"]}]},
     ["targets: 6 items", "0 to 5 items", "at most 5 tag or key/value pairs"]),
    ("target-targets", "51-values", {"targets": [{"key": "tag:Name", "values": [f"n{i}" for i in range(51)]}]},
     ["targets[0].values: 51 items", "0 to 50 items"]),
    ("target-targets", "empty-list", {"targets": []}, ["targets is a list of 0"]),
    ("target-targets", "missing", {"targets": DELETE}, ["targets is null"]),
    ("target-targets", "no-values", {"targets": [{"key": "tag:Name", "values": []}]}, ["targets[0].values is a list of 0"]),
    ("target-targets", "empty-value", {"targets": [{"key": "tag:Name", "values": [""]}]},
     ["targets[0].values[0] is ''"]),
    ("target-targets", "bare-tag", {"targets": [{"key": "tag:", "values": ["x"]}]},
     ["targets[0].key 'tag:' is not a maintenance window target key"]),
    ("target-targets", "plain-key", {"targets": [{"key": "Name", "values": ["x"]}]},
     ["'Name' is not a maintenance window target key"]),
    ("target-targets", "bad-characters", {"targets": [{"key": "tag:a$b", "values": ["x"]}]},
     ["targets[0].key: 'tag:a$b' is not allowed"]),
    ("target-targets", "long-key", {"targets": [{"key": "tag:" + "k" * 160, "values": ["x"]}]},
     ["is 164 characters long", "1 to 163"]),
    ("target-targets", "bad-instance", {"targets": [{"key": "InstanceIds", "values": ["web-1"]}]},
     ["targets[0].values[0]: 'web-1' is not allowed", "i- followed by 8 or 17"]),
    ("target-targets", "wildcard-instances", {"targets": [{"key": "InstanceIds", "values": ["*"]}]},
     ["'*' is not allowed"]),
    ("target-name-description", "lab", {}, None),
    ("target-name-description", "none", {"name": DELETE, "description": DELETE, "ownerInformation": DELETE}, None),
    ("target-name-description", "bad-name", {"name": "web servers!"}, ["name: 'web servers!' is not allowed"]),
    ("target-name-description", "long-owner", {"ownerInformation": "o" * 129},
     ["ownerInformation:", "129 characters", "1 to 128"]),
    ("target-name-description", "empty-description", {"description": ""}, ["description: '' is 0 characters"]),
]


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize(("rule", "case_id", "changes", "expect"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_target_rule(rule: str, case_id: str, changes: dict[str, Any], expect: list[str] | None, env: str) -> None:
    found = run_resource(rule, TARGET_TYPE, variant(TARGET, changes), env=env, name="web")
    if expect is None:
        assert found == []
    else:
        assert_violations(found, rule, env, expect, "web")


@pytest.mark.parametrize(
    "changes",
    [
        {"targets": UNKNOWN_ARRAY},
        {"targets.0.values": UNKNOWN_ARRAY},
        {"targets.0.values.0": UNKNOWN_STRING},
        {"targets.1.key": UNKNOWN_STRING},
        {"resourceType": UNKNOWN_STRING},
    ],
    ids=lambda c: next(iter(c)),
)
def test_target_rules_skip_unknown_values(changes: dict[str, Any]) -> None:
    props = variant(TARGET, changes)
    for rule in ("target-resource-type", "target-targets", "target-name-description"):
        assert run_resource(rule, TARGET_TYPE, props) == [], rule


def test_target_unknown_value_does_not_hide_other_problems() -> None:
    props = variant(TARGET, {"targets.0.values": UNKNOWN_ARRAY, "targets.1.values": [""]})
    found = run_resource("target-targets", TARGET_TYPE, props, name="web")
    assert_violations(found, "target-targets", "prod", ["targets[1].values[0] is ''"], "web")
