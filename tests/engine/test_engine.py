"""mw_engine.engine: running a real Pulumi program in-process against recording mocks."""

from __future__ import annotations

import gc
import json
import os
import re
import sys
from pathlib import Path

import pytest
from google.protobuf import struct_pb2

from mw_core.errors import ConfigError, MWError
from mw_core.limits import describe_value
from mw_engine.engine import (
    _KINDS,
    ACCOUNT_ID,
    UNKNOWN_ID,
    ProgramRun,
    RegisteredResource,
    _AwsMocks,
    config_to_pulumi,
    deploy_depth,
    layers,
    partition_of,
    run_program,
)

PROGRAM = Path(__file__).parent / "fixtures" / "engine" / "program"
CONFIG = {
    "aws:region": "eu-west-1",
    "fixture:name": "alpha",
    "fixture:duration": 3,
    "fixture:enabled": True,
    "fixture:schedules": ["cron(0 3 ? * MON *)", "rate(7 days)"],
    "fixture:tags": {"team": "ops", "tier": 1},
}
WINDOW_T = "aws:ssm/maintenanceWindow:MaintenanceWindow"
TARGET_T = "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget"
TASK_T = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"
ROLE_T = "aws:iam/role:Role"


def _run(stack: str = "dev", config: dict | None = None) -> ProgramRun:
    return run_program(PROGRAM, project="fixture", stack=stack, config=CONFIG if config is None else config)


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    return _run()


def _one(run: ProgramRun, type_: str) -> RegisteredResource:
    (found,) = [r for r in run.resources if r.type == type_]
    return found


def test_records_types_names_and_parents(run: ProgramRun) -> None:
    stack = "urn:pulumi:dev::fixture::pulumi:pulumi:Stack::fixture-dev"
    component = "urn:pulumi:dev::fixture::pulumi:pulumi:Stack$fixture:index:Window::alpha"
    assert run.stack_urn == stack
    assert [(r.type, r.name, r.parent, r.custom) for r in run.resources] == [
        (ROLE_T, "service-role", stack, True),
        ("fixture:index:Window", "alpha", stack, False),
        (WINDOW_T, "alpha-window", component, True),
        (TARGET_T, "alpha-target", component, True),
        (TASK_T, "alpha-patch", stack, True),
    ]
    assert _one(run, WINDOW_T).urn == (
        "urn:pulumi:dev::fixture::fixture:index:Window$aws:ssm/maintenanceWindow:MaintenanceWindow::alpha-window"
    )


def test_engine_view_has_stack_and_default_provider_first(run: ProgramRun) -> None:
    provider_urn = "urn:pulumi:dev::fixture::pulumi:providers:aws::default_" + (
        _one(run, WINDOW_T).version.replace(".", "_"))
    assert [r.urn for r in run.engine_resources[:2]] == [run.stack_urn, provider_urn]
    provider = run.providers[provider_urn]
    assert provider.inputs["region"] == "eu-west-1"
    assert provider.id == UNKNOWN_ID  # a preview has not created the provider
    for res in run.resources:
        if res.custom:
            assert res.provider == f"{provider_urn}::{UNKNOWN_ID}"
            assert run.provider_of(res) is provider
        else:
            assert res.provider == ""


def test_inputs_in_wire_form_are_camel_case(run: ProgramRun) -> None:
    window = _one(run, WINDOW_T)
    assert isinstance(window.properties, struct_pb2.Struct)
    # `name` was not set: the provider's Check generated it, and that is what the engine forwards.
    assert set(window.properties.fields) == {
        "schedule", "duration", "cutoff", "enabled", "allowUnassociatedTargets", "tags", "name"}
    assert window.properties["allowUnassociatedTargets"] is False
    inputs = dict(window.inputs)
    generated = inputs.pop("name")
    assert re.fullmatch(r"alpha-window-[0-9a-f]{7}", generated)
    assert window.properties["name"] == generated
    assert inputs == {
        "schedule": "cron(0 3 ? * MON *)", "duration": 3, "cutoff": 1, "enabled": True,
        "allowUnassociatedTargets": False, "tags": {"team": "ops", "tier": 1},
    }
    task = _one(run, TASK_T)
    assert task.inputs["targets"] == [{"key": "WindowTargetIds", "values": [_one(run, TARGET_T).id]}]
    role = _one(run, ROLE_T)
    assert task.inputs["serviceRoleArn"] == f"arn:aws:iam::123456789012:role/{role.inputs['name']}"


