"""docs/deployer-policy.json lets the deploying identity do what `pulumi up`, `refresh` and `destroy` do with this
project's resources, on those resources, and nothing else.

The table REQUIRED is the list of actions each resource type needs (create, read, update, delete), from the
Service Authorization Reference and the terraform-provider-aws code paths docs/deploy-permissions.md cites.
The plans of the repository's stacks (and of one with every optional resource) say which types the program creates:
a new type fails here until the table and the policy cover it. The policy, filled in for a stack, must then allow
each action on the ARN of each planned resource (a small evaluator: Allow statements, ARN patterns, the condition
operators the policy uses), and grant no action outside the table.
"""

from __future__ import annotations

import copy
import fnmatch
import gzip
import json
import re
import shutil
import subprocess
import textwrap
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, STACKS, stack_config

from mw_core import tokens

POLICY_FILE = ROOT / "docs" / "deployer-policy.json"
DOC_FILE = ROOT / "docs" / "deploy-permissions.md"
README_FILE = ROOT / "README.md"
README_SECTION = "### Permissions the deploying identity needs"
BOTOCORE = Path(__import__("botocore").__file__).parent / "data"

POLICY: dict[str, Any] = json.loads(POLICY_FILE.read_text(encoding="utf-8"))
DOC = DOC_FILE.read_text(encoding="utf-8")

SERVICES = {"iam", "ssm", "s3", "sns", "logs", "sts"}
PLACEHOLDERS = {"Partition", "AccountId", "Region", "Prefix", "PassRoleGroup", "BucketPrefix", "TopicPrefix",
                "LogGroupPrefix"}
# The values the repository's stacks fill in (docs/deploy-permissions.md shows the prod ones in its envsubst line).
STACK_VALUES = {
    "dev": {"Partition": "aws", "AccountId": "123456789012", "Region": "us-east-1", "Prefix": "SSMMaintenanceWindow",
            "PassRoleGroup": "Administrators", "BucketPrefix": "output-bucket-", "TopicPrefix": "notifications-",
            "LogGroupPrefix": "/maintenance-windows/"},
    "prod": {"Partition": "aws", "AccountId": "123456789012", "Region": "us-east-1", "Prefix": "ProdMaintenanceWindow",
             "PassRoleGroup": "PlatformAdmins", "BucketPrefix": "output-bucket-", "TopicPrefix": "notifications-",
             "LogGroupPrefix": "/maintenance-windows/"},
    # One policy per account and region: AccountId and Region are each resource's own (member accounts too).
    "org": {"Partition": "aws", "AccountId": "123456789012", "Region": "us-east-1", "Prefix": "OrgMaintenanceWindow",
            "PassRoleGroup": "PlatformAdmins", "BucketPrefix": "output-bucket-", "TopicPrefix": "notifications-",
            "LogGroupPrefix": "/maintenance-windows/"},
}
# IAM counts a managed policy's characters without whitespace (IAM quotas: "Managed policy size: 6,144").
MANAGED_POLICY_MAX = 6144

# The actions that support no resource-level permission: the SAR lists no resource type for them (checked against
# parliament 1.6.4's copy of the SAR, iam_definition.json). Only they may be granted on "*".
NO_RESOURCE_LEVEL = {
    "sts:GetCallerIdentity", "ssm:CreateMaintenanceWindow", "ssm:CreatePatchBaseline", "ssm:DescribePatchGroups",
    "logs:DescribeLogGroups", "sns:GetSubscriptionAttributes", "sns:Unsubscribe",
}

