"""TargetArgs.problems: tag conditions that can never match an EC2 instance, or that SSM would reject."""

from __future__ import annotations

import pytest
from mw_components.target import TargetArgs, condition_key_problem, condition_value_problem


@pytest.mark.parametrize("key", ["Env", "Patch Group", "aws:autoscaling:groupName", "AWS:cloudformation:stack-name",
                                 "名前", "k" * 128])
def test_keys_an_instance_can_have(key):
    # aws: is allowed: AWS itself sets such tags on instances (Auto Scaling, CloudFormation), and targeting them
    # is legitimate; the reserved prefix is refused only in tags the stack sets.
    assert condition_key_problem(key) is None
    assert TargetArgs("Fleet", tags={key: ("v",)}).problems() == []
    assert TargetArgs("Fleet", tag_keys=(key,)).problems() == []


@pytest.mark.parametrize(("key", "expected"), [
    ("k" * 129, "is 129 characters long (allowed: 1 to 128 characters): an EC2 tag key has at most 128 characters, "
                "so a longer condition never matches"),
    ("", "'' is 0 characters long"),
    ("Env\x07", "'Env\\x07' is not allowed (allowed: 1 to 128 characters, letters, numbers, spaces and _ . : / = + - @)"),
    ("Env\x00", "'Env\\x00' is not allowed"),
    ("Env#", "'Env#' is not allowed"),
])
def test_keys_no_instance_can_have(key, expected):
    problem = condition_key_problem(key)
    assert problem is not None and expected in problem


@pytest.mark.parametrize(("tags", "expected"), [
    ({"k" * 129: ("v",)}, "tags: tag key 'kkk"),  # too long to be a readable key path: named in the message
    ({"Env\x07": ("v",)}, "tags: tag key 'Env\\x07' is not allowed"),
    ({"Env": ("ok", "b\x00")}, "tags.Env[1]: 'b\\x00' holds a control character"),
    ({"Env": ("v" * 257,)}, "tags.Env: 'vvv"),
    ({"a+b": ("v",)}, "tags.a+b: 'tag:a+b' is not allowed"),  # SSM's TargetKey takes no +
])
def test_tag_conditions(tags, expected):
    found = [str(p) for p in TargetArgs("Fleet", tags=tags).problems()]
    assert any(p.startswith(expected) for p in found), found


def test_tag_key_conditions():
    found = [str(p) for p in TargetArgs("Fleet", tag_keys=("Patch", "k" * 129, "x\n")).problems()]
    assert [p.split(":")[0] for p in found] == ["tag_keys[1]", "tag_keys[2]"]


@pytest.mark.parametrize("value", ["", "prod", "a#b,c!", "名前", "v" * 256, "aws:managed"])
def test_values_ec2_allows(value):
    # EC2 allows any character in tags (EC2 User Guide, "Tag restrictions"): only length and control characters.
    assert condition_value_problem(value) is None


@pytest.mark.parametrize("value", ["v" * 257, "a\x00", "line\nbreak", "\x7f"])
def test_values_no_instance_can_have(value):
    assert condition_value_problem(value) is not None