def test_dependencies_and_property_dependencies(run: ProgramRun) -> None:
    role, window, target, task = (_one(run, t) for t in (ROLE_T, WINDOW_T, TARGET_T, TASK_T))
    assert target.dependencies == [window.urn]
    assert target.property_dependencies["windowId"] == [window.urn]
    assert target.property_dependencies["resourceType"] == []
    # depends_on=[component] became a dependency on the component's children.
    assert task.dependencies == sorted([role.urn, window.urn, target.urn])
    assert task.property_dependencies["serviceRoleArn"] == [role.urn]
    assert task.property_dependencies["targets"] == [target.urn]
    assert window.dependencies == []


def test_options_protect_is_recorded_and_inherited(run: ProgramRun) -> None:
    assert _one(run, ROLE_T).protect is True
    assert not any(r.protect for r in run.resources if r.type != ROLE_T)
    assert not any(r.retain_on_delete for r in run.resources)


def test_config_round_trip_through_pulumi_config(run: ProgramRun) -> None:
    assert run.outputs["echo"] == {
        "name": "alpha",
        "duration": 3,
        "enabled": True,
        "schedules": ["cron(0 3 ? * MON *)", "rate(7 days)"],
        "tags": {"team": "ops", "tier": 1},
        "runs": ["alpha"],
    }


def test_config_is_encoded_as_the_cli_does() -> None:
    values, secrets = config_to_pulumi({
        "p:s": "text", "p:i": 3, "p:b": False, "p:f": 1.5, "p:whole": 2.0,
        "p:l": [1, "a", True], "p:d": {"z": 1, "a": [2.0, None]},
        "p:secret": {"secure": "v1:ciphertext"},
    })
    assert values == {
        "p:s": "text", "p:i": "3", "p:b": "false", "p:f": "1.5", "p:whole": "2",
        "p:l": '[1,"a",true]', "p:d": '{"a":[2,null],"z":1}', "p:secret": "v1:ciphertext",
    }
    assert secrets == ["p:secret"]
    with pytest.raises(MWError, match="namespaced"):
        config_to_pulumi({"region": "eu-west-1"})


def test_outputs_are_resolved_plain_values(run: ProgramRun) -> None:
    window = _one(run, WINDOW_T)
    assert run.outputs["windowId"] == window.id
    assert re.fullmatch(r"mw-[0-9a-f]{17}", window.id)
    assert "arn" not in window.outputs  # pulumi-aws has no arn output on a window
    role = _one(run, ROLE_T)
    assert re.fullmatch(r"service-role-[0-9a-f]{7}", role.inputs["name"])
    assert run.outputs["roleArn"] == f"arn:aws:iam::123456789012:role/{role.inputs['name']}"
    assert run.outputs["region"] == "eu-west-1"  # the getRegion invoke answers from aws:region
    component = _one(run, "fixture:index:Window")
    assert component.outputs == {"windowId": window.id}


def test_ids_are_deterministic(run: ProgramRun) -> None:
    again = _run()
    assert [(r.urn, r.id) for r in again.resources] == [(r.urn, r.id) for r in run.resources]
    assert again.outputs == run.outputs


