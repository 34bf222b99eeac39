"""``mw targets``: every AWS call goes through botocore's Stubber, which checks each request (parameters, page
tokens, batches) and each canned answer against the real EC2, SSM and Resource Groups models; nothing reaches AWS.

One end-to-end run drives the real clients over HTTP against a one-port stand-in on 127.0.0.1 that speaks the
three protocols (EC2 query/XML, SSM JSON 1.1, Resource Groups REST-JSON), with the fake account of
``fixtures/targets/Pulumi.test.yaml``; its text output is the sample docs/targets.md shows.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import pytest
from aws_stubs import StubClients
from botocore.stub import Stubber

from mw import _targets_aws as aws
from mw import targets
from mw._aws import Clients
from mw_core.errors import MWError

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "targets"
ACCOUNT = "111122223333"
REGION = "eu-west-1"
STUB_REGION = REGION  # the region of the `stubbed` fixture's clients (tests/mw/conftest.py)

# --- harness -----------------------------------------------------------------------------------------------


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run(argv: list[str], clients: Clients | None = None) -> Result:
    """``mw`` as :func:`mw.cli.main` runs it, with only ``targets`` registered and ``clients`` injected."""
    parser = argparse.ArgumentParser(prog="mw")
    targets.register(parser.add_subparsers(dest="command", required=True),
                     clients=(lambda region, profile, timeout: clients) if clients is not None else None)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        args = parser.parse_args(argv)
        try:
            code = args.handler(args)
        except MWError as error:
            print(f"error: {error}", file=sys.stderr)
            code = error.exit_code
    return Result(code, out.getvalue(), err.getvalue())


def project(tmp_path: Path, windows: str, extra: str = "") -> Path:
    """A Pulumi project with stack ``t``: ``windows`` is the YAML list under maintenance-windows:windows."""
    (tmp_path / "Pulumi.yaml").write_text("name: maintenance-windows\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("")
    body = "\n".join("    " + line for line in windows.strip("\n").splitlines())
    (tmp_path / "Pulumi.t.yaml").write_text(
        f"config:\n  aws:region: {REGION}\n  aws:allowedAccountIds: ['{ACCOUNT}']\n{extra}"
        f"  maintenance-windows:windows:\n{body}\n")
    return tmp_path


def one_target(target: str, tasks: str = "") -> str:
    """A window with one target (``target``: the YAML of its keys after the name) and optional tasks."""
    lines = ["- name: win", "  schedule: cron(0 2 ? * SUN *)", "  duration: 2", "  targets:", "    - name: tgt"]
    lines += ["      " + line for line in target.strip("\n").splitlines()]
    if tasks:
        lines += ["  tasks:"] + ["    " + line for line in tasks.strip("\n").splitlines()]
    return "\n".join(lines)


def instance(iid: str, state: str = "running", tags: dict[str, str] | None = None,
             windows: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {"InstanceId": iid, "State": {"Code": 16, "Name": state},
                            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}
    if windows:
        item["Platform"] = "windows"
    return item


def node(iid: str, ping: str = "Online", platform: str = "Linux", name: str = "Amazon Linux") -> dict[str, Any]:
    return {"InstanceId": iid, "PingStatus": ping, "PlatformType": platform, "PlatformName": name,
            "AgentVersion": "3.3.40.0"}


def expect_ec2(stubber: Stubber, filters: list[dict[str, Any]], found: list[dict[str, Any]],
               token: str | None = None, next_token: str | None = None) -> None:
    params: dict[str, Any] = {"Filters": filters, "MaxResults": 1000}
    if token:
        params["NextToken"] = token
    reply: dict[str, Any] = {"Reservations": [{"ReservationId": "r-0123456789abcdef0", "Instances": found}]}
    if next_token:
        reply["NextToken"] = next_token
    stubber.add_response("describe_instances", reply, params)


def expect_ssm(stubber: Stubber, ids: list[str], found: list[dict[str, Any]], token: str | None = None,
               next_token: str | None = None) -> None:
    params: dict[str, Any] = {"Filters": [{"Key": "InstanceIds", "Values": ids}], "MaxResults": 50}
    if token:
        params["NextToken"] = token
    reply: dict[str, Any] = {"InstanceInformationList": found}
    if next_token:
        reply["NextToken"] = next_token
    stubber.add_response("describe_instance_information", reply, params)


I1, I2, I3 = "i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2", "i-0aaaaaaaaaaaaaaa3"
MI1 = "mi-0bbbbbbbbbbbbbbb1"


# --- the EC2 filters of a tag target -----------------------------------------------------------------------


@pytest.mark.parametrize(("value", "sent"), [
    ("prod", "prod"),
    ("a*b", "a\\*b"),
    ("what?", "what\\?"),
    ("C:\\temp", "C:\\\\temp"),
    ("*?\\", "\\*\\?\\\\"),
])
def test_tag_values_are_sent_as_literals_not_ec2_wildcards(value: str, sent: str) -> None:
    assert aws.literal(value) == sent


def test_a_tag_target_with_more_values_than_one_call_takes_is_split_into_calls_that_cover_it() -> None:
    tags = {f"K{k}": [f"v{k}-{n}" for n in range(50)] for k in range(5)}  # 250 values: SSM's maximum

    calls = aws.tag_filter_sets(tags, ["Patch"])

    # K0, K1 and K2 halved: 25 + 25 + 25 + 50 + 50 + 1 = 176 values per call, 2 x 2 x 2 calls.
    assert [sum(len(f["Values"]) for f in filters) for filters in calls] == [176] * 8
    for filters in calls:  # every key in every call, so each call still ANDs them all
        assert [f["Name"] for f in filters] == ["tag:K0", "tag:K1", "tag:K2", "tag:K3", "tag:K4", "tag-key"]
    combinations = {tuple(tuple(f["Values"]) for f in filters[:5]) for filters in calls}
    assert len(combinations) == 8  # each combination of the parts once
    for index, key in enumerate(tags):
        parts = {combination[index] for combination in combinations}
        assert sorted(v for part in parts for v in part) == sorted(tags[key])  # each value in exactly one part


def test_tag_target_filters_tags_and_tag_keys_and_reads_every_page(stubbed: StubClients) -> None:
    ec2 = stubbed.stub("ec2")
    filters = [{"Name": "tag:Env", "Values": ["prod"]}, {"Name": "tag:Role", "Values": ["web", "a\\*"]},
               {"Name": "tag-key", "Values": ["Patch", "Owner"]}]
    both = {"Env": "prod", "Role": "web", "Patch": "yes", "Owner": "ops"}
    expect_ec2(ec2, filters, [instance(I1, tags=both)], next_token="page-2")
    # EC2 ORs the tag-key values: I3 has Patch but not Owner, which SSM (ANDing tag keys) does not target.
    expect_ec2(ec2, filters, [instance(I2, tags={**both, "Role": "a*"}),
                              instance(I3, tags={"Env": "prod", "Role": "web", "Patch": "yes"})], token="page-2")

    found = aws.tagged_instances(stubbed.client("ec2"), {"Env": ["prod"], "Role": ["web", "a*"]}, ["Patch", "Owner"])

    assert [i["InstanceId"] for i in found] == [I1, I2]


def test_terminated_instances_are_left_out(stubbed: StubClients) -> None:
    expect_ec2(stubbed.stub("ec2"), [{"Name": "tag:Env", "Values": ["prod"]}],
               [instance(I1, "terminated", {"Env": "prod"}), instance(I2, "stopped", {"Env": "prod"})])

    found = aws.tagged_instances(stubbed.client("ec2"), {"Env": ["prod"]}, [])

    assert [i["InstanceId"] for i in found] == [I2]


# --- batches -----------------------------------------------------------------------------------------------


def ids(count: int, prefix: str = "i-0") -> list[str]:
    return [f"{prefix}{n:016x}" for n in range(count)]


def test_instance_ids_go_to_ec2_in_filters_of_at_most_200(stubbed: StubClients) -> None:
    wanted = ids(450)
    ec2 = stubbed.stub("ec2")
    for batch in (wanted[:200], wanted[200:400], wanted[400:]):
        expect_ec2(ec2, [{"Name": "instance-id", "Values": batch}], [instance(batch[0])])

    found = aws.instances_by_id(stubbed.client("ec2"), wanted)

    assert sorted(found) == [wanted[0], wanted[200], wanted[400]]


def test_managed_state_is_asked_in_batches_of_50_and_every_page_is_read(stubbed: StubClients) -> None:
    wanted = ids(120)
    ssm = stubbed.stub("ssm")
    expect_ssm(ssm, wanted[:50], [node(wanted[0])], next_token="more")
    expect_ssm(ssm, wanted[:50], [node(wanted[1])], token="more")
    expect_ssm(ssm, wanted[50:100], [])
    expect_ssm(ssm, wanted[100:], [node(wanted[119], "ConnectionLost")])

    found = aws.managed_nodes(stubbed.client("ssm"), wanted)

    assert {k: v["PingStatus"] for k, v in found.items()} == {wanted[0]: "Online", wanted[1]: "Online",
                                                              wanted[119]: "ConnectionLost"}


def test_a_batch_refused_for_one_unknown_id_is_asked_again_one_by_one(stubbed: StubClients) -> None:
    ssm = stubbed.stub("ssm")
    ssm.add_client_error("describe_instance_information", "InvalidInstanceId", "Instances [[i-0fff]] not valid",
                         expected_params={"Filters": [{"Key": "InstanceIds", "Values": [I1, I2]}], "MaxResults": 50})
    expect_ssm(ssm, [I1], [node(I1)])
    ssm.add_client_error("describe_instance_information", "InvalidInstanceId", "not valid",
                         expected_params={"Filters": [{"Key": "InstanceIds", "Values": [I2]}], "MaxResults": 50})

    assert list(aws.managed_nodes(stubbed.client("ssm"), [I2, I1])) == [I1]


# --- resource groups ---------------------------------------------------------------------------------------


def member(arn: str, kind: str) -> dict[str, Any]:
    return {"Identifier": {"ResourceArn": arn, "ResourceType": kind}}


def test_a_group_is_read_with_its_resource_types_spelled_as_aws_does_and_every_page(stubbed: StubClients) -> None:
    rg = stubbed.stub("resource-groups")
    params = {"Group": "fleet", "Filters": [{"Name": "resource-type",
                                             "Values": ["AWS::EC2::Instance", "AWS::SSM::ManagedInstance"]}],
              "MaxResults": 50}
    rg.add_response("list_group_resources", {"Resources": [
        member(f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{I1}", "AWS::EC2::Instance")], "NextToken": "p2"}, params)
    rg.add_response("list_group_resources", {"Resources": [
        member(f"arn:aws:ssm:{REGION}:{ACCOUNT}:managed-instance/{MI1}", "AWS::SSM::ManagedInstance")],
        "QueryErrors": [{"ErrorCode": "CLOUDFORMATION_STACK_INACTIVE", "Message": "stack is gone"}]},
        {**params, "NextToken": "p2"})

    found, problems = aws.group_members(stubbed.client("resource-groups"), "fleet",
                                        ["AWS::EC2::INSTANCE", "aws::ssm::managedinstance"])

    assert found == [I1, MI1]
    assert problems == ["resource group 'fleet': CLOUDFORMATION_STACK_INACTIVE: stack is gone"]


def test_more_than_five_resource_types_take_several_calls(stubbed: StubClients) -> None:
    types = ["AWS::EC2::Instance", "AWS::SSM::ManagedInstance"] + [f"AWS::S3::Thing{n}" for n in range(5)]
    rg = stubbed.stub("resource-groups")
    for part in (types[:5], types[5:]):
        rg.add_response("list_group_resources", {"Resources": []},
                        {"Group": "fleet", "Filters": [{"Name": "resource-type", "Values": part}], "MaxResults": 50})

    assert aws.group_members(stubbed.client("resource-groups"), "fleet", types) == ([], [])


@pytest.mark.parametrize(("code", "problem"), [
    ("NotFoundException", "resource group 'fleet' does not exist in this account and region"),
    ("BadRequestException", "resource group 'fleet': AWS refused the resource types  (nope)"),
])
def test_a_missing_or_refused_group_is_a_problem_of_its_target(code: str, problem: str, stubbed: StubClients) -> None:
    stubbed.stub("resource-groups").add_client_error("list_group_resources", code, "nope", http_status_code=400)

    found, problems = aws.group_members(stubbed.client("resource-groups"), "fleet", [])

    assert found == [] and len(problems) == 1 and problems[0].startswith(problem)


# --- the command, stubbed ----------------------------------------------------------------------------------


def test_a_healthy_target_exits_0_with_the_contract_shape(tmp_path: Path, stubbed: StubClients) -> None:
    expect_ec2(stubbed.stub("ec2"), [{"Name": "tag:Env", "Values": ["prod"]}],
               [instance(I1, tags={"Env": "prod", "Name": "web-1"})])
    expect_ssm(stubbed.stub("ssm"), [I1], [node(I1)])
    path = project(tmp_path, one_target("tags: {Env: prod}"))

    result = run(["targets", "--project-dir", str(path), "--stack", "t", "--json"], stubbed)

    assert result.code == 0, result.err
    assert result.json() == {"stack": "t", "targets": [{
        "account": ACCOUNT, "region": REGION, "window": "win", "target": "tgt", "problems": [],
        "instances": [{"instanceId": I1, "name": "web-1", "state": "running", "managed": True,
                       "pingStatus": "Online", "platform": "Linux", "platformName": "Amazon Linux",
                       "agentVersion": "3.3.40.0"}]}],
        "summary": {"targets": 1, "instances": 1, "problems": 0}}


@pytest.mark.parametrize(("target", "ec2", "nodes", "problem"), [
    ("tags: {Env: prod}", [], [], "matches no EC2 instance with these tags in eu-west-1"),
    ("tags: {Env: prod}", [instance(I1, "stopped", {"Env": "prod"})], [],
     f"{I1} is stopped: the window's tasks will not run on it unless it is started"),
    (f"instanceIds: [{I1}]", [instance(I1, "stopped")], [],
     f"{I1} is stopped: the command cannot be delivered; it waits (Delayed) and ends Delivery Timed Out"),
    ("tags: {Env: prod}", [instance(I1, "running", {"Env": "prod"})], [],
     f"{I1} is not managed by Systems Manager (no SSM Agent registered: agent, instance profile or network): the "
     "window skips it"),
    (f"instanceIds: [{I1}]", [instance(I1)], [], f"{I1} is not managed by Systems Manager (no SSM Agent registered: "
                                                 "agent, instance profile or network): the task invocation fails"),
    ("tags: {Env: prod}", [instance(I1, "running", {"Env": "prod"})], [node(I1, "ConnectionLost")],
     f"{I1} has PingStatus ConnectionLost: the command waits and ends Delivery Timed Out"),
    (f"instanceIds: [{I1}]", [], [], f"{I1} does not exist in eu-west-1"),
    (f"instanceIds: [{I1}]", [instance(I1, "shutting-down")], [], f"{I1} is shutting down"),
])
def test_each_problem_is_reported_and_exits_1(target: str, ec2: list[dict[str, Any]], nodes: list[dict[str, Any]],
                                              problem: str, tmp_path: Path, stubbed: StubClients) -> None:
    by_id = target.startswith("instanceIds")
    filters = [{"Name": "instance-id", "Values": [I1]}] if by_id else [{"Name": "tag:Env", "Values": ["prod"]}]
    expect_ec2(stubbed.stub("ec2"), filters, ec2)
    if ec2 or by_id:
        expect_ssm(stubbed.stub("ssm"), [I1], nodes)
    path = project(tmp_path, one_target(target))

    result = run(["targets", "--project-dir", str(path), "--stack", "t", "--json"], stubbed)

    assert result.code == 1, result.err
    found = result.json()["targets"][0]["problems"]
    assert len(found) == 1 and found[0].startswith(problem), found
    assert result.json()["summary"]["problems"] == 1


PATCH_AND_SHELL = """
- name: patch
  type: RUN_COMMAND
  document: AWS-RunPatchBaseline
  targets: [tgt]