# What each resource type needs, by phase. Every type the program can create is here; a type whose instances are all
# retained on delete needs no delete action (and the policy grants none: see test_retained_types_are_retained).
REQUIRED: dict[str, dict[str, tuple[str, ...]]] = {
    tokens.ROLE: {
        "create": ("iam:CreateRole", "iam:TagRole"),
        "read": ("iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies"),
        "update": ("iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
                   "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "iam:TagRole",
                   "iam:UntagRole"),
        "delete": ("iam:ListInstanceProfilesForRole", "iam:DeleteRole"),
    },
    tokens.ROLE_POLICY: {
        "create": ("iam:PutRolePolicy",), "read": ("iam:GetRolePolicy",), "update": ("iam:PutRolePolicy",),
        "delete": ("iam:DeleteRolePolicy",),
    },
    tokens.ROLE_POLICY_ATTACHMENT: {
        "create": ("iam:AttachRolePolicy",), "read": ("iam:ListAttachedRolePolicies",), "update": (),
        "delete": ("iam:DetachRolePolicy",),
    },
    tokens.POLICY: {
        "create": ("iam:CreatePolicy",), "read": ("iam:GetPolicy", "iam:GetPolicyVersion"),
        "update": ("iam:CreatePolicyVersion", "iam:ListPolicyVersions", "iam:DeletePolicyVersion"),
        "delete": ("iam:ListPolicyVersions", "iam:DeletePolicyVersion", "iam:DeletePolicy"),
    },
    tokens.GROUP_POLICY_ATTACHMENT: {
        "create": ("iam:AttachGroupPolicy",), "read": ("iam:ListAttachedGroupPolicies",), "update": (),
        "delete": ("iam:DetachGroupPolicy",),
    },
    tokens.USER_POLICY_ATTACHMENT: {
        "create": ("iam:AttachUserPolicy",), "read": ("iam:ListAttachedUserPolicies",), "update": (),
        "delete": ("iam:DetachUserPolicy",),
    },
    tokens.MAINTENANCE_WINDOW: {
        "create": ("ssm:CreateMaintenanceWindow", "ssm:AddTagsToResource"),
        "read": ("ssm:GetMaintenanceWindow", "ssm:ListTagsForResource"),
        "update": ("ssm:UpdateMaintenanceWindow", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"),
        "delete": ("ssm:DeleteMaintenanceWindow",),
    },
    tokens.MAINTENANCE_WINDOW_TARGET: {
        "create": ("ssm:RegisterTargetWithMaintenanceWindow",), "read": ("ssm:DescribeMaintenanceWindowTargets",),
        "update": ("ssm:UpdateMaintenanceWindowTarget",), "delete": ("ssm:DeregisterTargetFromMaintenanceWindow",),
    },
    tokens.MAINTENANCE_WINDOW_TASK: {
        "create": ("ssm:RegisterTaskWithMaintenanceWindow", "iam:PassRole"), "read": ("ssm:GetMaintenanceWindowTask",),
        "update": ("ssm:UpdateMaintenanceWindowTask", "iam:PassRole"),
        "delete": ("ssm:DeregisterTaskFromMaintenanceWindow",),
    },
    tokens.PATCH_BASELINE: {
        "create": ("ssm:CreatePatchBaseline", "ssm:AddTagsToResource"),
        "read": ("ssm:GetPatchBaseline", "ssm:ListTagsForResource"),
        "update": ("ssm:UpdatePatchBaseline", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"),
        "delete": ("ssm:DeletePatchBaseline",),
    },
    tokens.PATCH_GROUP: {
        "create": ("ssm:RegisterPatchBaselineForPatchGroup",), "read": ("ssm:DescribePatchGroups",), "update": (),
        "delete": ("ssm:DeregisterPatchBaselineForPatchGroup",),
    },
    tokens.BUCKET: {
        "create": ("s3:CreateBucket", "s3:ListBucket", "s3:TagResource", "s3:PutBucketTagging"),
        "read": ("s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetBucketWebsite",
                 "s3:GetAccelerateConfiguration", "s3:GetBucketRequestPayment", "s3:GetBucketLogging",
                 "s3:GetReplicationConfiguration", "s3:GetBucketObjectLockConfiguration", "s3:GetBucketPolicy",
                 "s3:GetBucketVersioning", "s3:GetLifecycleConfiguration", "s3:GetEncryptionConfiguration",
                 "s3:ListTagsForResource", "s3:GetBucketTagging"),
        "update": ("s3:TagResource", "s3:UntagResource", "s3:PutBucketTagging"),
        "delete": (),  # retained
    },
    tokens.BUCKET_OWNERSHIP_CONTROLS: {
        "create": ("s3:PutBucketOwnershipControls",), "read": ("s3:GetBucketOwnershipControls",),
        "update": ("s3:PutBucketOwnershipControls",), "delete": ("s3:PutBucketOwnershipControls",),
    },
    tokens.BUCKET_PUBLIC_ACCESS_BLOCK: {
        "create": ("s3:PutBucketPublicAccessBlock",), "read": ("s3:GetBucketPublicAccessBlock",),
        "update": ("s3:PutBucketPublicAccessBlock",), "delete": ("s3:PutBucketPublicAccessBlock",),
    },
    tokens.BUCKET_ENCRYPTION: {
        "create": ("s3:PutEncryptionConfiguration",), "read": ("s3:GetEncryptionConfiguration",),
        "update": ("s3:PutEncryptionConfiguration",), "delete": ("s3:PutEncryptionConfiguration",),
    },
    tokens.BUCKET_VERSIONING: {
        "create": ("s3:PutBucketVersioning",), "read": ("s3:GetBucketVersioning",),
        "update": ("s3:PutBucketVersioning",), "delete": ("s3:PutBucketVersioning",),
    },
    tokens.BUCKET_LIFECYCLE: {
        "create": ("s3:PutLifecycleConfiguration",), "read": ("s3:GetLifecycleConfiguration",),
        "update": ("s3:PutLifecycleConfiguration",), "delete": ("s3:PutLifecycleConfiguration",),
    },
    tokens.BUCKET_POLICY: {
        "create": ("s3:PutBucketPolicy",), "read": ("s3:GetBucketPolicy",), "update": ("s3:PutBucketPolicy",),
        "delete": ("s3:DeleteBucketPolicy",),
    },
    tokens.TOPIC: {
        "create": ("sns:CreateTopic", "sns:TagResource", "sns:SetTopicAttributes"),
        "read": ("sns:GetTopicAttributes", "sns:ListTagsForResource"),
        "update": ("sns:SetTopicAttributes", "sns:TagResource", "sns:UntagResource"), "delete": ("sns:DeleteTopic",),
    },
    tokens.TOPIC_POLICY: {
        "create": ("sns:SetTopicAttributes",), "read": ("sns:GetTopicAttributes",),
        "update": ("sns:SetTopicAttributes",), "delete": ("sns:SetTopicAttributes",),
    },
    tokens.TOPIC_SUBSCRIPTION: {
        "create": ("sns:Subscribe",), "read": ("sns:GetSubscriptionAttributes",), "update": (),
        "delete": ("sns:Unsubscribe",),
    },
    tokens.LOG_GROUP: {
        "create": ("logs:CreateLogGroup", "logs:TagResource", "logs:PutRetentionPolicy"),
        "read": ("logs:DescribeLogGroups", "logs:ListTagsForResource"),
        "update": ("logs:PutRetentionPolicy", "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource",
                   "logs:UntagResource"),
        "delete": (),  # retained
    },
}
# The provider itself, before any resource: the account ID (and the service role's aws:SourceAccount).
PROVIDER = ("sts:GetCallerIdentity",)
# Types whose holders docs/deploy-permissions.md grants in a statement to add ("Stacks that need more"), not the JSON.
ADDED_BY_DOC = {tokens.USER_POLICY_ATTACHMENT}

# The SAR resource types each action is authorised against (parliament 1.6.4's copy of the SAR), reduced to the
# ones this project has. The S3 Control tagging actions take general purpose buckets per the S3 API reference
# (TagResource, UntagResource, ListTagsForResource), which is newer than that copy.
KINDS: dict[str, tuple[str, ...]] = {
    **{action: () for action in NO_RESOURCE_LEVEL},
    **{f"iam:{name}": ("role",) for name in (
        "CreateRole", "GetRole", "UpdateRole", "UpdateRoleDescription", "UpdateAssumeRolePolicy",
        "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary", "TagRole", "UntagRole",
        "ListInstanceProfilesForRole", "DeleteRole", "PutRolePolicy", "GetRolePolicy", "ListRolePolicies",
        "DeleteRolePolicy", "ListAttachedRolePolicies", "AttachRolePolicy", "DetachRolePolicy", "PassRole")},
    **{f"iam:{name}": ("policy",) for name in (
        "CreatePolicy", "GetPolicy", "GetPolicyVersion", "ListPolicyVersions", "CreatePolicyVersion",
        "DeletePolicyVersion", "DeletePolicy")},
    **{f"iam:{name}": ("group",) for name in ("AttachGroupPolicy", "DetachGroupPolicy", "ListAttachedGroupPolicies")},
    **{f"iam:{name}": ("user",) for name in ("AttachUserPolicy", "DetachUserPolicy", "ListAttachedUserPolicies")},
    **{f"ssm:{name}": ("maintenancewindow",) for name in (
        "GetMaintenanceWindow", "UpdateMaintenanceWindow", "DeleteMaintenanceWindow",
        "RegisterTargetWithMaintenanceWindow", "DescribeMaintenanceWindowTargets", "RegisterTaskWithMaintenanceWindow",
        "GetMaintenanceWindowTask")},
    "ssm:UpdateMaintenanceWindowTarget": ("maintenancewindow", "windowtarget"),
    "ssm:DeregisterTargetFromMaintenanceWindow": ("maintenancewindow", "windowtarget"),
    "ssm:UpdateMaintenanceWindowTask": ("maintenancewindow", "windowtask"),
    "ssm:DeregisterTaskFromMaintenanceWindow": ("maintenancewindow", "windowtask"),
    **{f"ssm:{name}": ("patchbaseline",) for name in (
        "GetPatchBaseline", "UpdatePatchBaseline", "DeletePatchBaseline", "RegisterPatchBaselineForPatchGroup",
        "DeregisterPatchBaselineForPatchGroup")},
    **{f"ssm:{name}": ("maintenancewindow", "patchbaseline") for name in (
        "AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource")},
    **{action: ("bucket",) for phases in (REQUIRED[t] for t in REQUIRED if t.startswith("aws:s3/"))
       for actions in phases.values() for action in actions},
    "s3:DeleteBucket": ("bucket",),
    **{action: ("topic",) for action in (
        "sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:DeleteTopic", "sns:TagResource",
        "sns:UntagResource", "sns:ListTagsForResource", "sns:Subscribe")},
    **{action: ("log-group",) for action in (
        "logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:AssociateKmsKey", "logs:DisassociateKmsKey",
        "logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource", "logs:DeleteLogGroup")},
}


# --- the policy as data ----------------------------------------------------------------------------------------


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def actions_of(statements: Iterable[Mapping[str, Any]]) -> list[str]:
    return [action for s in statements for action in as_list(s["Action"])]


def fill(document: Any, values: Mapping[str, str]) -> Any:
    """The policy with every ``${Name}`` replaced, as envsubst would."""
    text = json.dumps(document)
    return json.loads(re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], text))