def test_two_stacks_in_a_row_do_not_leak(run: ProgramRun, monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi.runtime import get_config
    from pulumi.runtime.settings import get_root_resource

    # The SDK falls back to PULUMI_CONFIG for keys the config does not set: it must not here.
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"fixture:duration": "9"}))
    path, cwd, root = list(sys.path), os.getcwd(), get_root_resource()
    other = _run("prod", {"fixture:name": "beta", "fixture:enabled": False})
    assert other.stack_urn == "urn:pulumi:prod::fixture::pulumi:pulumi:Stack::fixture-prod"
    assert all(r.urn.startswith("urn:pulumi:prod::fixture::") and "alpha" not in r.urn
               for r in other.engine_resources)
    assert len(other.resources) == len(run.resources)
    assert other.outputs["echo"] == {
        "name": "beta", "duration": 2, "enabled": False, "schedules": ["cron(0 2 ? * SUN *)"],
        "tags": {}, "runs": ["beta"],
    }
    assert other.outputs["region"] == "us-east-1"
    # Nothing of either run is left behind in this thread or process.
    assert get_config("fixture:name") is None
    # (Earlier tests may have set mocks in this thread; neither run may replace their root resource.)
    assert get_root_resource() is root
    assert sys.path == path and os.getcwd() == cwd
    assert "fixture_state" not in sys.modules
    assert os.environ["PULUMI_CONFIG"] == json.dumps({"fixture:duration": "9"})


def test_mw_error_from_the_program_propagates_as_is() -> None:
    with pytest.raises(ConfigError, match="fixture:fail: the fixture was asked to fail") as info:
        _run(config={**CONFIG, "fixture:fail": True})
    assert info.value.problems[0].path == "fixture:fail"
    assert "fixture_state" not in sys.modules
    assert _run().outputs["echo"]["runs"] == ["alpha"]  # a failed run leaves nothing behind


def test_other_errors_propagate_unchanged(tmp_path: Path) -> None:
    (tmp_path / "__main__.py").write_text("raise RuntimeError('boom')\n")
    with pytest.raises(RuntimeError, match="boom"):
        run_program(tmp_path, project="p", stack="s", config={})
    with pytest.raises(MWError, match=r"__main__\.py not found"):
        run_program(tmp_path / "missing", project="p", stack="s", config={})


def test_stack_traces_are_skipped_during_a_run_only(tmp_path: Path) -> None:
    """The SDK's source-position walk is skipped while the program runs and restored afterwards."""
    from pulumi.runtime import resource

    original = resource._get_stack_trace
    (tmp_path / "__main__.py").write_text(
        "import pulumi\n"
        "from pulumi.runtime import resource\n"
        "pulumi.export('skipped', resource._get_stack_trace.__module__ != 'pulumi.runtime.resource')\n")
    result = run_program(tmp_path, project="p", stack="s", config={})
    assert result.outputs == {"skipped": True}
    assert resource._get_stack_trace is original


# -- creation order --------------------------------------------------------------------------------


def _res(name: str, *deps: str, parent: str = "", custom: bool = True, prop: str = "") -> RegisteredResource:
    return RegisteredResource(
        urn=name, type="t:m:T" if custom else "t:m:C", name=name, parent=parent, custom=custom,
        dependencies=list(deps), property_dependencies={"p": [prop]} if prop else {},
    )


def _names(groups: list[list[RegisteredResource]]) -> list[list[str]]:
    return [sorted(r.name for r in g) for g in groups]


def test_depth_of_a_chain_is_its_length() -> None:
    graph = [_res("a"), _res("b", "a"), _res("c", prop="b")]
    assert deploy_depth(graph) == 3
    assert _names(layers(graph)) == [["a"], ["b"], ["c"]]


def test_depth_of_a_diamond() -> None:
    graph = [_res("d", "b", "c"), _res("b", "a"), _res("c", "a"), _res("a")]
    assert deploy_depth(graph) == 3
    assert _names(layers(graph)) == [["a"], ["b", "c"], ["d"]]


def test_independent_resources_are_one_layer() -> None:
    graph = [_res(n) for n in "abcd"]
    assert deploy_depth(graph) == 1
    assert _names(layers(graph)) == [["a", "b", "c", "d"]]
    assert deploy_depth([]) == 0 and layers([]) == []


def test_dependency_on_a_component_waits_for_its_custom_descendants() -> None:
    graph = [
        _res("comp", custom=False),
        _res("inner", parent="comp", custom=False),
        _res("x", parent="comp"),
        _res("y", "x", parent="inner"),
        _res("z", "comp"),
    ]
    assert deploy_depth(graph) == 3
    assert _names(layers(graph)) == [["x"], ["y"], ["z"]]