- name: shell
  type: RUN_COMMAND
  document: AWS-RunShellScript
  targets: [tgt]
  parameters: {commands: [uptime]}
- name: own
  type: RUN_COMMAND
  document: Custom-Document
  targets: [tgt]
"""


@pytest.mark.parametrize(("target", "outcome"), [
    ("tags: {Env: prod}", "their invocations end Invalid Platform"),
    (f"instanceIds: [{I1}, {I2}]", "the invocation fails (UnsupportedPlatformType)"),
])
def test_a_platform_the_tasks_document_does_not_support_is_reported_per_task(
        target: str, outcome: str, tmp_path: Path, stubbed: StubClients) -> None:
    by_id = target.startswith("instanceIds")
    filters = [{"Name": "instance-id", "Values": [I1, I2]}] if by_id else [{"Name": "tag:Env", "Values": ["prod"]}]
    expect_ec2(stubbed.stub("ec2"), filters, [instance(I1, tags={"Env": "prod"}),
                                              instance(I2, tags={"Env": "prod"}, windows=True)])
    expect_ssm(stubbed.stub("ssm"), [I1, I2], [node(I1), node(I2, platform="Windows", name="Windows Server 2022")])
    path = project(tmp_path, one_target(target, PATCH_AND_SHELL))

    result = run(["targets", "--project-dir", str(path), "--stack", "t", "--json"], stubbed)

    assert result.code == 1, result.err
    # AWS-RunPatchBaseline supports both; a document not in the table is not judged.
    assert result.json()["targets"][0]["problems"] == [
        f"task shell runs AWS-RunShellScript, which supports Linux, MacOS only; not {I2} (Windows): {outcome}"]


def test_managed_nodes_by_id_never_send_ec2_an_empty_list(tmp_path: Path, stubbed: StubClients) -> None:
    expect_ssm(stubbed.stub("ssm"), [MI1], [node(MI1)])
    stubbed.stub("ec2")  # any EC2 call would find no expected response and fail
    path = project(tmp_path, one_target(f"instanceIds: [{MI1}]"))

    result = run(["targets", "--project-dir", str(path), "--stack", "t", "--json"], stubbed)

    assert result.code == 0, result.err
    assert result.json()["targets"][0]["instances"][0]["state"] is None


@pytest.mark.parametrize(("service", "code", "message"), [
    ("ec2", "UnauthorizedOperation", "access denied: DescribeInstances needs the IAM permission ec2:DescribeInstances"),
    ("ssm", "AccessDeniedException",
     "access denied: DescribeInstanceInformation needs the IAM permission ssm:DescribeInstanceInformation"),
    ("ec2", "RequestLimitExceeded", "AWS kept throttling DescribeInstances after retries"),
    ("ssm", "ThrottlingException", "AWS kept throttling DescribeInstanceInformation after retries"),
])
def test_aws_errors_exit_2_with_one_line_naming_what_to_fix(service: str, code: str, message: str, tmp_path: Path,
                                                             stubbed: StubClients) -> None:
    if service == "ssm":
        expect_ec2(stubbed.stub("ec2"), [{"Name": "tag:Env", "Values": ["prod"]}],
                   [instance(I1, tags={"Env": "prod"})])
    stubbed.stub(service).add_client_error("describe_instances" if service == "ec2"
                                           else "describe_instance_information", code, "no")
    path = project(tmp_path, one_target("tags: {Env: prod}"))

    result = run(["targets", "--project-dir", str(path), "--stack", "t"], stubbed)

    assert (result.code, result.out) == (2, "")
    assert result.err.startswith(f"error: {message}") and "Traceback" not in result.err


def test_access_denied_on_a_group_names_every_permission_it_needs(tmp_path: Path, stubbed: StubClients) -> None:
    stubbed.stub("resource-groups").add_client_error("list_group_resources", "ForbiddenException", "denied",
                                                     http_status_code=403)
    path = project(tmp_path, one_target("resourceGroup: {name: fleet}"))

    result = run(["targets", "--project-dir", str(path), "--stack", "t"], stubbed)

    assert result.code == 2
    assert result.err == ("error: access denied: ListGroupResources needs the IAM permission "
                          "resource-groups:ListGroupResources (with cloudformation:DescribeStacks, "
                          "cloudformation:ListStackResources and tag:GetResources); grant it to the identity in use "
                          "(AWS said: denied)\n")


REGIONS = "  maintenance-windows:regions: [eu-west-1, us-east-1]\n"


def test_every_region_of_the_stack_is_resolved_and_region_narrows_it(tmp_path: Path) -> None:
    path = project(tmp_path, one_target("tags: {Env: prod}"), REGIONS)
    both = StubClients(REGION)
    for region in ("eu-west-1", "us-east-1"):
        expect_ec2(both.stub("ec2", region), [{"Name": "tag:Env", "Values": ["prod"]}], [])
    one = StubClients(REGION)
    expect_ec2(one.stub("ec2", "us-east-1"), [{"Name": "tag:Env", "Values": ["prod"]}], [])

    every = run(["targets", "--project-dir", str(path), "--stack", "t", "--json"], both)
    narrowed = run(["targets", "--project-dir", str(path), "--stack", "t", "--json", "--region", "us-east-1"], one)

    assert [t["region"] for t in every.json()["targets"]] == ["eu-west-1", "us-east-1"]
    assert [t["region"] for t in narrowed.json()["targets"]] == ["us-east-1"]
    for clients in (both, one):
        for stubber in clients.stubbers.values():
            stubber.assert_no_pending_responses()


def test_a_region_the_stack_does_not_use_is_refused(tmp_path: Path) -> None:
    path = project(tmp_path, one_target("tags: {Env: prod}"), REGIONS)

    result = run(["targets", "--project-dir", str(path), "--stack", "t", "--region", "ap-south-1"], StubClients(REGION))

    assert result.code == 2
    assert "deploys no window to --region ap-south-1; its regions: eu-west-1, us-east-1" in result.err


MEMBER = "444455556666"
ROLE = f"arn:aws:iam::{MEMBER}:role/deployer"
ACCOUNTS = ("  maintenance-windows:accounts:\n"
            f"    - id: '{ACCOUNT}'\n"
            f"    - id: '{MEMBER}'\n"
            "      name: prod\n"
            f"      roleArn: {ROLE}\n"
            "      regions: [us-east-1]\n")


class RoleStubClients(StubClients):
    """Stubbed clients whose ``for_role`` hands out other stubbed clients, one set per role."""

    def __init__(self) -> None:
        super().__init__(REGION)
        self.roles: dict[tuple[str, str | None], StubClients] = {}
        self.sessions: list[str] = []

    def for_role(self, role_arn: str, region: str | None = None, *, duration_seconds: int | None = None,
                 session_name: str = "") -> Clients:
        self.sessions.append(session_name)
        return self.roles.setdefault((role_arn, region), StubClients(REGION))


def test_a_member_account_is_resolved_with_the_clients_of_its_role(tmp_path: Path) -> None:
    clients = RoleStubClients()
    expect_ec2(clients.stub("ec2"), [{"Name": "tag:Env", "Values": ["prod"]}], [])
    member_clients = clients.for_role(ROLE, "us-east-1")
    expect_ec2(member_clients.stub("ec2", "us-east-1"), [{"Name": "tag:Env", "Values": ["prod"]}],  # type: ignore[attr-defined]
               [instance(I1, tags={"Env": "prod"})])
    expect_ssm(member_clients.stub("ssm", "us-east-1"), [I1], [node(I1)])  # type: ignore[attr-defined]
    path = project(tmp_path, one_target("tags: {Env: prod}"), ACCOUNTS)

    result = run(["targets", "--project-dir", str(path), "--stack", "t", "--json"], clients)

    assert [(t["account"], t["region"], len(t["instances"])) for t in result.json()["targets"]] == [
        (ACCOUNT, REGION, 0), (MEMBER, "us-east-1", 1)]
    assert list(clients.roles) == [(ROLE, "us-east-1")]
    assert clients.sessions[1:] == ["mw-targets"]  # CloudTrail in the member account shows which command it was
    for stubs in (clients, member_clients):
        for stubber in stubs.stubbers.values():  # type: ignore[attr-defined]
            stubber.assert_no_pending_responses()


class NoRoleClients(StubClients):
    for_role = None  # type: ignore[assignment]


def test_without_a_way_to_assume_roles_a_member_account_is_an_error(tmp_path: Path) -> None:
    clients = NoRoleClients(REGION)
    expect_ec2(clients.stub("ec2"), [{"Name": "tag:Env", "Values": ["prod"]}], [])
    path = project(tmp_path, one_target("tags: {Env: prod}"), ACCOUNTS)

    result = run(["targets", "--project-dir", str(path), "--stack", "t"], clients)

    assert result.code == 2
    assert result.err == f"error: account {MEMBER} is reached by assuming {ROLE}, which this mw cannot do\n"


# --- end to end: the real clients over HTTP ----------------------------------------------------------------

EC2_INSTANCES = [
    # web: Env=prod and Role web or api
    {"id": "i-0aaaaaaaaaaaaaaa1", "state": "running", "tags": {"Env": "prod", "Role": "web", "Name": "web-1"}},
    {"id": "i-0aaaaaaaaaaaaaaa2", "state": "running", "tags": {"Env": "prod", "Role": "api", "Name": "api-1"},
     "windows": True},
    {"id": "i-0aaaaaaaaaaaaaaa3", "state": "stopped", "tags": {"Env": "prod", "Role": "web", "Name": "web-2"}},
    {"id": "i-0aaaaaaaaaaaaaaa9", "state": "running", "tags": {"Env": "prod", "Role": "db", "Name": "db-1"}},
    # pinned
    {"id": "i-0aaaaaaaaaaaaaaa4", "state": "running", "tags": {"Name": "build-1"}},
    {"id": "i-0aaaaaaaaaaaaaaa5", "state": "running", "tags": {"Name": "legacy-1"}},
    # the batch-fleet group
    {"id": "i-0aaaaaaaaaaaaaaa6", "state": "running", "tags": {"Name": "batch-win-1"}, "windows": True},
    {"id": "i-0aaaaaaaaaaaaaaa7", "state": "running", "tags": {"Name": "batch-mac-1"}},
]
NODES = {
    "i-0aaaaaaaaaaaaaaa1": ("Online", "Linux", "Amazon Linux", "3.3.40.0"),
    "i-0aaaaaaaaaaaaaaa2": ("Online", "Windows", "Microsoft Windows Server 2022 Datacenter", "3.3.40.0"),
    "i-0aaaaaaaaaaaaaaa4": ("ConnectionLost", "Linux", "Ubuntu", "3.2.582.0"),
    "mi-0bbbbbbbbbbbbbbb1": ("Online", "Linux", "Red Hat Enterprise Linux", "3.3.40.0"),
    "i-0aaaaaaaaaaaaaaa6": ("Online", "Windows", "Microsoft Windows Server 2019 Datacenter", "3.3.40.0"),
    "i-0aaaaaaaaaaaaaaa7": ("Online", "MacOS", "macOS", "3.3.40.0"),
}
GROUP = ["arn:aws:ec2:eu-west-1:111122223333:instance/i-0aaaaaaaaaaaaaaa6",
         "arn:aws:ec2:eu-west-1:111122223333:instance/i-0aaaaaaaaaaaaaaa7"]


def _unescape(value: str) -> str:
    return value.replace("\\*", "*").replace("\\?", "?").replace("\\\\", "\\")


def _matches(item: dict[str, Any], name: str, values: list[str]) -> bool:
    if name == "instance-id":
        return item["id"] in values
    if name == "tag-key":
        return any(k in item["tags"] for k in values)
    if name.startswith("tag:"):
        return item["tags"].get(name[4:]) in values
    raise AssertionError(f"the stand-in knows no filter {name}")


def _ec2_xml(found: list[dict[str, Any]]) -> str:
    items = "".join(
        f"<item><instanceId>{i['id']}</instanceId><instanceState><code>16</code><name>{i['state']}</name>"
        "</instanceState>" + ("<platform>windows</platform>" if i.get("windows") else "") + "<tagSet>"
        + "".join(f"<item><key>{escape(k)}</key><value>{escape(v)}</value></item>" for k, v in i["tags"].items())
        + "</tagSet></item>" for i in found)
    return ('<?xml version="1.0" encoding="UTF-8"?><DescribeInstancesResponse '
            'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><reservationSet><item>'
            f"<reservationId>r-1</reservationId><ownerId>{ACCOUNT}</ownerId><instancesSet>{items}</instancesSet>"
            "</item></reservationSet></DescribeInstancesResponse>")


class _StandIn(BaseHTTPRequestHandler):
    """EC2 (a form body, XML answers), SSM (an X-Amz-Target header) and Resource Groups (/list-group-resources)."""

    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: str, kind: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        operation = self.headers.get("X-Amz-Target")
        if operation:
            request = json.loads(body)
            self.server.requests.append(("ssm", request))
            if self.server.throttle:
                return self._send(400, json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}),
                                  "application/x-amz-json-1.1")
            wanted = request["Filters"][0]["Values"]
            if any((i not in NODES and i.startswith("mi-")) or i == "i-0ffffffffffffffff" for i in wanted):
                return self._send(400, json.dumps({"__type": "InvalidInstanceId", "message": "not valid"}),
                                  "application/x-amz-json-1.1")
            found = [{"InstanceId": i, "PingStatus": p, "PlatformType": t, "PlatformName": n, "AgentVersion": a,
                      "LastPingDateTime": 1767225600.0} for i, (p, t, n, a) in NODES.items() if i in wanted]
            return self._send(200, json.dumps({"InstanceInformationList": found}), "application/x-amz-json-1.1")
        if self.path == "/list-group-resources":
            request = json.loads(body)
            self.server.requests.append(("resource-groups", request))
            if request["Group"] != "batch-fleet":
                return self._send(404, json.dumps({"Message": "not found"}), "application/json",
                                  {"x-amzn-ErrorType": "NotFoundException"})
            return self._send(200, json.dumps({"Resources": [
                {"Identifier": {"ResourceArn": arn, "ResourceType": "AWS::EC2::Instance"}} for arn in GROUP]}),
                "application/json")
        form = {k: v[0] for k, v in parse_qs(body).items()}
        self.server.requests.append(("ec2", form))
        filters = []
        for n in range(1, 20):
            if f"Filter.{n}.Name" not in form:
                break
            values = [_unescape(form[f"Filter.{n}.Value.{v}"]) for v in range(1, 300) if f"Filter.{n}.Value.{v}" in form]
            filters.append((form[f"Filter.{n}.Name"], values))
        found = [i for i in EC2_INSTANCES if all(_matches(i, name, values) for name, values in filters)]
        return self._send(200, _ec2_xml(found), "text/xml")


@pytest.fixture
def endpoint(serve_aws: Callable[..., ThreadingHTTPServer]) -> ThreadingHTTPServer:
    server = serve_aws(_StandIn)
    server.requests = []  # type: ignore[attr-defined]
    server.throttle = False  # type: ignore[attr-defined]
    return server


def fake_account(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: maintenance-windows\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("")
    shutil.copy(FIXTURES / "Pulumi.test.yaml", tmp_path / "Pulumi.test.yaml")
    return tmp_path


def test_end_to_end_against_a_local_endpoint_speaking_ec2_ssm_and_resource_groups(
        endpoint: ThreadingHTTPServer, tmp_path: Path) -> None:
    path = fake_account(tmp_path)

    text = run(["targets", "--project-dir", str(path), "--stack", "test"])
    as_json = run(["targets", "--project-dir", str(path), "--stack", "test", "--json"])

    assert (text.code, as_json.code) == (1, 1), text.err
    assert text.out == (FIXTURES / "output.txt").read_text(encoding="utf-8")
    result = as_json.json()
    assert [(t["window"], t["target"], [i["instanceId"] for i in t["instances"]]) for t in result["targets"]] == [
        ("patch-web", "web", ["i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2", "i-0aaaaaaaaaaaaaaa3"]),
        ("patch-web", "pinned", ["i-0aaaaaaaaaaaaaaa4", "i-0aaaaaaaaaaaaaaa5", "mi-0bbbbbbbbbbbbbbb1",
                                 "i-0ffffffffffffffff"]),
        ("batch", "group", ["i-0aaaaaaaaaaaaaaa6", "i-0aaaaaaaaaaaaaaa7"]),
        ("batch", "nobody", [])]
    assert result["summary"] == {"targets": 4, "instances": 9, "problems": 7}
    ec2 = [form for service, form in endpoint.requests if service == "ec2"]
    assert ec2[0] == {"Action": "DescribeInstances", "Version": "2016-11-15", "MaxResults": "1000",
                      "Filter.1.Name": "tag:Env", "Filter.1.Value.1": "prod",
                      "Filter.2.Name": "tag:Role", "Filter.2.Value.1": "web", "Filter.2.Value.2": "api"}
    groups = [request for service, request in endpoint.requests if service == "resource-groups"]
    assert groups[0] == {"Group": "batch-fleet", "MaxResults": 50, "Filters": [
        {"Name": "resource-type", "Values": ["AWS::EC2::Instance", "AWS::SSM::ManagedInstance"]}]}


def test_the_docs_show_the_end_to_end_output() -> None:
    sample = (FIXTURES / "output.txt").read_text(encoding="utf-8")
    assert sample in (ROOT / "docs" / "targets.md").read_text(encoding="utf-8")


@pytest.mark.slow  # waits out botocore's retry backoff
def test_throttling_is_retried_then_reported_in_one_line(endpoint: ThreadingHTTPServer, tmp_path: Path) -> None:
    endpoint.throttle = True  # type: ignore[attr-defined]

    result = run(["targets", "--project-dir", str(fake_account(tmp_path)), "--stack", "test"])

    assert (result.code, result.out) == (2, "")
    assert result.err == "error: AWS kept throttling DescribeInstanceInformation after retries; try again in a minute\n"
    assert [service for service, _ in endpoint.requests].count("ssm") == 2  # botocore's standard retry, 2 attempts