def matches(pattern: str, value: str) -> bool:
    """IAM's ARN matching: ``*`` any characters (``/`` and ``:`` too), ``?`` one; case-sensitive."""
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    """The operators the policy uses; a key missing from the request fails the condition, as in IAM."""
    for operator, keys in condition.items():
        for key, expected in keys.items():
            if key not in context:
                return False
            actual = context[key]
            if operator in ("StringEquals", "ArnEquals"):
                ok = actual in as_list(expected)
            elif operator == "ArnLike":
                ok = any(matches(pattern, actual) for pattern in as_list(expected))
            else:
                raise AssertionError(f"the evaluator does not know the condition operator {operator}")
            if not ok:
                return False
    return True


def allowed(policy: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str] | None = None) -> bool:
    """Whether an Allow statement grants ``action`` on ``resource`` (the policy has no Deny, NotAction or
    NotResource: test_policy_document checks that)."""
    return any(action in as_list(s["Action"]) and any(matches(p, resource) for p in as_list(s["Resource"]))
               and condition_holds(s.get("Condition", {}), context or {})
               for s in policy["Statement"])


# --- the plans -------------------------------------------------------------------------------------------------


def every_option_config() -> dict[str, Any]:
    """The prod stack plus what it leaves out: PassRole holders that are users and roles."""
    config = copy.deepcopy(stack_config("prod"))
    config["maintenance-windows:passRole"] = {**config["maintenance-windows:passRole"], "users": ["alice"],
                                               "roles": ["AuditRole"]}
    return config


