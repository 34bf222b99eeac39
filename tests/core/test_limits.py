"""mw_core.limits against botocore's SSM service model, so that drift on AWS's side fails here.

Every constant that names a ``shape`` must agree with that shape's min, max, pattern and enum; every
request field the project sets must use the shape its constant names; constants the model cannot back
(quotas, S3 and Step Functions naming rules) must cite their source.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from mw_core import limits
from mw_core.limits import Limit, check

_MODEL_KIND = {"string": "string", "blob": "blob", "integer": "integer", "list": "list", "map": "map"}


@cache
def model() -> dict[str, Any]:
    import botocore.loaders

    return botocore.loaders.Loader().load_service_model("ssm", "service-2")


def shape(name: str) -> dict[str, Any]:
    shapes = model()["shapes"]
    assert name in shapes, f"shape {name} is not in the SSM model"
    return shapes[name]


CONSTANTS = limits.all_limits()
FROM_MODEL = {name: limit for name, limit in CONSTANTS.items() if limit.shape is not None}


def test_constants_exist() -> None:
    assert len(FROM_MODEL) >= 40
    assert limits.MAX_CONCURRENCY_PATTERN is limits.MAX_CONCURRENCY.pattern
    assert limits.MAX_ERRORS_PATTERN is limits.MAX_ERRORS.pattern


@pytest.mark.parametrize("name", sorted(FROM_MODEL))
def test_constant_matches_botocore(name: str) -> None:
    limit = FROM_MODEL[name]
    assert limit.shape is not None
    spec = shape(limit.shape)
    if limit.kind == "enum":
        assert spec["type"] == "string"
        assert tuple(spec["enum"]) == limit.values
        return
    assert spec["type"] == _MODEL_KIND[limit.kind], (name, spec["type"])
    assert "enum" not in spec, name
    assert spec.get("min") == limit.min, (name, "min")
    assert spec.get("max") == limit.max, (name, "max")
    assert spec.get("pattern") == limit.aws_pattern, (name, "pattern")


# Which request field uses which constant: (structure or operation input, member) -> constant name.
FIELDS: list[tuple[str, str, str]] = [
    ("CreateMaintenanceWindow", "Name", "WINDOW_NAME"),
    ("CreateMaintenanceWindow", "Description", "WINDOW_DESCRIPTION"),
    ("CreateMaintenanceWindow", "Schedule", "WINDOW_SCHEDULE"),
    ("CreateMaintenanceWindow", "Duration", "WINDOW_DURATION_HOURS"),
    ("CreateMaintenanceWindow", "Cutoff", "WINDOW_CUTOFF"),
    ("CreateMaintenanceWindow", "ScheduleOffset", "WINDOW_OFFSET"),
    ("RegisterTargetWithMaintenanceWindow", "WindowId", "WINDOW_ID"),
    ("RegisterTargetWithMaintenanceWindow", "ResourceType", "WINDOW_RESOURCE_TYPE"),
    ("RegisterTargetWithMaintenanceWindow", "Targets", "TARGETS"),
    ("RegisterTargetWithMaintenanceWindow", "OwnerInformation", "OWNER_INFORMATION"),
    ("RegisterTargetWithMaintenanceWindow", "Name", "WINDOW_NAME"),
    ("RegisterTargetWithMaintenanceWindow", "Description", "WINDOW_DESCRIPTION"),
    ("Target", "Key", "TARGET_KEY"),
    ("Target", "Values", "TARGET_VALUES"),
    ("RegisterTaskWithMaintenanceWindow", "WindowId", "WINDOW_ID"),
    ("RegisterTaskWithMaintenanceWindow", "Targets", "TASK_TARGETS"),
    ("RegisterTaskWithMaintenanceWindow", "TaskArn", "TASK_ARN"),
    ("RegisterTaskWithMaintenanceWindow", "TaskType", "TASK_TYPE"),
    ("RegisterTaskWithMaintenanceWindow", "Priority", "TASK_PRIORITY"),
    ("RegisterTaskWithMaintenanceWindow", "MaxConcurrency", "MAX_CONCURRENCY"),
    ("RegisterTaskWithMaintenanceWindow", "MaxErrors", "MAX_ERRORS"),
    ("RegisterTaskWithMaintenanceWindow", "Name", "WINDOW_NAME"),
    ("RegisterTaskWithMaintenanceWindow", "Description", "WINDOW_DESCRIPTION"),
    ("RegisterTaskWithMaintenanceWindow", "CutoffBehavior", "TASK_CUTOFF_BEHAVIOR"),
    ("MaintenanceWindowRunCommandParameters", "TimeoutSeconds", "TIMEOUT_SECONDS"),
    ("MaintenanceWindowRunCommandParameters", "Comment", "COMMENT"),
    ("MaintenanceWindowRunCommandParameters", "DocumentHash", "DOCUMENT_HASH"),
    ("MaintenanceWindowRunCommandParameters", "DocumentHashType", "DOCUMENT_HASH_TYPE"),
    ("MaintenanceWindowRunCommandParameters", "DocumentVersion", "DOCUMENT_VERSION"),
    ("MaintenanceWindowRunCommandParameters", "OutputS3BucketName", "S3_BUCKET_NAME"),
    ("MaintenanceWindowRunCommandParameters", "OutputS3KeyPrefix", "S3_KEY_PREFIX"),
    ("CloudWatchOutputConfig", "CloudWatchLogGroupName", "CLOUDWATCH_LOG_GROUP_NAME"),
    ("NotificationConfig", "NotificationType", "NOTIFICATION_TYPE"),
    ("MaintenanceWindowAutomationParameters", "DocumentVersion", "DOCUMENT_VERSION"),
    ("MaintenanceWindowAutomationParameters", "Parameters", "AUTOMATION_PARAMETER_MAP"),
    ("MaintenanceWindowLambdaParameters", "Payload", "LAMBDA_PAYLOAD"),
    ("MaintenanceWindowLambdaParameters", "ClientContext", "LAMBDA_CLIENT_CONTEXT"),
    ("MaintenanceWindowLambdaParameters", "Qualifier", "LAMBDA_QUALIFIER"),
    ("MaintenanceWindowStepFunctionsParameters", "Input", "STEP_FUNCTIONS_INPUT"),
    ("MaintenanceWindowStepFunctionsParameters", "Name", "STEP_FUNCTIONS_NAME"),
    ("CreatePatchBaseline", "Name", "BASELINE_NAME"),
    ("CreatePatchBaseline", "Description", "BASELINE_DESCRIPTION"),
    ("CreatePatchBaseline", "OperatingSystem", "OPERATING_SYSTEM"),
    ("CreatePatchBaseline", "ApprovedPatches", "PATCH_ID_LIST"),
    ("CreatePatchBaseline", "RejectedPatches", "PATCH_ID_LIST"),
    ("CreatePatchBaseline", "RejectedPatchesAction", "PATCH_ACTION"),
    ("PatchRuleGroup", "PatchRules", "PATCH_RULES"),
    ("PatchRule", "ApproveAfterDays", "APPROVE_AFTER_DAYS"),
    ("PatchRule", "ComplianceLevel", "PATCH_COMPLIANCE_LEVEL"),
    ("PatchFilterGroup", "PatchFilters", "PATCH_FILTERS"),
    ("PatchFilter", "Key", "PATCH_FILTER_KEY"),
    ("PatchFilter", "Values", "PATCH_FILTER_VALUES"),
    ("RegisterPatchBaselineForPatchGroup", "PatchGroup", "PATCH_GROUP"),
    ("Tag", "Key", "TAG_KEY"),
    ("Tag", "Value", "TAG_VALUE"),
    ("SendCommandRequest", "DocumentName", "DOCUMENT_ARN"),
    ("StartAutomationExecutionRequest", "DocumentName", "DOCUMENT_ARN"),
]
# Shapes reached through a list or map rather than a structure member.
ELEMENTS: list[tuple[str, str, str]] = [
    ("NotificationEventList", "member", "NOTIFICATION_EVENT"),
    ("AutomationParameterMap", "key", "AUTOMATION_PARAMETER_KEY"),
    ("AutomationParameterMap", "value", "AUTOMATION_PARAMETER_VALUE_LIST"),
    ("AutomationParameterValueList", "member", "AUTOMATION_PARAMETER_VALUE"),
    ("TargetValues", "member", None),  # TargetValue: a string without limits
]


def _structure(name: str) -> dict[str, Any]:
    operations = model()["operations"]
    if name in operations:
        return shape(operations[name]["input"]["shape"])
    return shape(name)


@pytest.mark.parametrize(("structure", "member", "constant"), FIELDS, ids=[f"{s}.{m}" for s, m, _ in FIELDS])
def test_field_uses_the_constants_shape(structure: str, member: str, constant: str) -> None:
    members = _structure(structure)["members"]
    assert member in members, f"{structure} has no member {member}"
    assert members[member]["shape"] == CONSTANTS[constant].shape


@pytest.mark.parametrize(("container", "part", "constant"), ELEMENTS, ids=[f"{c}.{p}" for c, p, _ in ELEMENTS])
def test_element_uses_the_constants_shape(container: str, part: str, constant: str | None) -> None:
    element = shape(container)[part]["shape"]
    if constant is None:
        assert not {"min", "max", "pattern", "enum"} & set(shape(element)), element
    else:
        assert element == CONSTANTS[constant].shape


def test_every_model_constant_is_tied_to_a_field() -> None:
    used = {c for _, _, c in FIELDS} | {c for _, _, c in ELEMENTS if c}
    untied = set(FROM_MODEL) - used - {"WINDOW_TARGET_ID", "INSTANCE_ID"}
    assert not untied, f"constants not tied to any request field: {sorted(untied)}"


def test_ids_are_the_models_id_shapes() -> None:
    # Values of the Targets pairs: window target IDs and instance IDs.
    assert shape("MaintenanceWindowTarget")["members"]["WindowTargetId"]["shape"] == limits.WINDOW_TARGET_ID.shape
    assert shape("InstanceInformation")["members"]["InstanceId"]["shape"] == limits.INSTANCE_ID.shape


@pytest.mark.parametrize("name", sorted(CONSTANTS))
def test_extra_rules_cite_their_source(name: str) -> None:
    """What the model does not say must say where it comes from; a translated \\p pattern is not extra."""
    limit = CONSTANTS[name]
    extra = limit.shape is None or (limit.python_pattern is not None and limit.aws_pattern is None)
    if extra:
        assert limit.source, f"{name} needs a source"
    else:
        assert not limit.source, f"{name} comes from the model; source is for the documentation"


def test_doc_only_limits() -> None:
    # The quota, from the documentation (and this project's shared notes): 10 window targets per task.
    assert limits.TASK_WINDOW_TARGET_IDS.shape is None and limits.TASK_WINDOW_TARGET_IDS.max == 10
    # 4096 bytes: the model's blob max for the Lambda payload (blob sizes are bytes).
    assert shape("MaintenanceWindowLambdaPayload")["type"] == "blob"


# --- the Java-to-Python pattern translation ----------------------------------------------------------

UNICODE_CLASS_LIMITS = sorted(name for name, limit in CONSTANTS.items() if limit.aws_pattern and "\\p{" in
                              limit.aws_pattern)


def _java_class(aws_pattern: str) -> Callable[[str], bool]:
    """The model's ``[\\p{L}\\p{Z}\\p{N}...]*`` patterns (with literal alternatives) as a predicate that evaluates
    them with Unicode categories the way Java's \\p{L}, \\p{Z}, \\p{N} classes match."""
    head, *alternatives = aws_pattern.split("|")
    found = re.search(r"\\p\{N\}(.*?)\]", head)
    assert found is not None, aws_pattern
    extras = found.group(1).replace("\\-", "-")
    category = unicodedata.category

    def one(ch: str) -> bool:
        return category(ch)[0] in "LZN" or ch in extras

    def matches(value: str) -> bool:
        return value in alternatives or all(map(one, value))

    return matches


