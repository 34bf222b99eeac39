"""The offline plan shows the IDs, ARNs and names AWS and Pulumi would (issue 12, items 7 and 8).

Every ID- or ARN-like value in the resources' outputs and the tasks' inputs of every repo stack (and of copies in
other partitions and with other names) is checked against the shape botocore's service models give that field,
and, where a model gives an ARN no pattern, against the ARN format AWS documents for the resource type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import botocore.loaders
import pytest
import yaml
from conftest import STACKS, edit_stack

from mw import plan as planning
from mw_engine.engine import ACCOUNT_ID

UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
HEX7 = "[0-9a-f]{7}"

# (resource type, path of the value in its outputs) -> the botocore shapes (service, shape) the value must fit.
# A path step "*" is every item of a list. Task inputs are part of the task's outputs.
SSM, IAM, LOGS, SNS, S3 = "ssm", "iam", "logs", "sns", "s3"
RC = "taskInvocationParameters.runCommandParameters"
FIELDS: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("aws:ssm/maintenanceWindow:MaintenanceWindow", "id"): ((SSM, "MaintenanceWindowId"),),
    ("aws:ssm/maintenanceWindow:MaintenanceWindow", "name"): ((SSM, "MaintenanceWindowName"),),
    ("aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget", "id"): ((SSM, "MaintenanceWindowTargetId"),),
    ("aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget", "windowId"): ((SSM, "MaintenanceWindowId"),),
    ("aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget", "name"): ((SSM, "MaintenanceWindowName"),),
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", "id"): ((SSM, "MaintenanceWindowTaskId"),),
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", "windowTaskId"): ((SSM, "MaintenanceWindowTaskId"),),
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", "windowId"): ((SSM, "MaintenanceWindowId"),),
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", "name"): ((SSM, "MaintenanceWindowName"),),
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", "arn"): ((IAM, "arnType"),),
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", "taskArn"): ((SSM, "MaintenanceWindowTaskArn"),),
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", "serviceRoleArn"): ((SSM, "ServiceRole"),
                                                                              (IAM, "arnType")),
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", "targets.*.values.*"): (
        (SSM, "MaintenanceWindowTargetId"),),
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", f"{RC}.serviceRoleArn"): ((SSM, "ServiceRole"),
                                                                                    (IAM, "arnType")),
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", f"{RC}.outputS3Bucket"): ((SSM, "S3BucketName"),),
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", f"{RC}.notificationConfig.notificationArn"): (
        (SSM, "NotificationArn"), (SNS, "topicARN")),
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", f"{RC}.cloudwatchConfig.cloudwatchLogGroupName"): (
        (SSM, "CloudWatchLogGroupName"), (LOGS, "LogGroupName")),
    ("aws:ssm/patchBaseline:PatchBaseline", "id"): ((SSM, "BaselineId"),),
    ("aws:ssm/patchBaseline:PatchBaseline", "name"): ((SSM, "BaselineName"),),
    ("aws:ssm/patchBaseline:PatchBaseline", "arn"): ((IAM, "arnType"),),
    ("aws:ssm/patchGroup:PatchGroup", "baselineId"): ((SSM, "BaselineId"),),
    ("aws:ssm/patchGroup:PatchGroup", "patchGroup"): ((SSM, "PatchGroup"),),
    ("aws:ssm/patchGroup:PatchGroup", "id"): (),  # `<group>,<baseline id>`: checked in DOCUMENTED below
    ("aws:iam/role:Role", "id"): ((IAM, "roleNameType"),),
    ("aws:iam/role:Role", "name"): ((IAM, "roleNameType"),),
    ("aws:iam/role:Role", "arn"): ((IAM, "arnType"),),
    ("aws:iam/role:Role", "uniqueId"): ((IAM, "idType"),),
    ("aws:iam/role:Role", "permissionsBoundary"): ((IAM, "arnType"),),
    ("aws:iam/policy:Policy", "id"): ((IAM, "arnType"),),
    ("aws:iam/policy:Policy", "arn"): ((IAM, "arnType"),),
    ("aws:iam/policy:Policy", "name"): ((IAM, "policyNameType"),),
    ("aws:iam/policy:Policy", "policyId"): ((IAM, "idType"),),
    ("aws:iam/rolePolicy:RolePolicy", "name"): ((IAM, "policyNameType"),),
    ("aws:iam/rolePolicy:RolePolicy", "role"): ((IAM, "roleNameType"),),
    ("aws:iam/rolePolicy:RolePolicy", "id"): (),  # `<role>:<policy>`: checked in DOCUMENTED below
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "role"): ((IAM, "roleNameType"),),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "policyArn"): ((IAM, "arnType"),),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "id"): (),
    ("aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "group"): ((IAM, "groupNameType"),),
    ("aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "policyArn"): ((IAM, "arnType"),),
    ("aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "id"): (),
    ("aws:s3/bucket:Bucket", "id"): ((S3, "BucketName"), (SSM, "S3BucketName")),
    ("aws:s3/bucket:Bucket", "bucket"): ((S3, "BucketName"), (SSM, "S3BucketName")),
    ("aws:s3/bucket:Bucket", "arn"): ((IAM, "arnType"),),
    ("aws:sns/topic:Topic", "id"): ((SNS, "topicARN"),),
    ("aws:sns/topic:Topic", "arn"): ((SNS, "topicARN"),),
    ("aws:sns/topic:Topic", "name"): ((SNS, "topicName"),),
    ("aws:sns/topic:Topic", "kmsMasterKeyId"): (),  # a KMS key ID, ARN or alias the config gives
    ("aws:sns/topicPolicy:TopicPolicy", "id"): ((SNS, "topicARN"),),
    ("aws:sns/topicPolicy:TopicPolicy", "arn"): ((SNS, "topicARN"),),
    ("aws:sns/topicPolicy:TopicPolicy", "owner"): (),  # the account: checked in DOCUMENTED below
    ("aws:sns/topicSubscription:TopicSubscription", "id"): ((SNS, "subscriptionARN"),),
    ("aws:sns/topicSubscription:TopicSubscription", "arn"): ((SNS, "subscriptionARN"),),
    ("aws:sns/topicSubscription:TopicSubscription", "topic"): ((SNS, "topicARN"),),
    ("aws:sns/topicSubscription:TopicSubscription", "ownerId"): (),  # the account: checked in DOCUMENTED below
    ("aws:cloudwatch/logGroup:LogGroup", "id"): ((LOGS, "LogGroupName"),),
    ("aws:cloudwatch/logGroup:LogGroup", "name"): ((LOGS, "LogGroupName"),),
    ("aws:cloudwatch/logGroup:LogGroup", "arn"): ((LOGS, "LogGroupArn"),),
    ("aws:cloudwatch/logGroup:LogGroup", "kmsKeyId"): (),
}
for _config in ("Policy", "PublicAccessBlock", "OwnershipControls", "Versioning", "ServerSideEncryptionConfiguration",
                "LifecycleConfiguration"):
    _token = f"aws:s3/bucket{_config}:Bucket{_config}"
    FIELDS[(_token, "id")] = FIELDS[(_token, "bucket")] = ((S3, "BucketName"), (SSM, "S3BucketName"))
FIELDS[("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "rules.*.id")] = ((S3, "ID"),)

# The form AWS documents for values whose botocore shape has no pattern (ARNs above all), as regular expressions in
# which <partition>, <region> and <account> stand for the stack's: IAM User Guide "IAM identifiers" (role and policy
# ARNs with their path; unique IDs AROA/ANPA), the Service Authorization Reference's resource types for S3
# (arn:...:s3:::<bucket>), SNS (topic arn:...:sns:<region>:<account>:<name>), CloudWatch Logs (log-group:<name>) and
# Systems Manager (windowtask/<id>, patchbaseline/<id>), and the `pulumi import` IDs in pulumi-aws's docs.
IAM_NAME = r"[\w+=,.@-]+"
IAM_PATH = r"(?:/|/[!-~]+/)"
DOCUMENTED: dict[tuple[str, str], str] = {
    ("aws:ssm/maintenanceWindow:MaintenanceWindow", "id"): r"mw-[0-9a-f]{17}",
    ("aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget", "id"): UUID,
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", "id"): UUID,
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", "arn"):
        r"arn:<partition>:ssm:<region>:<account>:windowtask/" + UUID,
    ("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask", "serviceRoleArn"):
        r"arn:<partition>:iam::\d{12}:role" + IAM_PATH + IAM_NAME,
    ("aws:ssm/patchBaseline:PatchBaseline", "id"): r"pb-[0-9a-f]{17}",
    ("aws:ssm/patchBaseline:PatchBaseline", "arn"): r"arn:<partition>:ssm:<region>:<account>:patchbaseline/pb-[0-9a-f]{17}",
    ("aws:ssm/patchGroup:PatchGroup", "id"): r".+,pb-[0-9a-f]{17}",
    ("aws:iam/role:Role", "arn"): r"arn:<partition>:iam::<account>:role" + IAM_PATH + IAM_NAME,
    ("aws:iam/role:Role", "uniqueId"): r"AROA[A-Z0-9]{17}",
    ("aws:iam/policy:Policy", "arn"): r"arn:<partition>:iam::<account>:policy" + IAM_PATH + IAM_NAME,
    ("aws:iam/policy:Policy", "policyId"): r"ANPA[A-Z0-9]{17}",
    ("aws:iam/rolePolicy:RolePolicy", "id"): IAM_NAME + ":" + IAM_NAME,
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "id"): IAM_NAME + r"/arn:<partition>:iam::.+",
    ("aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "id"): IAM_NAME + r"/arn:<partition>:iam::.+",
    ("aws:s3/bucket:Bucket", "arn"): r"arn:<partition>:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
    ("aws:sns/topic:Topic", "arn"): r"arn:<partition>:sns:<region>:<account>:[\w-]{1,256}(?:\.fifo)?",
    ("aws:sns/topicSubscription:TopicSubscription", "arn"):
        r"arn:<partition>:sns:<region>:<account>:[\w-]{1,256}:" + UUID,
    ("aws:sns/topicSubscription:TopicSubscription", "ownerId"): r"<account>",
    ("aws:sns/topicPolicy:TopicPolicy", "owner"): r"<account>",
    ("aws:cloudwatch/logGroup:LogGroup", "arn"): r"arn:<partition>:logs:<region>:<account>:log-group:[\w#./-]+",
}
# Values that must equal another value of the same resource: an S3 bucket's ID is its name, a topic's ID its ARN.
SAME: dict[str, tuple[tuple[str, str], ...]] = {
    "aws:s3/bucket:Bucket": (("id", "bucket"),),
    "aws:iam/role:Role": (("id", "name"),),
    "aws:iam/policy:Policy": (("id", "arn"),),
    "aws:sns/topic:Topic": (("id", "arn"),),
    "aws:sns/topicSubscription:TopicSubscription": (("id", "arn"),),
    "aws:cloudwatch/logGroup:LogGroup": (("id", "name"),),
    "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask": (("id", "windowTaskId"),),
}
# The input that holds each type's physical name (pulumi-aws generates it when the program does not set it).
NAME_INPUT = {"aws:s3/bucket:Bucket": "bucket", **{t: "name" for t in (
    "aws:iam/role:Role", "aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:sns/topic:Topic",
    "aws:cloudwatch/logGroup:LogGroup", "aws:ssm/maintenanceWindow:MaintenanceWindow",
    "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget", "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask",
    "aws:ssm/patchBaseline:PatchBaseline")}}
# What an ID or ARN looks like by its key; every such value must be listed in FIELDS, so none goes unchecked.
ID_LIKE = re.compile(r"^(id|arn)$|(Id|Ids|Arn|ARN)$")
# botocore patterns are Java regular expressions: the Unicode classes they use, in Python's `re` (they appear inside
# character classes, so no nested set: letters become \w, which only adds digits and "_", allowed there anyway).
_JAVA_CLASSES = {r"\p{L}": r"\w", r"\p{N}": r"\d", r"\p{Z}": r"\s"}


@cache
def _shape(service: str, name: str) -> dict[str, Any]:
    model = botocore.loaders.Loader().load_service_model(service, "service-2")
    return model["shapes"][name]


def _fits(value: str, service: str, name: str) -> str | None:
    """Why ``value`` does not fit the botocore shape, or None."""
    shape = _shape(service, name)
    assert shape["type"] == "string", (service, name)
    if len(value) < shape.get("min", 0) or len(value) > shape.get("max", len(value)):
        return f"length {len(value)} outside {shape.get('min', 0)}..{shape.get('max')}"
    pattern = shape.get("pattern")
    if pattern is not None:
        for java, python in _JAVA_CLASSES.items():
            pattern = pattern.replace(java, python)
        # AWS matches the whole value, anchored or not.
        if not re.fullmatch(pattern.removeprefix("^").removesuffix("$"), value):
            return f"does not match {shape['pattern']}"
    return None


def _walk(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, (*path, "*"))
    else:
        yield path, value


def _field(resource: Any, path: tuple[str, ...]) -> tuple[tuple[str, str], ...] | None:
    """The FIELDS entry of a value, or None."""
    return FIELDS.get((resource.type, ".".join(path)))


def _check_ids(result: planning.Plan, region: str, partition: str) -> int:
    """Check every ID-like value; returns how many values were checked."""
    checked, problems = 0, []
    fill = {"<partition>": re.escape(partition), "<region>": re.escape(region), "<account>": ACCOUNT_ID}
    for resource in result.run.resources:
        if not resource.custom or resource.type.startswith("pulumi:providers:"):
            continue  # a provider's state is its config (issue 16's explicit providers); its ID unknown in a preview
        # Each resource in its own account and region (issue 16: explicit providers per member account).
        fill = {**fill, "<region>": re.escape(resource.region or region), "<account>": resource.account or ACCOUNT_ID}
        assert (resource.type, "id") in FIELDS, f"{resource.type}: a type this test does not know"
        target_ids = {v for t in resource.outputs.get("targets") or [] if t.get("key") == "WindowTargetIds"
                      for v in t.get("values", [])}
        for path, value in _walk(resource.outputs):
            shapes = _field(resource, path)
            key = ".".join(path)
            if shapes is None:
                if ID_LIKE.search(path[-1]) and value is not None:
                    problems.append(f"{resource.type} {resource.name}: {key}={value!r} is not checked")
                continue
            if key == "targets.*.values.*" and value not in target_ids:
                continue  # instance IDs of an InstanceIds target
            assert isinstance(value, str), (resource.name, key, value)
            checked += 1
            for service, shape in shapes:
                why = _fits(value, service, shape)
                if why:
                    problems.append(f"{resource.type} {resource.name}: {key}={value!r} ({service} {shape}): {why}")
            documented = DOCUMENTED.get((resource.type, key))
            if documented:
                for placeholder, actual in fill.items():
                    documented = documented.replace(placeholder, actual)
                if not re.fullmatch(documented, value):
                    problems.append(f"{resource.type} {resource.name}: {key}={value!r} is not of the documented "
                                    f"form {documented}")
        for key, other in SAME.get(resource.type, ()):
            if resource.outputs.get(key) != resource.outputs.get(other):
                problems.append(f"{resource.type} {resource.name}: {key} {resource.outputs.get(key)!r} is not its "
                                f"{other} {resource.outputs.get(other)!r}")
    assert not problems, "\n".join(problems)
    return checked


def _stack_config(project: Path, stack: str) -> dict[str, Any]:
    return yaml.safe_load((project / f"Pulumi.{stack}.yaml").read_text())["config"]


def _set_bucket_name(config: dict[str, Any]) -> None:
    config["maintenance-windows:outputBucket"]["bucketName"] = "acme-prod-patch-output"


def _in_region(region: str):
    def edit(config: dict[str, Any]) -> None:
        config["aws:region"] = region

    return edit


def _unnamed(config: dict[str, Any]) -> None:
    # Nothing named in config: Pulumi generates the role's and the policy's names (and the bucket's, topic's).
    config["maintenance-windows:serviceRole"].pop("name")
    config["maintenance-windows:passRole"].pop("policyName")


# (stack, edit of a copy, region, partition); None: the repo's stack file as it is.
CASES = [*(pytest.param(stack, None, "us-east-1", "aws", id=stack) for stack in STACKS),
         pytest.param("prod", _set_bucket_name, "us-east-1", "aws", id="prod-bucket-name"),
         pytest.param("prod", _unnamed, "us-east-1", "aws", id="prod-unnamed"),
         pytest.param("prod", _in_region("cn-north-1"), "cn-north-1", "aws-cn", id="prod-china"),
         pytest.param("prod", _in_region("us-gov-west-1"), "us-gov-west-1", "aws-us-gov", id="prod-govcloud")]


@pytest.mark.parametrize(("stack", "edit", "region", "partition"), CASES)
def test_every_id_and_arn_in_the_plan_has_the_form_aws_gives_it(project, stack, edit, region, partition):
    if edit is not None:
        edit_stack(project, stack, edit)
    assert _stack_config(project, stack)["aws:region"] == region
    result = planning.plan(stack, project_dir=project, policies=False)
    assert _check_ids(result, region, partition) > 10
    # The JSON a user's tooling reads carries the same names the pack and the outputs do.
    document = result.to_json()
    by_urn = {r.urn: r for r in result.run.resources}
    for entry in document["resources"][1:]:
        resource = by_urn[entry["urn"]]
        assert entry["inputs"] == resource.inputs
        name_key = NAME_INPUT.get(resource.type)
        if name_key is not None:
            # Given or generated, the name is an input (the pack sees it) and an output.
            assert resource.properties[name_key] == resource.inputs[name_key] == resource.outputs[name_key]


def test_a_named_output_bucket_is_the_bucket_the_plan_and_the_pack_see(project):
    """Issue 12 item 7: with outputBucket.bucketName set, the bucket is that name everywhere and prod passes."""
    edit_stack(project, "prod", _set_bucket_name)
    result = planning.plan("prod", project_dir=project, policies=True)
    assert [v for v in result.violations if v.policy == "stack-bucket-safeguards"] == []
    assert result.exit_code == 0, result.violations
    (bucket,) = [r for r in result.run.resources if r.type == "aws:s3/bucket:Bucket"]
    assert bucket.id == bucket.outputs["bucket"] == "acme-prod-patch-output"
    assert bucket.outputs["arn"] == "arn:aws:s3:::acme-prod-patch-output"
    tasks = [r for r in result.run.resources if r.type == "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"]
    assert tasks and all(t.inputs["taskInvocationParameters"]["runCommandParameters"]["outputS3Bucket"]
                         == "acme-prod-patch-output" for t in tasks)
    configurations = [r for r in result.run.resources if r.type.startswith("aws:s3/bucket") and r is not bucket]
    assert len(configurations) == 6 and all(r.id == r.inputs["bucket"] == bucket.id for r in configurations)
    (policy,) = [r for r in configurations if r.type == "aws:s3/bucketPolicy:BucketPolicy"]
    assert json.loads(policy.inputs["policy"])["Statement"][0]["Resource"] == [
        "arn:aws:s3:::acme-prod-patch-output", "arn:aws:s3:::acme-prod-patch-output/*"]


def test_names_pulumi_generates_are_in_the_plan_the_pack_and_the_outputs_alike(project):
    edit_stack(project, "prod", _unnamed)
    first = planning.plan("prod", project_dir=project, policies=False)
    generated = {"aws:iam/role:Role": ("name", "service-role"), "aws:iam/policy:Policy": ("name", "pass-role"),
                 "aws:s3/bucket:Bucket": ("bucket", "output-bucket"), "aws:sns/topic:Topic": ("name", "notifications")}
    names = {}
    for resource in first.run.resources:
        if resource.type in generated:
            key, logical = generated[resource.type]
            assert re.fullmatch(rf"{logical}-{HEX7}", resource.inputs[key]), resource.inputs[key]
            assert resource.properties[key] == resource.inputs[key]  # what Analyze sends the pack
            names[resource.type] = resource.inputs[key]
    assert set(names) == set(generated)
    # The role's generated name is in its ARN, in every task's role and in the PassRole policy.
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{names['aws:iam/role:Role']}"
    assert first.run.outputs["serviceRoleArn"] == role_arn
    # Same config, same plan.
    again = planning.plan("prod", project_dir=project, policies=False)
    assert again.to_json()["resources"] == first.to_json()["resources"]