@cache
def plan_of(stack: str) -> Any:
    """The program's resources for a stack of the repository, or ``every-option``."""
    from mw_engine.engine import run_program

    if stack == "every-option":
        return run_program(ROOT, project="maintenance-windows", stack="prod", config=every_option_config())
    from mw.plan import plan

    return plan(stack, project_dir=ROOT, policies=False).run


def custom(run: Any) -> list[Any]:
    """The AWS resources of a run (not the stack, the components or the providers)."""
    return [r for r in run.resources if r.custom and r.type.startswith("aws:")]


def assumed_roles(run: Any) -> dict[str, str]:
    """The role each explicit AWS provider assumes (member accounts), by provider URN."""
    return {r.urn: json.loads(r.inputs["assumeRoles"])[0]["roleArn"] for r in run.resources
            if r.type == tokens.AWS_PROVIDER and r.inputs.get("assumeRoles")}


def where(r: Any, run: Any, home: Mapping[str, str]) -> dict[str, str]:
    """The account and region a resource is created in: its provider's assumed role's account, else the
    deploying one; its own region, else its provider's, else the stack's."""
    role = assumed_roles(run).get(r.provider_urn)
    provider = next((p for p in run.resources if p.urn == r.provider_urn), None)
    region = r.inputs.get("region") or (provider.inputs.get("region") if provider else None) or home["Region"]
    return {"AccountId": role.split(":")[4] if role else home["AccountId"], "Region": region}


def requests(r: Any, region: str, account: str = "123456789012") -> tuple[dict[str, list[str]], dict[str, str]]:
    """The ARNs a planned resource's API calls are authorised against, by SAR resource type, and the condition
    keys they carry."""
    inputs = {**r.inputs, **r.outputs}
    iam = f"arn:aws:iam::{account}:"
    ssm = f"arn:aws:ssm:{region}:{account}:"
    window = {"maintenancewindow": [f"{ssm}maintenancewindow/{inputs.get('windowId')}"]}
    attached = {"iam:PolicyARN": inputs.get("policyArn", "")}
    match r.type:
        case tokens.ROLE:
            return {"role": [inputs["arn"]]}, {}
        case tokens.ROLE_POLICY:
            return {"role": [f"{iam}role/{inputs['role']}"]}, {}
        case tokens.ROLE_POLICY_ATTACHMENT:
            return {"role": [f"{iam}role/{inputs['role']}"]}, attached
        case tokens.GROUP_POLICY_ATTACHMENT:
            return {"group": [f"{iam}group/{inputs['group']}"]}, attached
        case tokens.USER_POLICY_ATTACHMENT:
            return {"user": [f"{iam}user/{inputs['user']}"]}, attached
        case tokens.POLICY:
            return {"policy": [inputs["arn"]]}, {}
        case tokens.MAINTENANCE_WINDOW:
            return {"maintenancewindow": [f"{ssm}maintenancewindow/{r.id}"]}, {}
        case tokens.MAINTENANCE_WINDOW_TARGET:
            return {**window, "windowtarget": [f"{ssm}windowtarget/{r.id}"]}, {}
        case tokens.MAINTENANCE_WINDOW_TASK:
            notify = (inputs.get("taskInvocationParameters") or {}).get("runCommandParameters", {})
            roles = [inputs["serviceRoleArn"], *([notify["serviceRoleArn"]] if notify.get("serviceRoleArn") else [])]
            return ({**window, "windowtask": [f"{ssm}windowtask/{r.id}"], "role": roles},
                    {"iam:PassedToService": "ssm.amazonaws.com"})
        case tokens.PATCH_BASELINE:
            return {"patchbaseline": [f"{ssm}patchbaseline/{r.id}"]}, {}
        case tokens.PATCH_GROUP:
            return {"patchbaseline": [f"{ssm}patchbaseline/{inputs['baselineId']}"]}, {}
        case tokens.TOPIC | tokens.TOPIC_POLICY:
            return {"topic": [inputs["arn"]]}, {}
        case tokens.TOPIC_SUBSCRIPTION:
            return {"topic": [inputs["topic"]]}, {}
        case tokens.LOG_GROUP:
            return {"log-group": [f"arn:aws:logs:{region}:{account}:log-group:{inputs['name']}"]}, {}
        case t if t.startswith("aws:s3/"):
            return {"bucket": [f"arn:aws:s3:::{inputs['bucket']}"]}, {}
    raise AssertionError(f"no ARNs known for {r.type}: add the type to requests()")