def _java_eval(aws_pattern: str, value: str) -> bool:
    return _java_class(aws_pattern)(value)


def test_unicode_class_limits_are_found() -> None:
    assert {"TARGET_KEY", "PATCH_GROUP"} <= set(UNICODE_CLASS_LIMITS)


@settings(max_examples=examples(300), deadline=None)
@given(name=st.sampled_from(UNICODE_CLASS_LIMITS),
       value=st.text(st.one_of(st.characters(), st.sampled_from(list("_.:/=+-@$,\t\u00a0\u2028"))), max_size=20))
def test_unicode_class_translation_agrees_with_categories(name: str, value: str) -> None:
    limit = CONSTANTS[name]
    assert limit.pattern is not None and limit.aws_pattern is not None
    assert (limit.pattern.fullmatch(value) is not None) == _java_eval(limit.aws_pattern, value)


@pytest.mark.parametrize("value", ["tag:Name", "tag:Équipe", "tag:名前", "tag:a b", "tag-key", "tag:x\u00a0y",
                                   "resource-groups:Name", "tag:a$b", "tag:a\tb", "tag:a+b", "tag:a,b"])
def test_target_key_examples(value: str) -> None:
    assert limits.TARGET_KEY.aws_pattern is not None
    assert (check(limits.TARGET_KEY, value) is None) == _java_eval(limits.TARGET_KEY.aws_pattern, value)