def test_parents_order_only_when_custom() -> None:
    # A component parent's URN resolves at once; a custom parent's only once it exists.
    assert deploy_depth([_res("comp", custom=False), _res("a", parent="comp")]) == 1
    assert deploy_depth([_res("a"), _res("b", parent="a")]) == 2


def test_cycles_are_rejected() -> None:
    with pytest.raises(ValueError, match="cycle"):
        deploy_depth([_res("a", "b"), _res("b", "a")])


def test_depth_of_the_fixture_program(run: ProgramRun) -> None:
    assert deploy_depth(run.resources) == 3
    assert _names(layers(run.resources)) == [
        ["alpha-window", "service-role"], ["alpha-target"], ["alpha-patch"]]


# -- IDs, ARNs and generated names -----------------------------------------------------------------

BUCKET_T = "aws:s3/bucket:Bucket"
TOPIC_T = "aws:sns/topic:Topic"
POLICY_T = "aws:iam/policy:Policy"
# Placeholders in the expected values below; everything else is literal.
_SHAPES = {
    "<hex7>": "[0-9a-f]{7}",
    "<hex17>": "[0-9a-f]{17}",
    "<uuid>": "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
    "<iam17>": "[A-Z2-7]{17}",
    "<unique26>": "[0-9]{18}[0-9a-f]{8}",
}


def _pattern(expected: str) -> str:
    out = re.escape(expected)
    for placeholder, shape in _SHAPES.items():
        out = out.replace(re.escape(placeholder), shape)
    return out


def _urn(token: str, name: str) -> str:
    return f"urn:pulumi:dev::p::{token}::{name}"


@pytest.mark.parametrize(("token", "name", "inputs", "added"), [
    # What pulumi-aws's Check adds when the program leaves the physical name out: `<logical>-<7 hex>`.
    (ROLE_T, "service-role", {}, {"name": "service-role-<hex7>"}),
    (POLICY_T, "pass-role", {}, {"name": "pass-role-<hex7>"}),
    ("aws:iam/rolePolicy:RolePolicy", "task-access", {"role": "R"}, {"name": "task-access-<hex7>"}),
    (BUCKET_T, "Output-Bucket", {}, {"bucket": "output-bucket-<hex7>"}),  # S3 names are lower case
    (TOPIC_T, "alerts", {}, {"name": "alerts-<hex7>"}),
    (TOPIC_T, "alerts", {"fifoTopic": True}, {"name": "alerts-<hex7>.fifo"}),
    ("aws:cloudwatch/logGroup:LogGroup", "output-logs", {}, {"name": "output-logs-<hex7>"}),
    (WINDOW_T, "Nightly", {}, {"name": "Nightly-<hex7>"}),
    (TARGET_T, "Nightly-Web", {}, {"name": "Nightly-Web-<hex7>"}),
    (TASK_T, "Nightly-Patch", {}, {"name": "Nightly-Patch-<hex7>"}),
    ("aws:ssm/patchBaseline:PatchBaseline", "Base", {}, {"name": "Base-<hex7>"}),
    # Nothing added: the program named it (even with a value unknown during preview) or gave the prefix
    # that conflicts with the name, or the type has no name input, or pulumi-aws does not define the type.
    (ROLE_T, "service-role", {"name": "Mine"}, {}),
    (ROLE_T, "service-role", {"name": None}, {}),
    (ROLE_T, "service-role", {"namePrefix": "mw-"}, {}),
    (BUCKET_T, "output-bucket", {"bucketPrefix": "logs-"}, {}),
    ("aws:s3/bucketPolicy:BucketPolicy", "output-bucket-tls-only", {"bucket": "b"}, {}),
    ("aws:ssm/patchGroup:PatchGroup", "Base-prod", {"patchGroup": "prod"}, {}),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "managed", {"role": "R"}, {}),
    ("custom:index:Thing", "thing", {}, {}),
])
def test_check_generates_the_names_pulumi_aws_would(token, name, inputs, added):
    got = _AwsMocks("us-east-1").check(_urn(token, name), token, name, inputs)
    assert set(got) == set(added)
    for key, expected in added.items():
        assert re.fullmatch(_pattern(expected), got[key]), got[key]