def resources_requested(action: str, arns: Mapping[str, list[str]]) -> list[str]:
    kinds = KINDS[action]
    if not kinds:
        return ["*"]
    found = [arn for kind in kinds for arn in arns.get(kind, [])]
    assert found, f"{action} is authorised against {kinds}, and the resource has none of them"
    return found


# --- the document ----------------------------------------------------------------------------------------------


def test_policy_document() -> None:
    """A policy document IAM takes: Version 2012-10-17, Allow statements with a unique Sid, Action and Resource,
    no Principal (an identity policy), no NotAction or NotResource (they widen in ways hard to see)."""
    assert POLICY["Version"] == "2012-10-17"
    assert set(POLICY) == {"Version", "Statement"}
    statements = POLICY["Statement"]
    assert isinstance(statements, list) and statements
    sids = [s.get("Sid") for s in statements]
    assert all(isinstance(sid, str) and re.fullmatch(r"[A-Za-z0-9]+", sid) for sid in sids), sids
    assert len(set(sids)) == len(sids), sids
    for statement in statements:
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}, statement
        assert statement["Effect"] == "Allow", statement["Sid"]
        assert as_list(statement["Action"]) and as_list(statement["Resource"]), statement["Sid"]


def test_action_names() -> None:
    """Every action is `service:Name`, of a service the program uses, with no wildcard, granted once."""
    actions = actions_of(POLICY["Statement"])
    bad = [a for a in actions if not re.fullmatch(r"[a-z0-9-]+:[A-Z][A-Za-z0-9]+", a)]
    assert not bad, f"not service:Name (no * or ?): {bad}"
    assert {a.split(":")[0] for a in actions} == SERVICES
    twice = sorted({a for a in actions if actions.count(a) > 1})
    assert not twice, f"granted in more than one statement: {twice}"


SERVICE_MODELS = {"iam": "iam", "ssm": "ssm", "sns": "sns", "logs": "logs", "sts": "sts"}


@cache
def model(service: str) -> dict[str, Any]:
    """botocore's model of a service, as installed (``data/<service>/<version>/service-2.json[.gz]``)."""
    path = max((BOTOCORE / service).glob("*/service-2.json*"))
    raw = path.read_bytes()
    return json.loads(gzip.decompress(raw) if path.suffix == ".gz" else raw)



def operations(service: str) -> set[str]:
    return set(model(SERVICE_MODELS[service])["operations"])


@pytest.mark.parametrize("action", sorted(a for a in actions_of(POLICY["Statement"])
                                          if a.split(":")[0] in SERVICE_MODELS and a != "iam:PassRole"))
def test_action_is_an_api_operation(action: str) -> None:
    """IAM, SSM, SNS, CloudWatch Logs and STS name their actions after their API operations, so each must be one in
    botocore's model. Exempt: iam:PassRole (a permission only, no API) and every S3 action (S3's IAM names differ
    from its API's: s3:PutEncryptionConfiguration authorises PutBucketEncryption)."""
    service, name = action.split(":")
    assert name in operations(service), f"{action}: no operation {name} in botocore's {service} model"


def doc_section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    end = text.find("\n#", start + len(heading) + 2)
    return text[start:end if end >= 0 else None]


def test_wildcard_resources_only_for_actions_without_resource_level_permissions() -> None:
    """`*` is the Resource of exactly the actions the SAR gives no resource type, and docs/deploy-permissions.md
    lists exactly those under "Actions on `*`"."""
    on_star = {a for s in POLICY["Statement"] if "*" in as_list(s["Resource"]) for a in as_list(s["Action"])}
    assert on_star == NO_RESOURCE_LEVEL
    listed = set(re.findall(r"^- `([a-z0-9-]+:[A-Za-z]+)`$", doc_section(DOC, "## Actions on `*`"), re.M))
    assert listed == NO_RESOURCE_LEVEL
    for statement in POLICY["Statement"]:
        for resource in as_list(statement["Resource"]):
            assert resource == "*" or resource.startswith("arn:${Partition}:"), (statement["Sid"], resource)