def test_java_word_class_is_ascii() -> None:
    """Java's \\w is ASCII-only: a non-ASCII letter is not part of an instance ID."""
    assert check(limits.INSTANCE_ID, "i-0123456789abcdef0") is None
    assert check(limits.INSTANCE_ID, "i-0123456é") is not None


def test_patterns_compile_as_python() -> None:
    for name, limit in CONSTANTS.items():
        if limit.aws_pattern and limit.python_pattern is None:
            assert limit.pattern is not None and limit.pattern.pattern == limit.aws_pattern, name


# --- check() --------------------------------------------------------------------------------------

CHECKS: list[tuple[str, Any, str | None]] = [
    ("WINDOW_NAME", "PatchTestWorkloadWebServers", None),
    ("WINDOW_NAME", "ab", "'ab' is 2 characters long (allowed: 3 to 128 characters"),
    ("WINDOW_NAME", "a b c", "'a b c' is not allowed"),
    ("WINDOW_NAME", 3, "expected a string, got 3"),
    ("WINDOW_DURATION_HOURS", 24.0, None),
    ("WINDOW_DURATION_HOURS", 3, None),
    ("WINDOW_DURATION_HOURS", 25.0, "25 is out of range (allowed: 1 to 24)"),
    ("WINDOW_DURATION_HOURS", 1.5, "expected a whole number, got 1.5"),
    ("WINDOW_DURATION_HOURS", True, "expected a number, got true"),
    ("WINDOW_DURATION_HOURS", "3", "expected a number, got '3'"),
    ("WINDOW_CUTOFF", 0.0, None),
    ("TASK_PRIORITY", 0, None),
    ("TASK_PRIORITY", -1, "-1 is out of range (allowed: at least 0)"),
    ("MAX_CONCURRENCY", "1", None),
    ("MAX_CONCURRENCY", "100%", None),
    ("MAX_CONCURRENCY", "9999999", None),
    ("MAX_CONCURRENCY", "0", "'0' is not allowed"),
    ("MAX_CONCURRENCY", "0%", "'0%' is not allowed"),
    ("MAX_CONCURRENCY", "10000000", "is 8 characters long"),
    ("MAX_ERRORS", "0", None),
    ("MAX_ERRORS", "0%", None),
    ("MAX_ERRORS", "100%", None),
    ("MAX_ERRORS", "101%", "'101%' is not allowed"),
    ("MAX_ERRORS", "-1", "'-1' is not allowed"),
    ("TASK_TYPE", "RUN_COMMAND", None),
    ("TASK_TYPE", "run_command", "'run_command' is not allowed (allowed: one of RUN_COMMAND"),
    ("TARGETS", [{}] * 5, None),
    ("TARGETS", [{}] * 6, "6 items (allowed: 0 to 5 items)"),
    ("TARGET_VALUES", ["v"] * 50, None),
    ("TARGET_VALUES", ["v"] * 51, "51 items"),
    ("TARGET_VALUES", "v", "expected a list, got 'v'"),
    ("PATCH_FILTERS", {"PRODUCT": ["*"], "CLASSIFICATION": ["Security"]}, None),
    ("PATCH_FILTERS", {f"k{i}": [] for i in range(5)}, "5 items (allowed: 0 to 4 items)"),
    ("PATCH_GROUP", "web servers:prod", None),
    ("PATCH_GROUP", "web$", "is not allowed"),
    ("AUTOMATION_PARAMETER_MAP", {}, "0 entries (allowed: 1 to 200 entries)"),
    ("LAMBDA_PAYLOAD", "x" * 4096, None),
    ("LAMBDA_PAYLOAD", "€" * 1366, "4098 bytes long"),
    ("STEP_FUNCTIONS_INPUT", "€" * 4096, None),
    ("DOCUMENT_VERSION", "$LATEST", None),
    ("DOCUMENT_VERSION", "$DEFAULT", None),
    ("DOCUMENT_VERSION", "17", None),
    ("DOCUMENT_VERSION", "x$LATEST", "is not allowed"),
    ("DOCUMENT_VERSION", "017", "is not allowed"),
    ("S3_BUCKET_NAME", "mw-logs.prod", None),
    ("S3_BUCKET_NAME", "a.b", None),
    ("S3_BUCKET_NAME", "-mw", "is not allowed"),
    ("S3_BUCKET_NAME", "mw-", "is not allowed"),
    ("S3_BUCKET_NAME", "mw_logs", "is not allowed"),
    ("S3_BUCKET_NAME", "sthree-logs", "is not allowed"),
    ("S3_BUCKET_NAME", "amzn-s3-demo-logs", "is not allowed"),
    ("S3_BUCKET_NAME", "logs--x-s3", "is not allowed"),
    ("S3_BUCKET_NAME", "logs.mrap", "is not allowed"),
    ("S3_BUCKET_NAME", "192.168.5.4", "is not allowed"),
    ("S3_BUCKET_NAME", "192.168.5.400x", None),
    ("STEP_FUNCTIONS_NAME", "nightly_run-1.2", None),
    ("STEP_FUNCTIONS_NAME", "a{b}", "is not allowed"),
    ("STEP_FUNCTIONS_NAME", "a\u0085b", "is not allowed"),
    ("STEP_FUNCTIONS_NAME", "", "is 0 characters long"),
    ("WINDOW_ID", "mw-0c50858d01234abcd", None),
    ("WINDOW_ID", "mw-0C50858D01234ABCD", "is not allowed"),
    ("WINDOW_TARGET_ID", "e32eecb2-646c-4f4b-8ed1-205fb0123456", None),
]