@pytest.mark.parametrize(("token", "length", "limit"), [
    (ROLE_T, 56, 64), (BUCKET_T, 55, 63), (TOPIC_T, 72, 80), (WINDOW_T, 247, 255),
])
def test_a_generated_name_fits_the_types_limit_or_the_check_fails(token, length, limit):
    aws = _AwsMocks("us-east-1")
    fits = "n" * length  # + "-" + 7 random characters = exactly the limit
    assert len(aws.check(_urn(token, fits), token, fits, {})[_KINDS[token].name]) == limit
    too_long = fits + "n"
    with pytest.raises(MWError) as caught:
        aws.check(_urn(token, too_long), token, too_long, {})
    assert str(caught.value) == (
        f"{token} {describe_value(too_long)}: cannot generate its {_KINDS[token].name} from the resource name: "
        f"{length + 1} characters plus '-' and 7 random ones is longer than the {limit} allowed; give the resource "
        f"a shorter name or set {_KINDS[token].name}")
    assert aws.check(_urn(token, too_long), token, too_long, {_KINDS[token].name: "given"}) == {}


@pytest.mark.parametrize(("region", "token", "inputs", "expected"), [
    ("us-east-1", ROLE_T, {"name": "R", "path": "/ops/mw/"},
     {"id": "R", "arn": "arn:aws:iam::123456789012:role/ops/mw/R", "uniqueId": "AROA<iam17>"}),
    ("cn-north-1", ROLE_T, {"name": "R"},
     {"id": "R", "arn": "arn:aws-cn:iam::123456789012:role/R", "uniqueId": "AROA<iam17>"}),
    ("us-gov-west-1", POLICY_T, {"name": "P", "path": "/mw/"},
     {"id": "arn:aws-us-gov:iam::123456789012:policy/mw/P", "arn": "arn:aws-us-gov:iam::123456789012:policy/mw/P",
      "policyId": "ANPA<iam17>"}),
    ("us-east-1", "aws:iam/rolePolicy:RolePolicy", {"role": "R", "name": "Access"}, {"id": "R:Access"}),
    ("us-east-1", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
     {"role": "R", "policyArn": "arn:aws:iam::aws:policy/X"}, {"id": "R/arn:aws:iam::aws:policy/X"}),
    ("us-east-1", "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
     {"group": "Admins", "policyArn": "arn:aws:iam::123456789012:policy/P"},
     {"id": "Admins/arn:aws:iam::123456789012:policy/P"}),
    ("us-east-1", "aws:iam/userPolicyAttachment:UserPolicyAttachment",
     {"user": "ops", "policyArn": "arn:aws:iam::123456789012:policy/P"},
     {"id": "ops/arn:aws:iam::123456789012:policy/P"}),
    ("us-east-1", BUCKET_T, {"bucket": "acme-logs"},
     {"id": "acme-logs", "arn": "arn:aws:s3:::acme-logs", "bucketRegion": "us-east-1"}),
    ("cn-northwest-1", BUCKET_T, {"bucket": "acme-logs", "region": "cn-north-1"},
     {"id": "acme-logs", "arn": "arn:aws-cn:s3:::acme-logs", "bucketRegion": "cn-north-1"}),
    ("us-east-1", BUCKET_T, {"bucketPrefix": "logs-"},
     {"bucket": "logs-<unique26>", "id": "logs-<unique26>", "arn": "arn:aws:s3:::logs-<unique26>",
      "bucketRegion": "us-east-1"}),
    ("us-east-1", "aws:s3/bucketPolicy:BucketPolicy", {"bucket": "acme-logs"}, {"id": "acme-logs"}),
    ("us-east-1", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", {"bucket": "acme-logs"},
     {"id": "acme-logs"}),
    ("us-east-1", "aws:s3/bucketOwnershipControls:BucketOwnershipControls", {"bucket": "acme-logs"},
     {"id": "acme-logs"}),
    ("us-east-1", "aws:s3/bucketVersioning:BucketVersioning", {"bucket": "acme-logs"}, {"id": "acme-logs"}),
    ("us-east-1", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
     {"bucket": "acme-logs", "expectedBucketOwner": "123456789012"}, {"id": "acme-logs,123456789012"}),
    ("us-east-1", "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
     {"bucket": "acme-logs"}, {"id": "acme-logs"}),
    ("us-east-1", TOPIC_T, {"name": "alerts", "region": "eu-central-1"},
     {"id": "arn:aws:sns:eu-central-1:123456789012:alerts", "arn": "arn:aws:sns:eu-central-1:123456789012:alerts"}),
    ("us-east-1", "aws:sns/topicSubscription:TopicSubscription",
     {"topic": "arn:aws:sns:us-east-1:123456789012:alerts", "protocol": "email", "endpoint": "a@example.com"},
     {"id": "arn:aws:sns:us-east-1:123456789012:alerts:<uuid>", "arn": "arn:aws:sns:us-east-1:123456789012:alerts:<uuid>",
      "ownerId": "123456789012"}),
    ("eu-west-1", "aws:cloudwatch/logGroup:LogGroup", {"name": "/mw/prod"},
     {"id": "/mw/prod", "arn": "arn:aws:logs:eu-west-1:123456789012:log-group:/mw/prod"}),
    ("us-east-1", WINDOW_T, {"name": "Nightly"}, {"id": "mw-<hex17>"}),
    ("us-east-1", TARGET_T, {"name": "Web", "windowId": "mw-0123456789abcdef0"}, {"id": "<uuid>"}),
    ("us-gov-east-1", TASK_T, {"name": "Patch"},
     {"id": "<uuid>", "windowTaskId": "<uuid>", "arn": "arn:aws-us-gov:ssm:us-gov-east-1:123456789012:windowtask/<uuid>"}),
    ("us-east-1", "aws:ssm/patchBaseline:PatchBaseline", {"name": "Base"},
     {"id": "pb-<hex17>", "arn": "arn:aws:ssm:us-east-1:123456789012:patchbaseline/pb-<hex17>"}),
    ("us-east-1", "aws:ssm/patchGroup:PatchGroup", {"patchGroup": "prod", "baselineId": "pb-0123456789abcdef0"},
     {"id": "prod,pb-0123456789abcdef0"}),
    # A type not in the table keeps a generic ARN named after its type.
    ("us-east-1", "aws:ec2/keyPair:KeyPair", {"name": "deployer"},
     {"id": "deployer", "name": "deployer", "arn": "arn:aws:ec2:us-east-1:123456789012:keypair/deployer"}),
])
def test_invented_outputs_have_the_form_aws_gives_the_type(region, token, inputs, expected):
    aws = _AwsMocks(region)
    urn = _urn(token, "logical")
    invented = aws.invent(urn, token, "logical", inputs)
    assert set(invented) == set(expected), "an output the type does not have, or a missing one"
    for key, value in expected.items():
        assert re.fullmatch(_pattern(value), invented[key]), (key, invented[key])
    if {"id", "windowTaskId"} <= set(invented):
        assert invented["windowTaskId"] == invented["id"]
    rid, outputs = aws.new_resource(urn, token, "logical", dict(inputs))
    assert rid == invented["id"]
    assert outputs == {**inputs, **invented}
    # Same URN, same values (a plan is reproducible); another URN, other values.
    assert aws.invent(urn, token, "logical", inputs) == invented
    other = aws.invent(_urn(token, "other"), token, "other", inputs)
    if "<" in expected["id"]:
        assert other["id"] != invented["id"]