def test_passrole_only_on_the_service_role_to_systems_manager() -> None:
    """iam:PassRole in one statement of its own: on the service role's ARN pattern, to ssm.amazonaws.com only."""
    holding = [s for s in POLICY["Statement"] if "iam:PassRole" in as_list(s["Action"])]
    assert len(holding) == 1
    statement = holding[0]
    assert as_list(statement["Action"]) == ["iam:PassRole"]
    assert as_list(statement["Resource"]) == ["arn:${Partition}:iam::${AccountId}:role/${Prefix}*"]
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}


def test_placeholders() -> None:
    """Every placeholder in the policy is one the doc's table explains, and the doc's envsubst line fills in all."""
    used = set(re.findall(r"\$\{(\w+)\}", POLICY_FILE.read_text(encoding="utf-8")))
    assert used == PLACEHOLDERS
    table = set(re.findall(r"^\| `\$\{(\w+)\}` \|", DOC, re.M))
    assert table == PLACEHOLDERS
    assert set(envsubst_values()) == PLACEHOLDERS
    assert envsubst_values() == STACK_VALUES["prod"]


def envsubst_command() -> str:
    blocks = re.findall(r"```sh\n(.*?)```", DOC, re.S)
    found = [b for b in blocks if "envsubst" in b]
    assert len(found) == 1, "docs/deploy-permissions.md should show one envsubst command"
    return found[0]


def envsubst_values() -> dict[str, str]:
    return dict(re.findall(r"(?:^|\s)([A-Z]\w*)=(\S+)", envsubst_command()))


@pytest.mark.skipif(shutil.which("envsubst") is None, reason="needs envsubst (GNU gettext)")
def test_envsubst_command_in_the_doc_works(tmp_path: Path) -> None:
    """The doc's command, run as shown from a copy of the repository root, writes the policy with every
    placeholder filled in, equal to filling it in here."""
    (tmp_path / "docs").mkdir()
    shutil.copy(POLICY_FILE, tmp_path / "docs")
    subprocess.run(["bash", "-euo", "pipefail", "-c", envsubst_command()], cwd=tmp_path, check=True)
    written = (tmp_path / "deployer-policy.prod.json").read_text(encoding="utf-8")
    assert "${" not in written
    assert json.loads(written) == fill(POLICY, STACK_VALUES["prod"])


@pytest.mark.parametrize("stack", sorted(STACK_VALUES))
def test_filled_in_policy_fits_a_managed_policy(stack: str) -> None:
    text = json.dumps(fill(POLICY, STACK_VALUES[stack]), separators=(",", ":"))
    assert len(re.sub(r"\s", "", text)) <= MANAGED_POLICY_MAX


# --- the table against the program ------------------------------------------------------------------------------

PLANNED = (*STACKS, "every-option")


def planned_types() -> set[str]:
    return {r.type for stack in PLANNED for r in plan_of(stack).resources}


def test_every_type_the_program_creates_is_in_the_table() -> None:
    """A resource type the program starts creating fails here until REQUIRED (and so the policy) covers it."""
    types = planned_types()
    aws_types = {t for t in types if t.startswith("aws:")}
    others = types - aws_types
    assert all(t.startswith(("maintenance-windows:", "pulumi:")) for t in others), others
    assert aws_types - set(REQUIRED) == set(), "add these types to REQUIRED and the policy"
    assert set(REQUIRED) - aws_types == set(), "REQUIRED names types the program no longer creates"


@pytest.mark.parametrize("token", sorted(REQUIRED))
def test_policy_grants_what_each_type_needs(token: str) -> None:
    """Every action of every phase of the type is granted: by the policy, or for PassRole holders that are users
    by the statement the doc adds."""
    granted = set(actions_of(POLICY["Statement"]))
    if token in ADDED_BY_DOC:
        granted = set(actions_of(doc_statements()))
    needed = {a for actions in REQUIRED[token].values() for a in actions}
    assert needed - granted == set()


def test_policy_grants_nothing_outside_the_table() -> None:
    """Least privilege: each granted action is needed by some resource type (or by the provider itself)."""
    needed = {a for phases in REQUIRED.values() for actions in phases.values() for a in actions} | set(PROVIDER)
    assert set(actions_of(POLICY["Statement"])) - needed == set()


@pytest.mark.parametrize("action", ["s3:DeleteBucket", "logs:DeleteLogGroup", "s3:DeleteObject",
                                    "s3:DeleteObjectVersion", "s3:ListBucketVersions", "s3:PutBucketAcl"])
def test_policy_cannot_delete_task_output(action: str) -> None:
    assert action not in actions_of(POLICY["Statement"])


@pytest.mark.parametrize("token", sorted(t for t, phases in REQUIRED.items() if not phases["delete"]))
def test_retained_types_are_retained(token: str) -> None:
    """A type the table gives no delete action is retained on delete wherever the program creates it, so Pulumi
    never asks AWS to delete it (components/output_bucket.py, components/log_group.py); no bucket sets
    forceDestroy."""
    found = [r for stack in PLANNED for r in custom(plan_of(stack)) if r.type == token]
    assert found, f"no {token} planned"
    assert all(r.retain_on_delete for r in found), [r.name for r in found if not r.retain_on_delete]
    assert not any(r.inputs.get("forceDestroy") for r in found)