@pytest.mark.parametrize(("name", "value", "expect"), CHECKS, ids=[f"{n}:{v!r:.20}" for n, v, _ in CHECKS])
def test_check(name: str, value: Any, expect: str | None) -> None:
    problem = check(CONSTANTS[name], value)
    if expect is None:
        assert problem is None
    else:
        assert problem is not None and expect in problem, problem


def test_allowed_texts() -> None:
    assert limits.WINDOW_DURATION_HOURS.allowed == "1 to 24"
    assert limits.TASK_PRIORITY.allowed == "at least 0"
    assert limits.WINDOW_ID.allowed == "20 characters, matching ^mw-[0-9a-f]{17}$"
    assert limits.NOTIFICATION_TYPE.allowed == "one of Command, Invocation"
    assert "lowercase letters" in limits.S3_BUCKET_NAME.allowed


def test_limit_validation() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        Limit("x", "float")
    with pytest.raises(ValueError, match="needs a python_pattern"):
        Limit("x", "string", aws_pattern=r"\p{L}+")


@pytest.mark.slow  # 1.1 million code points a pattern, about a second each: CI runs it, `make test` does not
@pytest.mark.parametrize("name", UNICODE_CLASS_LIMITS)
def test_unicode_class_translation_for_every_code_point(name: str) -> None:
    """Exhaustive over single characters: the Python class and Java's categories accept the same ones."""
    limit = CONSTANTS[name]
    assert limit.pattern is not None and limit.aws_pattern is not None
    python, java = limit.pattern.fullmatch, _java_class(limit.aws_pattern)  # the model's pattern parsed once
    disagree = [
        hex(cp) for cp in range(0x110000)
        if not 0xD800 <= cp <= 0xDFFF and (python(chr(cp)) is not None) != java(chr(cp))
    ]
    assert disagree == []