def test_every_region_botocore_knows_is_in_its_partition():
    import botocore.loaders

    document = botocore.loaders.Loader().load_data("partitions")
    checked = 0
    for partition in document["partitions"]:
        for region in partition["regions"]:
            if region.endswith("-global"):
                continue  # pseudo-regions of global endpoints, never an aws:region
            assert partition_of(region) == (partition["id"], partition["outputs"]["dnsSuffix"]), region
            checked += 1
            assert re.fullmatch(partition["regionRegex"], region)
    assert checked > 30


@pytest.mark.parametrize(("region", "partition", "dns_suffix", "reverse"), [
    ("us-east-1", "aws", "amazonaws.com", "com.amazonaws"),
    ("cn-north-1", "aws-cn", "amazonaws.com.cn", "cn.com.amazonaws"),
    ("us-gov-west-1", "aws-us-gov", "amazonaws.com", "com.amazonaws"),
    ("us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov", "gov.sgov.sc2s"),
])
def test_invokes_answer_in_the_regions_partition(region, partition, dns_suffix, reverse):
    aws = _AwsMocks(region)
    assert aws.call("aws:index/getPartition:getPartition") == {
        "partition": partition, "dnsSuffix": dns_suffix, "reverseDnsPrefix": reverse, "id": partition}
    identity = aws.call("aws:index/getCallerIdentity:getCallerIdentity")
    assert identity["arn"] == f"arn:{partition}:iam::{ACCOUNT_ID}:user/mw-plan"
    assert aws.call("aws:index/getRegion:getRegion")["endpoint"] == f"ec2.{region}.{dns_suffix}"