@pytest.mark.parametrize("stack", STACKS)
def test_filled_in_policy_allows_every_call_on_every_planned_resource(stack: str) -> None:
    """The policy filled in with the stack's values, for the account and region of each planned resource, allows
    each action of each phase of the resource on its ARN (and PassRole on the roles its tasks pass, to Systems
    Manager)."""
    assert stack in STACK_VALUES, f"add the values docs/deployer-policy.json takes for stack {stack!r}"
    home = STACK_VALUES[stack]
    assert stack_config(stack)["aws:region"] == home["Region"]
    denied = [f"the provider: {action} on *" for action in PROVIDER if not allowed(fill(POLICY, home), action, "*")]
    checked = 0
    run = plan_of(stack)
    for r in custom(run):
        place = where(r, run, home)
        policy = fill(POLICY, {**home, **place})
        arns, context = requests(r, place["Region"], place["AccountId"])
        for phase, actions in REQUIRED[r.type].items():
            for action in actions:
                for arn in resources_requested(action, arns):
                    checked += 1
                    if not allowed(policy, action, arn, context):
                        denied.append(f"{r.type.split(':')[-1]} {r.name} ({phase}): {action} on {arn}")
    assert checked > 20
    assert not denied, "\n".join(denied)


def test_doc_statement_for_users_and_roles_allows_their_attachments() -> None:
    """The statements docs/deploy-permissions.md adds for `passRole.users` and `passRole.roles`, filled in, allow
    the attachments of the every-option stack, still only for this project's policies."""
    values = {**STACK_VALUES["prod"]}
    text = json.dumps(doc_statements("AttachPassRolePolicyToUsersAndRoles", "ReadPassRolePolicyUsersAndRoles"))
    text = text.replace("<user in passRole.users>", "alice").replace("<role in passRole.roles>", "AuditRole")
    policy = {"Statement": fill(json.loads(text), values)}
    holders = [r for r in custom(plan_of("every-option"))
               if r.type in (tokens.USER_POLICY_ATTACHMENT, tokens.ROLE_POLICY_ATTACHMENT)
               and "PassRole" in r.inputs.get("policyArn", "")]
    assert {r.type for r in holders} == {tokens.USER_POLICY_ATTACHMENT, tokens.ROLE_POLICY_ATTACHMENT}
    for r in holders:
        arns, context = requests(r, "us-east-1")
        for action in (a for actions in REQUIRED[r.type].values() for a in actions):
            for arn in resources_requested(action, arns):
                assert allowed(policy, action, arn, context), (r.name, action, arn)
        managed = {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}
        assert not allowed(policy, REQUIRED[r.type]["create"][0], resources_requested(
            REQUIRED[r.type]["create"][0], arns)[0], managed)


def doc_statements(*sids: str) -> list[dict[str, Any]]:
    """The statements docs/deploy-permissions.md adds for some stacks (its JSON lists), all or those named."""
    blocks = [textwrap.dedent(b) for b in re.findall(r"```json\n(.*?)```", DOC, re.S)]
    statements = [s for b in blocks if b.lstrip().startswith("[") for s in json.loads(b)]
    found = [s for s in statements if not sids or s["Sid"] in sids]
    assert found and (not sids or {s["Sid"] for s in found} == set(sids)), f"no statements {sids} in the doc"
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_doc_statement_lets_the_deployer_assume_member_account_roles(stack: str) -> None:
    """A stack with member accounts deploys through providers that assume each account's roleArn; the statement
    the doc adds, listing those ARNs, allows exactly sts:AssumeRole on them."""
    roles = sorted(set(assumed_roles(plan_of(stack)).values()))
    (statement,) = doc_statements("AssumeMemberAccountRoles")
    assert as_list(statement["Action"]) == ["sts:AssumeRole"]
    assert as_list(statement["Resource"]) == ["<each accounts[].roleArn>"]
    policy = {"Statement": [{**statement, "Resource": roles or ["<none>"]}]}
    assert all(allowed(policy, "sts:AssumeRole", role) for role in roles)
    assert not allowed(policy, "sts:AssumeRole", "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole")