@pytest.mark.parametrize(("value", "problem"), [
    (2**31 - 1, None),
    (2**31, "2147483648 is out of range (allowed: at least 0, and at most 2,147,483,647: AWS's integers are 32-bit)"),
    (1e308, "(309 digits) is out of range"),
    (-1, "-1 is out of range (allowed: at least 0)"),
])
def test_integers_are_32_bit(value, problem):
    found = check(limits.TASK_PRIORITY, value)
    assert (found is None) if problem is None else (problem in found), found


@pytest.mark.parametrize(("tags", "reserved", "problems"), [
    ({"Env": "prod", "Team": "", "Name": "web 1/@x"}, True, []),
    ({"aws:cloudformation:stack-name": "x"}, True, ["starts with 'aws:'"]),
    ({"AWS:Owner": "x"}, True, ["starts with 'aws:'"]),  # reserved in any case
    ({"aws:autoscaling:groupName": "web"}, False, []),  # a condition on a tag AWS itself sets
    ({"k" * 129: "v"}, True, ["is 129 characters long"]),
    ({"a\x00b": "v"}, True, ["is not allowed"]),
    ({"zero\u200bwidth": "v"}, True, ["is not allowed"]),
    ({"Env": "x\x07"}, True, ["value 'x\\x07' is not allowed"]),
    ({"Env": "v" * 257}, True, ["value 'vvv"]),
    ({"Env": 1}, True, ["value expected a string, got 1"]),
    ("Env=prod", True, ["expected a mapping of tags, got 'Env=prod'"]),
])
def test_tag_problems(tags, reserved, problems):
    found = [p for _, p in limits.tag_problems(tags, reserved=reserved)]
    assert len(found) == len(problems), found
    assert all(expected in got for expected, got in zip(problems, found, strict=True)), found


@pytest.mark.parametrize(("limit", "value", "ok"), [
    (limits.DOCUMENT_ARN, "AWS-RunPatchBaseline", True),
    (limits.DOCUMENT_ARN, "arn:aws:ssm:us-east-1:123456789012:document/Patch", True),
    (limits.DOCUMENT_ARN, "AWS RunPatchBaseline", False),
    (limits.DOCUMENT_ARN, "..", False),
    (limits.IAM_POLICY_ARN, "arn:aws:iam::aws:policy/PowerUserAccess", True),
    (limits.IAM_POLICY_ARN, "arn:aws-us-gov:iam::123456789012:policy/boundaries/MwBoundary", True),
    (limits.IAM_POLICY_ARN, "not-an-arn", False),
    (limits.IAM_POLICY_ARN, "arn:aws:iam::123456789012:role/NotAPolicy", False),
    (limits.S3_LIFECYCLE_DAYS, 365, True),
    (limits.S3_LIFECYCLE_DAYS, 0, False),
    (limits.S3_LIFECYCLE_DAYS, 3e9, False),
])
def test_values_passed_on_to_aws(limit, value, ok):
    assert (check(limit, value) is None) is ok