def test_the_engine_forwards_checked_inputs_and_returns_aws_outputs(run: ProgramRun) -> None:
    window = _one(run, WINDOW_T)
    # What the program sees and what AnalyzeStack gets: the generated name and the assigned ID, no ARN.
    assert window.outputs_struct is not None
    assert window.outputs_struct["name"] == window.inputs["name"] == window.outputs["name"]
    assert window.outputs_struct["id"] == window.id == run.outputs["windowId"]
    assert "arn" not in window.outputs_struct.fields
    role = _one(run, ROLE_T)
    assert role.properties["name"] == role.inputs["name"] == role.id
    assert role.outputs_struct["arn"] == run.outputs["roleArn"]


def test_a_name_too_long_to_generate_stops_the_run_with_the_providers_reason() -> None:
    with pytest.raises(MWError, match=r"^aws:ssm/maintenanceWindow:MaintenanceWindow 'n{77}\.\.\.': cannot "
                                      r"generate its name from the resource name: 258 characters .* than the 255 "
                                      r"allowed"):
        _run(config={**CONFIG, "fixture:name": "n" * 251})


def test_every_aws_type_the_program_creates_is_in_the_table() -> None:
    """Each ``aws.<module>.<Resource>`` named in the program's components has its ID, ARN and name forms in ``_KINDS``."""
    import pulumi
    import pulumi_aws

    root = Path(__file__).resolve().parents[2]
    sources = [root / "__main__.py", *sorted((root / "components").glob("*.py"))]
    found = set()
    for source in sources:
        for module, member in re.findall(r"\baws\.(\w+)\.([A-Z]\w*)\b", source.read_text(encoding="utf-8")):
            cls = getattr(getattr(pulumi_aws, module), member)
            if not isinstance(cls, type) or not issubclass(cls, pulumi.CustomResource):
                continue  # an Args class or a data source
            found.add(cls.pulumi_type)  # set by the SDK's @pulumi.type_token
    assert len(found) >= 20
    assert sorted(found - set(_KINDS)) == []


def test_a_failed_run_leaves_no_unretrieved_future_behind(tmp_path, caplog):
    # The error reaches the caller; the SDK's futures that also hold it must not log it again when collected.
    (tmp_path / "__main__.py").write_text(
        "import pulumi_aws as aws\naws.sns.Topic('same')\naws.sns.Topic('same')\n")
    for _ in range(3):
        with pytest.raises(MWError, match="duplicate resource URN"):
            run_program(tmp_path, project="p", stack="s", config={})
    gc.collect()
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]


@pytest.mark.parametrize(("allowed", "account"), [
    (["111122223333"], "111122223333"),
    (["111122223333", "444455556666"], "111122223333"),
    ([], "123456789012"),
    (["not-an-account"], "123456789012"),
])
def test_a_stack_pinned_to_an_account_plans_in_that_account(run_stack_in, allowed, account):
    run = run_stack_in({"aws:region": "us-east-1", "aws:allowedAccountIds": allowed})
    role = next(r for r in run.resources if r.type == "aws:iam/role:Role")
    assert role.outputs["arn"].startswith(f"arn:aws:iam::{account}:role/")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": account}}


@pytest.fixture
def run_stack_in():
    from conftest import ROOT

    def run(config):
        return run_program(ROOT, project="maintenance-windows", stack="t", config=config)

    return run