# What the policy must refuse, filled in for prod: (what, action, resource, condition keys).
PROD = STACK_VALUES["prod"]
REFUSED = [
    ("PassRole to another service", "iam:PassRole", "arn:aws:iam::123456789012:role/ProdMaintenanceWindowRole",
     {"iam:PassedToService": "ec2.amazonaws.com"}),
    ("PassRole of a role outside the prefix", "iam:PassRole", "arn:aws:iam::123456789012:role/Admin",
     {"iam:PassedToService": "ssm.amazonaws.com"}),
    ("PassRole without the service key", "iam:PassRole", "arn:aws:iam::123456789012:role/ProdMaintenanceWindowRole",
     {}),
    ("another managed policy on the service role", "iam:AttachRolePolicy",
     "arn:aws:iam::123456789012:role/ProdMaintenanceWindowRole",
     {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    ("a foreign policy on the group", "iam:AttachGroupPolicy", "arn:aws:iam::123456789012:group/PlatformAdmins",
     {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    ("the project's policy on another group", "iam:AttachGroupPolicy", "arn:aws:iam::123456789012:group/Developers",
     {"iam:PolicyARN": "arn:aws:iam::123456789012:policy/ProdMaintenanceWindowPassRole"}),
    ("a role outside the prefix", "iam:CreateRole", "arn:aws:iam::123456789012:role/Admin", {}),
    ("a role in another account", "iam:CreateRole", "arn:aws:iam::210987654321:role/ProdMaintenanceWindowRole", {}),
    ("another bucket's policy", "s3:PutBucketPolicy", "arn:aws:s3:::company-audit-logs", {}),
    ("deleting the output bucket", "s3:DeleteBucket", "arn:aws:s3:::output-bucket-9f3341b", {}),
    ("deleting the log group", "logs:DeleteLogGroup",
     "arn:aws:logs:us-east-1:123456789012:log-group:/maintenance-windows/prod", {}),
    ("another log group's retention", "logs:PutRetentionPolicy",
     "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/billing", {}),
    ("a window in another region", "ssm:DeleteMaintenanceWindow",
     "arn:aws:ssm:eu-west-1:123456789012:maintenancewindow/mw-0123456789abcdef0", {}),
    ("another topic", "sns:SetTopicAttributes", "arn:aws:sns:us-east-1:123456789012:billing-alerts", {}),
]


@pytest.mark.parametrize(("what", "action", "resource", "context"), REFUSED, ids=[r[0] for r in REFUSED])
def test_filled_in_policy_refuses(what: str, action: str, resource: str, context: dict[str, str]) -> None:
    assert not allowed(fill(POLICY, PROD), action, resource, context), what


# --- sources the doc cites, as botocore ships them --------------------------------------------------------------


def documentation(service: str, operation: str, shape: str | None = None, member: str | None = None) -> str:
    data = model(service)
    html = (data["shapes"][shape]["members"][member] if shape else data["operations"][operation])["documentation"]
    return re.sub(r"<[^>]+>", "", html)


# (S3 API the provider calls on destroy, the IAM action S3's documentation says it needs)
S3_DELETES = [
    ("DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls"),
    ("DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
    ("DeleteBucketEncryption", "s3:PutEncryptionConfiguration"),
    ("DeleteBucketLifecycle", "s3:PutLifecycleConfiguration"),
    ("DeleteBucketPolicy", "s3:DeleteBucketPolicy"),
]


@pytest.mark.parametrize(("operation", "action"), S3_DELETES)
def test_s3_delete_is_authorised_by_the_action_granted(operation: str, action: str) -> None:
    """S3 deletes some bucket settings with a Put permission; the policy grants what S3's documentation names."""
    assert action in documentation("s3", operation)
    assert action in actions_of(POLICY["Statement"])
    assert f"[`{operation}`]" in DOC and f"`{action}`" in DOC


# (service, request shape, member, the tagging action its documentation requires for tags on create)
TAG_ON_CREATE = [
    ("sns", "CreateTopicInput", "Tags", "sns:TagResource"),
    ("logs", "CreateLogGroupRequest", "tags", "logs:TagResource"),
    ("s3", "CreateBucketConfiguration", "Tags", "s3:TagResource"),
]


@pytest.mark.parametrize(("service", "shape", "member", "action"), TAG_ON_CREATE)
def test_tag_on_create_needs_the_tagging_action(service: str, shape: str, member: str, action: str) -> None:
    assert action in documentation(service, None, shape, member)  # type: ignore[arg-type]
    assert action in actions_of(POLICY["Statement"])


# --- the README's section -----------------------------------------------------------------------------------------


def expand(pattern: str) -> list[str]:
    """``iam:{Create,Delete}Role`` -> ``iam:CreateRole``, ``iam:DeleteRole`` (one brace group at most)."""
    found = re.fullmatch(r"([^{}]*)\{([^{}]+)\}([^{}]*)", pattern)
    if not found:
        return [pattern]
    head, choices, tail = found.groups()
    return [f"{head}{choice}{tail}" for choice in choices.split(",")]


def test_readme_names_only_actions_the_policy_grants() -> None:
    """README.md's section names actions in brace form (`ssm:{Create,Delete}MaintenanceWindow`); each one must be
    in the policy, and the section links to the policy and this doc."""
    readme = README_FILE.read_text(encoding="utf-8")
    assert f"\n{README_SECTION}\n" in readme, f"README.md has no {README_SECTION!r} section"
    section = doc_section(readme, README_SECTION)
    named = [a for span in re.findall(r"`([a-z0-9-]+:[A-Za-z{},]+)`", section) for a in expand(span)]
    assert len(named) >= 20
    assert set(named) - set(actions_of(POLICY["Statement"])) == set()
    assert "(docs/deployer-policy.json)" in section and "(docs/deploy-permissions.md)" in section
