"""An in-process stand-in for the Pulumi engine: run a Pulumi program with mocks and record it.

``run_program`` runs a program directory (``__main__.py``) the way ``pulumi preview`` runs it with
the Python language host, but against a recording mock resource monitor instead of the CLI. Every
``RegisterResource`` request is kept in wire form (what the engine would hand to an analyzer) and
as plain Python, together with the stack exports. ``deploy_depth`` and ``layers`` turn the recorded
graph into the creation order the engine would follow during ``pulumi up``.

Semantics mirrored from Pulumi (checked against its sources):

* Config reaches the program as ``PULUMI_CONFIG`` does: ``map[string]string`` where strings stay as
  they are, bools and numbers use their JSON spelling and lists/maps are JSON-encoded
  (``sdk/go/common/resource/config/object.go`` ``MarshalString``).
* ``protect``/``retainOnDelete`` not set on a resource are inherited from its parent
  (``pkg/resource/deploy/source_eval.go`` ``inheritFromParent``).
* A custom resource without an explicit provider gets the default provider
  ``pulumi:providers:<pkg>::default_<version>`` whose inputs are the ``<pkg>:*`` config keys plus
  ``version`` (``source_eval.go`` ``newRegisterDefaultProviderEvent``).
* A custom resource's inputs are what the provider's Check returns, and that is what analyzers get
  (``step_generator.go`` ``generateSteps``): pulumi-aws adds the physical name the program left out,
  ``<logical name>-<7 hex>`` (tfbridge ``ComputeAutoNameDefault``). The 7 "random" characters are derived
  from the URN, so one config always gives one plan. IDs, ARNs and other values AWS assigns have the form
  AWS gives each type (``_KINDS``), in the partition of the resource's region.
* Ordering during ``up``: the SDK sends ``RegisterResource`` only once the URNs of its dependencies,
  its parent and its provider have resolved, and a custom resource's URN resolves only when the
  engine has created it. Depending on a local component means depending on its custom descendants
  (``pulumi/runtime/rpc.py`` ``_add_dependency``; changelog 3.10.1, pulumi#7732).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import hashlib
import json
import os
import re
import runpy
import sys
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime import Mocks, set_all_config, set_mocks
from pulumi.runtime.proto import resource_pb2

from mw_core import arns, tokens
from mw_core.errors import MWError
from mw_core.limits import describe_value
from mw_engine import _pulumi

__all__ = [
    "UNKNOWN_ID",
    "AliasSpec",
    "ProgramRun",
    "RegisteredResource",
    "config_to_pulumi",
    "deploy_depth",
    "layers",
    "partition_of",
    "previous_urns",
    "run_program",
]

# The engine's placeholder ID for a provider that a preview has not created (providers.UnknownID).
UNKNOWN_ID = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

_ENV_CONFIG = re.compile(r"^PULUMI_CONFIG(_.*)?$")
# Serializes runs: they change process-wide state (cwd, sys.path, sys.modules, environment).
_RUN_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class AliasSpec:
    """One alias as the program sent it: a full ``urn``, or a spec whose empty fields mean "as the resource".

    ``parent`` is the alias's parent URN; ``no_parent`` says the alias has none (``Alias(parent=None)``: the root
    stack). Neither: the resource's own parent.
    """

    urn: str = ""
    name: str = ""
    type: str = ""
    stack: str = ""
    project: str = ""
    parent: str = ""
    no_parent: bool = False


@dataclass(slots=True, eq=False)
class RegisteredResource:
    """One ``RegisterResource`` request as the engine received it (plus the mocked result).

    ``properties`` is the request's ``object`` Struct: the wire form the engine forwards to an
    analyzer. ``inputs`` is the same thing deserialized to plain Python. ``outputs`` and
    ``outputs_struct`` are the resource's state after registration (what ``AnalyzeStack`` sees).
    """

    urn: str
    type: str
    name: str
    parent: str = ""
    custom: bool = True
    inputs: dict[str, Any] = field(default_factory=dict)
    properties: struct_pb2.Struct = field(default_factory=struct_pb2.Struct)
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False
    retain_on_delete: bool = False
    provider: str = ""
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    outputs_struct: struct_pb2.Struct | None = None
    delete_before_replace: bool | None = None
    ignore_changes: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)
    # The aliases the program gave, as URNs: given as URNs, or resolved from an alias spec the way the engine's
    # ``collapseAliasToUrn`` does before any state is consulted (see :func:`previous_urns` for the rest).
    aliases: list[str] = field(default_factory=list)
    alias_specs: list[AliasSpec] = field(default_factory=list)
    custom_timeouts: dict[str, str] = field(default_factory=dict)
    deleted_with: str = ""
    version: str = ""
    # Where an AWS resource lives (custom ``aws:*`` resources only; ``""`` for the stack, components and
    # providers): the account of its provider and its own ``region`` input, else its provider's region.
    account: str = ""
    region: str = ""

    @property
    def provider_urn(self) -> str:
        """The URN part of the ``provider`` reference (``<urn>::<id>``), or ``""``."""
        return self.provider.rsplit("::", 1)[0] if self.provider else ""


@dataclass(slots=True)
class ProgramRun:
    """What one program run registered.

    ``resources`` holds the program's own registrations (custom and component, not the root
    stack) in arrival order. ``engine_resources`` is everything the engine would track, in the
    order it would see it: the root stack, then each resource preceded by its default provider on
    first use. ``providers`` maps provider URNs (default and explicit) to their registrations.
    """

    resources: list[RegisteredResource]
    outputs: dict[str, Any]
    stack_urn: str
    stack: RegisteredResource
    providers: dict[str, RegisteredResource]
    engine_resources: list[RegisteredResource]
    project: str
    stack_name: str
    preview: bool
    config: dict[str, str]

    def by_urn(self) -> dict[str, RegisteredResource]:
        """Map URN -> resource over ``engine_resources``."""
        return {r.urn: r for r in self.engine_resources}

    def provider_of(self, resource: RegisteredResource) -> RegisteredResource | None:
        """The provider resource a custom resource is managed by, if it was recorded."""
        return self.providers.get(resource.provider_urn) if resource.provider else None

    def placements(self) -> list[tuple[str, str]]:
        """Every ``(account, region)`` the AWS resources of the run live in, in order of first appearance."""
        return list(dict.fromkeys((r.account, r.region) for r in self.resources if r.account))


# --------------------------------------------------------------------------------------------------
# Config


def _go_float(value: float) -> str:
    # Go's encoding/json spells integral floats without a fraction and exponents without padding.
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", repr(value))


def _go_json(value: Any) -> str:
    def norm(v: Any) -> Any:
        if isinstance(v, float) and not isinstance(v, bool):
            return int(v) if v.is_integer() and abs(v) < 1e21 else v
        if isinstance(v, Mapping):
            return {str(k): norm(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [norm(x) for x in v]
        return v

    return json.dumps(norm(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _is_secure(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and isinstance(value.get("secure"), str)


def config_to_pulumi(config: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Convert a stack's ``config:`` mapping to the strings the CLI hands a Python program.

    Returns ``(values, secret_keys)``. A ``{secure: ...}`` value cannot be decrypted offline: its
    ciphertext is passed through and the key is marked secret.
    """
    values: dict[str, str] = {}
    secrets: list[str] = []
    for key, value in config.items():
        if not isinstance(key, str) or ":" not in key:
            raise MWError(f"config key {key!r} must be namespaced, like 'aws:region'")
        if _is_secure(value):
            values[key] = value["secure"]
            secrets.append(key)
        elif isinstance(value, str):
            values[key] = value
        elif isinstance(value, bool):
            values[key] = "true" if value else "false"
        elif isinstance(value, int):
            values[key] = str(value)
        elif isinstance(value, float):
            values[key] = _go_float(value)
        else:
            values[key] = _go_json(value)
    return values, secrets


# --------------------------------------------------------------------------------------------------
# Mocks


def _digest(urn: str, purpose: str = "") -> str:
    # One independent hash per purpose, so the invented values of a resource do not share digits.
    return hashlib.sha256(f"{purpose}\x00{urn}".encode()).hexdigest()


def _uuid_from(urn: str, purpose: str = "") -> str:
    # A version-4 UUID, like the ones AWS hands out, but derived from the URN: same config, same plan.
    return str(uuid.UUID(hex=_digest(urn, purpose)[:32], version=4))


def _type_parts(token: str) -> tuple[str, str, str]:
    """``aws:iam/role:Role`` -> ``("aws", "iam", "role")``."""
    pkg, _, rest = token.partition(":")
    module, _, member = rest.partition(":")
    service = module.split("/", 1)[0]
    return pkg, service, member.lower()


def partition_of(region: str) -> tuple[str, str]:
    """The partition of an AWS region and its DNS suffix: ``cn-north-1`` -> ``("aws-cn", "amazonaws.com.cn")``.

    A region AWS does not have (the config reports it) is taken to be in ``aws``.
    """
    partition = arns.partition_of_region(region) or "aws"
    return partition, arns.DNS_SUFFIXES[partition]


@dataclass(frozen=True, slots=True)
class _Kind:
    """How pulumi-aws and AWS name and identify one resource type.

    ``name`` is the input that holds the physical name (``None``: the type has none). When the program leaves
    it out, pulumi-aws's Check fills it in with ``<logical name>-<7 hex>`` unless ``autoname`` is 0; a longer
    result than ``autoname`` characters is an error. ``lower`` lowercases the logical name first and a true
    ``fifo`` input appends ``.fifo``. ``outputs`` are the values AWS assigns, as templates over the inputs (by
    their camelCase names) and the values in :class:`_Values`; they are filled in order, so a later template
    may use an earlier output (``{arn}``).
    """

    name: str | None
    autoname: int
    outputs: Mapping[str, str]
    lower: bool = False
    fifo: str = ""


# Every AWS resource type the program can create. Sources:
# * which input is the name, auto-naming and its maximum length: pulumi-aws provider/autonaming.go (every input
#   named `name` is auto-named, at most 255 characters) and provider/resource_overrides.go (aws_iam_role 64,
#   aws_s3_bucket `bucket` 63 lowercased, aws_sns_topic 80 plus ".fifo" for FIFO topics); the suffix is
#   tfbridge's ComputeAutoNameDefault: `<URN name><separator><7 random hex>` (resource.NewUniqueName);
# * IDs: the `pulumi import` ID of each type in pulumi_aws's docstrings (the Terraform ID): a role, log group
#   or bucket by its name, a policy or topic by its ARN, a role policy as `role:policy`, policy attachments as
#   `role/policy-arn` (terraform-provider-aws iam/role_policy_attachment.go createRolePolicyAttachmentImportID),
#   bucket configurations by the bucket (plus `,owner` with expectedBucketOwner), a patch group as
#   `group,baseline-id`, windows as `mw-` + 17 hex and targets and tasks as UUIDs (botocore's SSM model:
#   MaintenanceWindowId, MaintenanceWindowTargetId, MaintenanceWindowTaskId), baselines as `pb-` + 17 hex;
# * ARNs: IAM User Guide "IAM identifiers" (role and policy ARNs carry the path, no region), S3 bucket ARNs
#   have neither region nor account, SNS topic `...:sns:<region>:<account>:<name>` and subscription
#   `<topic-arn>:<uuid>`, log group `...:log-group:<name>` (Terraform drops CloudWatch's trailing `:*`),
#   terraform-provider-aws ssm/maintenance_window_task.go `windowtask/<id>` and ssm/patch_baseline.go
#   `patchbaseline/<id>`. pulumi-aws 7 has no `arn` output on windows, targets, attachments, role policies,
#   patch groups or bucket configurations, so none is invented for them;
# * unique IDs: IAM User Guide "Unique identifiers": roles start with AROA, managed policies with ANPA.
_BUCKET_CONFIG = {"id": "{bucket}{ownerSuffix}"}
_KINDS: dict[str, _Kind] = {
    tokens.ROLE: _Kind("name", 64, {
        "id": "{name}", "arn": "arn:{partition}:iam::{account}:role{path}{name}", "uniqueId": "AROA{iamId}"}),
    tokens.POLICY: _Kind("name", 255, {
        "arn": "arn:{partition}:iam::{account}:policy{path}{name}", "id": "{arn}", "policyId": "ANPA{iamId}"}),
    tokens.ROLE_POLICY: _Kind("name", 255, {"id": "{role}:{name}"}),
    tokens.ROLE_POLICY_ATTACHMENT: _Kind(None, 0, {"id": "{role}/{policyArn}"}),
    tokens.GROUP_POLICY_ATTACHMENT: _Kind(None, 0, {"id": "{group}/{policyArn}"}),
    tokens.USER_POLICY_ATTACHMENT: _Kind(None, 0, {"id": "{user}/{policyArn}"}),
    tokens.BUCKET: _Kind("bucket", 63, {
        "id": "{name}", "arn": "arn:{partition}:s3:::{name}", "bucketRegion": "{region}"}, lower=True),
    tokens.BUCKET_POLICY: _Kind(None, 0, {"id": "{bucket}"}),
    tokens.BUCKET_PUBLIC_ACCESS_BLOCK: _Kind(None, 0, {"id": "{bucket}"}),
    tokens.BUCKET_OWNERSHIP_CONTROLS: _Kind(None, 0, {"id": "{bucket}"}),
    tokens.BUCKET_VERSIONING: _Kind(None, 0, _BUCKET_CONFIG),
    tokens.BUCKET_ENCRYPTION: _Kind(None, 0, _BUCKET_CONFIG),
    tokens.BUCKET_LIFECYCLE: _Kind(None, 0, _BUCKET_CONFIG),
    tokens.TOPIC: _Kind("name", 80, {
        "arn": "arn:{partition}:sns:{region}:{account}:{name}", "id": "{arn}"}, fifo="fifoTopic"),
    # pulumi-aws sns/topic_policy.py: "import SNS Topic Policy using the topic ARN"; `owner`: "The AWS Account ID
    # of the SNS topic owner".
    tokens.TOPIC_POLICY: _Kind(None, 0, {"id": "{arn}", "owner": "{account}"}),
    tokens.TOPIC_SUBSCRIPTION: _Kind(None, 0, {
        "arn": "{topic}:{uuid}", "id": "{arn}", "ownerId": "{account}"}),
    tokens.LOG_GROUP: _Kind("name", 255, {
        "id": "{name}", "arn": "arn:{partition}:logs:{region}:{account}:log-group:{name}"}),
    tokens.MAINTENANCE_WINDOW: _Kind("name", 255, {"id": "mw-{hex17}"}),
    tokens.MAINTENANCE_WINDOW_TARGET: _Kind("name", 255, {"id": "{uuid}"}),
    tokens.MAINTENANCE_WINDOW_TASK: _Kind("name", 255, {
        "id": "{uuid}", "windowTaskId": "{uuid}", "arn": "arn:{partition}:ssm:{region}:{account}:windowtask/{uuid}"}),
    tokens.PATCH_BASELINE: _Kind("name", 255, {
        "id": "pb-{hex17}", "arn": "arn:{partition}:ssm:{region}:{account}:patchbaseline/{id}"}),
    tokens.PATCH_GROUP: _Kind(None, 0, {"id": "{patchGroup},{baselineId}"}),
}
# Any other type: named by its `name` input (else its logical name), which is also its ID, and a generic ARN.
_OTHER = _Kind("name", 0, {
    "arn": "arn:{partition}:{service}:{serviceRegion}:{serviceAccount}:{member}/{name}", "name": "{name}",
    "id": "{name}"})
# Services whose ARNs carry no region (and, for s3, no account either); only used for types not in _KINDS.
_GLOBAL_SERVICES = frozenset({"iam", "organizations", "cloudfront", "route53", "waf", "s3"})
_ACCOUNTLESS_SERVICES = frozenset({"s3"})
AUTONAME_RANDOM = 7  # tfbridge AutoName: Randlen 7


class _Values(dict):
    """The values a ``_Kind`` template may name: inputs by their camelCase name, then invented values.

    Invented values are derived from the URN (deterministic) and computed only when a template asks.
    """

    def __init__(self, urn: str, token: str, inputs: Mapping[str, Any], known: Mapping[str, str]) -> None:
        super().__init__(known)
        self.urn = urn
        self.token = token
        self.inputs = inputs

    def __missing__(self, key: str) -> str:
        value = self.inputs.get(key)
        if isinstance(value, str):
            return value
        urn = self.urn
        if key == "uuid":
            out = _uuid_from(urn, "id")
        elif key == "hex17":
            out = _digest(urn, "id")[:17]
        elif key == "iamId":
            # IAM unique IDs: upper-case letters and digits after the 4-letter prefix, 21 characters in all.
            out = base64.b32encode(bytes.fromhex(_digest(urn, "iam"))).decode()[:17]
        elif key == "path":
            out = "/"  # IAM's default path
        elif key == "ownerSuffix":
            owner = self.inputs.get("expectedBucketOwner")
            out = f",{owner}" if isinstance(owner, str) and owner else ""
        elif key in ("service", "member", "serviceRegion", "serviceAccount"):
            _, service, member = _type_parts(self.token)
            out = {"service": service, "member": member,
                   "serviceRegion": "" if service in _GLOBAL_SERVICES else self["region"],
                   "serviceAccount": "" if service in _ACCOUNTLESS_SERVICES else self["account"]}[key]
        else:
            out = ""  # an input the program did not set
        self[key] = out
        return out


class _AwsMocks:
    """Plausible AWS answers: IDs, ARNs and generated names in the forms AWS and pulumi-aws give each type.

    Values AWS would assign are derived from the URN (same config, same plan), the account is fixed, and the
    region is the resource's ``region`` input (pulumi-aws 7 sets it per resource) or the stack's ``aws:region``,
    which also gives the partition.
    """

    def __init__(self, region: str, account: str = "") -> None:
        self.region = region
        self.account = account or ACCOUNT_ID
        self.partition, self.dns_suffix = partition_of(region)

    def check(self, urn: str, token: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The inputs pulumi-aws's Check adds: the auto-generated physical name, if the type gets one.

        The engine hands analyzers the inputs Check returns (pulumi ``pkg/resource/deploy/step_generator.go``
        ``generateSteps``: ``inputs = resp.Properties`` before ``analyzer.Analyze``), so auto-names are part of
        what a policy pack sees. No name is generated when the program set one (even an unknown one) or set
        the conflicting ``<name>Prefix`` input (tfbridge ``applyDefaults`` skips defaults of properties that
        conflict with a set one; Terraform then generates the name at create).
        """
        kind = _KINDS.get(token)
        if kind is None or not kind.autoname or kind.name in inputs or f"{kind.name}Prefix" in inputs:
            return {}
        base = name.lower() if kind.lower else name
        if len(base) + 1 + AUTONAME_RANDOM > kind.autoname:
            # What the provider's Check reports (resource.NewUniqueName), so the preview fails the same way.
            raise MWError(
                f"{token} {describe_value(name)}: cannot generate its {kind.name} from the resource name: "
                f"{len(name)} characters plus '-' and {AUTONAME_RANDOM} random ones is longer than the "
                f"{kind.autoname} allowed; give the resource a shorter name or set {kind.name}")
        generated = f"{base}-{_digest(urn, 'name')[:AUTONAME_RANDOM]}"
        if kind.fifo and inputs.get(kind.fifo) is True:
            generated += ".fifo"
        return {kind.name: generated}

    def invent(self, urn: str, token: str, name: str, inputs: Mapping[str, Any], *,
               account: str = "", region: str = "") -> dict[str, Any]:
        """The outputs AWS would assign a created resource (``id`` always; ``arn`` and others per type).

        ``inputs`` are the checked inputs (see :meth:`check`). The physical name is the name input, else a name
        generated from its ``<name>Prefix`` input (Terraform's ``id.PrefixedUniqueId``: the prefix, 18 digits
        and 8 hex), else the logical name. ``account`` and ``region`` are the resource's provider's (default:
        the stack's); the resource's own ``region`` input wins over the provider's region.
        """
        kind = _KINDS.get(token, _OTHER)
        own = inputs.get("region")
        region = own if isinstance(own, str) and own else region or self.region
        partition = self.partition if region == self.region else partition_of(region)[0]
        physical = inputs.get(kind.name) if kind.name else None
        out: dict[str, Any] = {}
        if not isinstance(physical, str) or not physical:
            prefix = inputs.get(f"{kind.name}Prefix") if kind.name else None
            if isinstance(prefix, str):
                physical = f"{prefix}{int(_digest(urn, 'prefix')[:15], 16) % 10**18:018d}{_digest(urn, 'n')[:8]}"
                out[kind.name] = physical
            else:
                physical = name
        values = _Values(urn, token, inputs, {"partition": partition, "region": region,
                                              "account": account or self.account, "name": physical})
        for key, template in kind.outputs.items():
            values[key] = out[key] = template.format_map(values)
        return out

    def new_resource(self, urn: str, token: str, name: str, inputs: dict[str, Any], *,
                     account: str = "", region: str = "") -> tuple[str, dict]:
        """``(id, outputs)`` of a created resource: its inputs plus what AWS assigns (inputs win, except ``id``)."""
        invented = self.invent(urn, token, name, inputs, account=account, region=region)
        outputs = dict(inputs)
        for key, value in invented.items():
            if key == "id" or key not in inputs:
                outputs[key] = value
        return invented["id"], outputs

    def call(self, token: str, *, account: str = "", region: str = "") -> dict[str, Any]:
        """Answer an invoke; ``account`` and ``region`` are those of the invoke's provider (default: the stack's)."""
        account = account or self.account
        region = region or self.region
        partition, dns_suffix = (self.partition, self.dns_suffix) if region == self.region else partition_of(region)
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": account,
                "arn": f"arn:{partition}:iam::{account}:user/mw-plan",
                "userId": "AIDAMWPLANOFFLINE0000",
                "id": account,
            }
        if token == "aws:index/getPartition:getPartition":
            return {
                "partition": partition,
                "dnsSuffix": dns_suffix,
                "reverseDnsPrefix": ".".join(reversed(dns_suffix.split("."))),
                "id": partition,
            }
        if token == "aws:index/getRegion:getRegion":
            return {
                "name": region,
                "region": region,
                "id": region,
                "endpoint": f"ec2.{region}.{dns_suffix}",
                "description": region,
            }
        return {}


# Wire-format signatures (sdk/proto and pulumi/runtime/rpc.py); stable parts of the protocol.
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"


def _wire_to_plain(value: Any) -> Any:
    """A Struct/ListValue/scalar in wire form -> plain Python.

    Secrets are unwrapped, resource references become their URN, output values their value (or
    None when unknown), the unknown sentinel becomes None and integral numbers become ``int``.
    """
    if isinstance(value, struct_pb2.Struct):
        sig = value.fields.get(_SIG_KEY)
        if sig is not None:
            kind = sig.string_value
            if kind == _SECRET_SIG:
                return _wire_to_plain(value["value"]) if "value" in value.fields else None
            if kind == _RESOURCE_SIG:
                return value["urn"] if "urn" in value.fields else None
            if kind == _OUTPUT_SIG:
                return _wire_to_plain(value["value"]) if "value" in value.fields else None
        return {k: _wire_to_plain(v) for k, v in value.items()}
    if isinstance(value, struct_pb2.ListValue):
        return [_wire_to_plain(v) for v in value]
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if value == UNKNOWN_ID:
        return None
    return value


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(json.loads(json.dumps(values, default=str)))
    return s


def _json_list(value: Any) -> list[Any]:
    """A list input of a provider: pulumi-aws JSON-encodes them (``to_json``), config gives JSON text too."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    return list(value) if isinstance(value, list) else []


def _make_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    # The stand-in's URNs, as pulumi's mock monitor makes them (MockMonitor.make_urn): the parent's own type is
    # the only one in front of the resource's, and resources of the program are parented to the root stack.
    if parent:
        type_ = parent.split("::")[2].split("$")[-1] + "$" + type_
    return "urn:pulumi:" + "::".join([stack, project, type_, name])


def _urn_name(urn: str) -> str:
    return urn.split("::", 3)[3] if urn.count("::") >= 3 else ""


def _urn_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else ""


def _alias_spec(alias: Any) -> AliasSpec:
    if alias.WhichOneof("alias") == "urn":
        return AliasSpec(urn=alias.urn)
    spec = alias.spec
    which = spec.WhichOneof("parent")
    return AliasSpec(name=spec.name, type=spec.type, stack=spec.stack, project=spec.project,
                     parent=spec.parentUrn if which == "parentUrn" else "", no_parent=which == "noParent")


def _collapse_alias(spec: AliasSpec, type_: str, name: str, parent: str, stack: str, project: str,
                    root: str, matched: Mapping[str, str]) -> str:
    """An alias as a URN: pulumi ``step_generator.go`` ``collapseAliasToUrn``. ``matched`` maps URNs of this
    run's resources to the old URN they were found under through an alias (the engine's ``sg.aliases``); no
    parent means the root stack, which in the stand-in's URNs is the parent of the program's resources."""
    if spec.urn:
        return spec.urn
    alias_parent = spec.parent or parent
    if spec.parent:
        alias_parent = matched.get(spec.parent, spec.parent)
    if spec.no_parent:
        alias_parent = root
    return _make_urn(spec.stack or stack, spec.project or project, alias_parent, spec.type or type_,
                     spec.name or name)


def _inherited_child_alias(type_: str, name: str, parent_name: str, parent_alias: str) -> str:
    """pulumi ``step_generator.go`` ``inheritedChildAlias``: a child whose name starts with its parent's name
    is looked for under the parent's old name with the same suffix, and under the parent's old URN."""
    alias_name = name
    if name.startswith(parent_name):
        alias_name = _urn_name(parent_alias) + name[len(parent_name):]
    stack, project = parent_alias.split("::")[0].removeprefix("urn:pulumi:"), parent_alias.split("::")[1]
    return _make_urn(stack, project, parent_alias, type_, alias_name)


def previous_urns(run: ProgramRun, old_urns: Iterable[str]) -> dict[str, str | None]:
    """Which resource of a previous deployment each resource of ``run`` would be, as ``pulumi up`` decides.

    ``old_urns`` are the URNs in the previous state (for example the ``resources`` of an earlier run). For each
    of the program's resources, in registration order: its own URN when that is in the old state, else the
    first of its aliases that is, else None (a create). As in pulumi's step generator (``generateSteps``,
    ``generateAliases``), a resource found through an alias passes that alias on to its children: a child is
    also looked for under the old parent, with the parent's old name in place of its new one when the child's
    name starts with the parent's (``inheritedChildAlias``). A resource found this way is updated in place,
    not replaced, unless its inputs force a replacement; the provider is not part of the URN.
    """
    olds = set(old_urns)
    matched: dict[str, str] = {}
    out: dict[str, str | None] = {}
    by_urn = {r.urn: r for r in run.resources}
    for r in run.resources:
        candidates = [r.urn]
        given = [_collapse_alias(s, r.type, r.name, r.parent, run.stack_name, run.project, run.stack_urn, matched)
                 for s in r.alias_specs]
        candidates += given
        parent_alias = matched.get(r.parent)
        if parent_alias is not None:
            parent_name = by_urn[r.parent].name if r.parent in by_urn else _urn_name(r.parent)
            candidates.append(_inherited_child_alias(r.type, r.name, parent_name, parent_alias))
            candidates += [_inherited_child_alias(_urn_type(u), _urn_name(u), parent_name, parent_alias)
                           for u in given]
        found = next((c for c in candidates if c in olds), None)
        out[r.urn] = found
        if found is not None and found != r.urn:
            matched[r.urn] = found
    return out


def _default_provider_name(version: str) -> str:
    return "default_" + re.sub(r"[.\-+]", "_", version) if version else "default"


class _CallMocks(Mocks):
    # set_mocks wants a Mocks; RecordingMonitor answers every request itself.
    def __init__(self, aws: _AwsMocks) -> None:
        self.aws = aws

    def call(self, args):  # type: ignore[no-untyped-def]
        return self.aws.call(args.token)

    def new_resource(self, args):  # type: ignore[no-untyped-def]
        urn = f"{args.typ}::{args.name}"
        return self.aws.new_resource(urn, args.typ, args.name, dict(args.inputs))


class RecordingMonitor(_pulumi.MockMonitor):
    """pulumi's mock monitor, recording every ``RegisterResource``/``RegisterResourceOutputs`` (see
    :data:`mw_engine._pulumi.MockMonitor` for what it relies on).

    The SDK calls it synchronously from executor threads, so all bookkeeping is under a lock
    and done in O(1) per request. Properties are converted straight from the wire Struct
    instead of through ``rpc.deserialize_properties`` (no Resource objects, no event loop).
    """

    def __init__(self, aws: _AwsMocks, *, project: str, stack: str, preview: bool,
                 config: Mapping[str, Any]) -> None:
        super().__init__(_CallMocks(aws))
        self.aws = aws
        self.project = project
        self.stack_name = stack
        self.preview = preview
        self.config = config
        self.lock = threading.Lock()
        self.recorded: list[RegisteredResource] = []
        self.engine_order: list[RegisteredResource] = []
        self.by_urn: dict[str, RegisteredResource] = {}
        self.providers: dict[str, RegisteredResource] = {}
        self.placements: dict[str, tuple[str, str]] = {}
        self.stack: RegisteredResource | None = None
        self.registered_outputs: dict[str, struct_pb2.Struct] = {}

    def _default_provider(self, token: str, version: str) -> RegisteredResource:
        pkg = token.split(":", 1)[0]
        urn = (f"urn:pulumi:{self.stack_name}::{self.project}::{tokens.PROVIDER_PREFIX}{pkg}"
               f"::{_default_provider_name(version)}")
        existing = self.providers.get(urn)
        if existing is not None:
            return existing
        prefix = pkg + ":"
        inputs = {k[len(prefix):]: v for k, v in self.config.items() if k.startswith(prefix)}
        if version:
            inputs["version"] = version
        props = _struct(inputs)
        provider = RegisteredResource(
            urn=urn, type=tokens.PROVIDER_PREFIX + pkg, name=urn.rsplit("::", 1)[1], custom=True,
            inputs=inputs, properties=props, id=UNKNOWN_ID if self.preview else _uuid_from(urn),
            outputs=dict(inputs), outputs_struct=props,
        )
        self.providers[urn] = provider
        self.by_urn[urn] = provider
        self.engine_order.append(provider)
        return provider

    def _placement(self, provider_urn: str) -> tuple[str, str]:
        """``(account, region)`` of the AWS resources a provider manages (call under the lock).

        The account: the provider's ``allowedAccountIds[0]`` (it refuses any other), else the account of the role
        it assumes first (``assumeRoles[0].roleArn``), else the stack's account. The region: the provider's
        ``region``, else ``aws:region``. pulumi-aws sends list inputs of a provider as JSON strings.
        """
        found = self.placements.get(provider_urn)
        if found is not None:
            return found
        provider = self.providers.get(provider_urn)
        inputs = provider.inputs if provider is not None else {}
        account = next((a for a in _json_list(inputs.get("allowedAccountIds"))
                        if isinstance(a, str) and arns.ACCOUNT_ID.fullmatch(a)), "")
        if not account:
            roles = _json_list(inputs.get("assumeRoles"))
            role_arn = roles[0].get("roleArn") if roles and isinstance(roles[0], Mapping) else None
            of_role = arns.account_of(role_arn) if isinstance(role_arn, str) else None
            account = of_role if of_role and arns.ACCOUNT_ID.fullmatch(of_role) else ""
        region = inputs.get("region")
        found = (account or self.aws.account, region if isinstance(region, str) and region else self.aws.region)
        self.placements[provider_urn] = found
        return found

    def RegisterResource(self, request):  # type: ignore[no-untyped-def]
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == tokens.STACK:
            with self.lock:
                if self.stack is None:
                    self.stack = RegisteredResource(
                        urn=urn, type=tokens.STACK, name=request.name, custom=False,
                        properties=request.object,
                    )
                    self.engine_order.insert(0, self.stack)
                    self.by_urn[urn] = self.stack
            return resource_pb2.RegisterResourceResponse(urn=urn)

        token = request.type
        with self.lock:
            if urn in self.by_urn:
                # The engine refuses a second registration of one URN ("Duplicate resource URN").
                raise MWError(f"duplicate resource URN {urn}: two resources of type {token} are named "
                              f"{request.name!r} under the same parent type")
        custom = bool(request.custom)
        is_provider = token.startswith(tokens.PROVIDER_PREFIX)
        inputs = _wire_to_plain(request.object)
        properties = request.object
        obj: struct_pb2.Struct | None = None
        rid, state = "", {}
        provider_ref = request.provider
        account = region = ""
        if custom and not is_provider:
            with self.lock:
                if not provider_ref:
                    default = self._default_provider(token, request.version)
                    provider_ref = f"{default.urn}::{default.id}"
                if token.startswith("aws:"):
                    account, region = self._placement(provider_ref.rsplit("::", 1)[0])
            own_region = inputs.get("region")
            if account and isinstance(own_region, str) and own_region:
                region = own_region
        if is_provider:
            # A provider has no physical resource: its state is its config, its ID unknown until `up` creates it.
            rid = UNKNOWN_ID if self.preview else _uuid_from(urn)
            state = dict(inputs)
            obj = properties
        elif custom:
            # The provider's Check: what it adds (auto-names) is in the inputs analyzers see.
            added = self.aws.check(urn, token, request.name, inputs)
            if added:
                inputs.update(added)
                properties = struct_pb2.Struct()
                properties.CopyFrom(request.object)
                properties.update(added)
            rid, state = self.aws.new_resource(urn, token, request.name, inputs, account=account, region=region)
            # Outputs = the checked inputs in wire form (secrets stay secret) plus what AWS assigns.
            obj = struct_pb2.Struct()
            obj.CopyFrom(properties)
            for key, value in state.items():
                if key == "id" or key not in obj.fields:
                    obj[key] = value

        alias_specs = [*(AliasSpec(urn=u) for u in request.aliasURNs),
                       *(_alias_spec(a) for a in request.aliases)]
        with self.lock:
            parent = self.by_urn.get(request.parent)
            protect = (request.protect if request.HasField("protect")
                       else bool(parent and parent.protect))
            retain = (request.retainOnDelete if request.HasField("retainOnDelete")
                      else bool(parent and parent.retain_on_delete))
            timeouts: dict[str, str] = {}
            if request.HasField("customTimeouts"):
                ct = request.customTimeouts
                timeouts = {k: v for k, v in (("create", ct.create), ("update", ct.update),
                                              ("delete", ct.delete)) if v}
            res = RegisteredResource(
                urn=urn,
                type=token,
                name=request.name,
                parent=request.parent,
                custom=custom,
                inputs=inputs,
                properties=properties,
                dependencies=sorted(set(request.dependencies)),
                property_dependencies={
                    k: sorted(set(v.urns)) for k, v in request.propertyDependencies.items()
                },
                protect=protect,
                retain_on_delete=retain,
                provider=provider_ref,
                id=rid,
                outputs=state,
                outputs_struct=obj,
                delete_before_replace=(request.deleteBeforeReplace
                                       if request.deleteBeforeReplaceDefined else None),
                ignore_changes=list(request.ignoreChanges),
                replace_on_changes=list(request.replaceOnChanges),
                additional_secret_outputs=list(request.additionalSecretOutputs),
                aliases=list(dict.fromkeys(
                    _collapse_alias(spec, request.type, request.name, request.parent, self.stack_name,
                                    self.project, self.stack.urn if self.stack else "", {})
                    for spec in alias_specs)),
                alias_specs=alias_specs,
                custom_timeouts=timeouts,
                deleted_with=request.deletedWith or (parent.deleted_with if parent else ""),
                version=request.version,
                account=account,
                region=region,
            )
            self.recorded.append(res)
            self.engine_order.append(res)
            self.by_urn[urn] = res
            if token.startswith(tokens.PROVIDER_PREFIX):
                self.providers[urn] = res
            # The base class answers ``getResource`` invokes and ExistsResource from this map.
            self.resources[urn] = _pulumi.ResourceRegistration(urn, rid, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=rid, object=obj)

    def Invoke(self, request):  # type: ignore[no-untyped-def]
        # Overridden so that no worker thread needs an event loop (the base class creates one
        # per executor thread and never closes it).
        args = _wire_to_plain(request.args)
        if request.tok == "pulumi:pulumi:getResource":
            reg = self.resources.get(args.get("urn"))
            if reg is None:
                raise Exception(f"unknown resource {args.get('urn')}")
            ret = {"urn": reg.urn, "id": reg.id, "state": reg.state}
        else:
            account = region = ""
            if request.provider:
                with self.lock:
                    account, region = self._placement(request.provider.rsplit("::", 1)[0])
            ret = self.aws.call(request.tok, account=account, region=region)
        return resource_pb2.ResourceInvokeResponse(**{"return": _struct(ret)})

    def ReadResource(self, request):  # type: ignore[no-untyped-def]
        urn = self.make_urn(request.parent, request.type, request.name)
        rid, state = self.aws.new_resource(urn, request.type, request.name,
                                           _wire_to_plain(request.properties))
        with self.lock:
            self.resources[urn] = _pulumi.ResourceRegistration(urn, request.id or rid, state)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=_struct(state))

    def RegisterResourceOutputs(self, request):  # type: ignore[no-untyped-def]
        with self.lock:
            # The mocked stack registers empty outputs at start-up and the exports at the end;
            # never let an empty registration replace a real one, whatever the arrival order.
            if request.outputs.fields or request.urn not in self.registered_outputs:
                self.registered_outputs[request.urn] = request.outputs
        return super().RegisterResourceOutputs(request)


# --------------------------------------------------------------------------------------------------
# Running a program


def _find_mw_error(exc: BaseException) -> MWError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, MWError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _is_under(path: str | None, root: Path, excluded: tuple[Path, ...]) -> bool:
    if not path:
        return False
    try:
        p = Path(path).resolve()
    except OSError:
        return False
    return p.is_relative_to(root) and not any(p.is_relative_to(e) for e in excluded)


class _ProcessState:
    """Save and restore the process-global state a program run touches.

    The Pulumi runtime's own state (settings, root stack, config, secret keys) lives in
    ContextVars, which ``run_program`` confines to a fresh thread. What is truly process-wide is
    handled here: ``PULUMI_CONFIG*`` environment variables (the SDK falls back to them for unset
    keys), the working directory, ``sys.path`` and the modules the program imports from its own
    directory, which are dropped afterwards so that their module-level state cannot leak into the
    next run. Modules that were already imported before the run are left alone, as are installed
    packages, even when the virtualenv lives inside the program directory.
    """

    def __init__(self, program_dir: Path) -> None:
        self.program_dir = program_dir

    def __enter__(self) -> _ProcessState:
        self.saved_path = list(sys.path)
        self.saved_modules = set(sys.modules)
        self.saved_cwd = os.getcwd()
        self.saved_env = {k: v for k, v in os.environ.items() if _ENV_CONFIG.match(k)}
        for key in self.saved_env:
            del os.environ[key]
        sys.path.insert(0, str(self.program_dir))
        # `pulumi up` runs a program with its directory as the working directory.
        os.chdir(self.program_dir)
        return self

    def __exit__(self, *exc: object) -> None:
        os.chdir(self.saved_cwd)
        for key in [k for k in os.environ if _ENV_CONFIG.match(k)]:
            del os.environ[key]
        os.environ.update(self.saved_env)
        sys.path[:] = self.saved_path
        excluded = tuple(Path(p).resolve() for p in {sys.prefix, sys.base_prefix, sys.exec_prefix})
        for name in set(sys.modules) - self.saved_modules:
            module = sys.modules.get(name)
            if _is_under(getattr(module, "__file__", None), self.program_dir, excluded):
                del sys.modules[name]


def _in_fresh_thread(fn: Any) -> Any:
    """Call ``fn`` in a new thread with its own event loop, closed afterwards; return its result.

    A new thread starts with an empty ``contextvars`` context, so nothing the Pulumi runtime sets
    (settings, root stack, config) is visible to the caller or to the next run, and the caller's
    event loop is never touched.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # handed to the calling thread
            outcome["error"] = exc
        finally:
            try:
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                if "error" in outcome:
                    # The SDK's futures of a failed run still hold the error the caller gets; without this,
                    # each prints "Future exception was never retrieved" with a traceback when collected.
                    loop.set_exception_handler(lambda _loop, _context: None)
                asyncio.set_event_loop(None)
                loop.close()

    thread = threading.Thread(target=target, name="mw-engine", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _pinned_account(allowed: str | None) -> str:
    """The account a stack pinned with ``aws:allowedAccountIds`` (the provider refuses any other), else ``""``.

    With the account pinned, the caller is in it, so the stand-in answers ``getCallerIdentity`` with it.
    """
    if not allowed:
        return ""
    try:
        accounts = json.loads(allowed)
    except ValueError:
        accounts = [allowed]
    first = accounts[0] if isinstance(accounts, list) and accounts else None
    return first if isinstance(first, str) and arns.ACCOUNT_ID.fullmatch(first) else ""


def run_program(
    program_dir: Path,
    *,
    project: str,
    stack: str,
    config: Mapping[str, Any],
    preview: bool = True,
) -> ProgramRun:
    """Run the Pulumi program in ``program_dir`` against mocks and return what it registered.

    ``config`` is the stack's ``config:`` mapping (``Pulumi.<stack>.yaml``). The program runs as
    ``__main__`` with its directory on ``sys.path`` and as the working directory. An ``MWError``
    raised by the program (or found as the cause of what surfaces) is re-raised as is; anything
    else propagates unchanged. Runs are serialized: the Pulumi runtime has process-wide state.
    """
    program_dir = Path(program_dir).resolve()
    main = program_dir / "__main__.py"
    if not main.is_file():
        raise MWError(f"no Pulumi program in {program_dir}: __main__.py not found")
    values, secret_keys = config_to_pulumi(config)
    region = values.get("aws:region") or DEFAULT_REGION
    account = _pinned_account(values.get("aws:allowedAccountIds"))

    def run() -> ProgramRun:
        def program() -> Any:
            _pulumi.open_stack_for_entrypoint()
            runpy.run_path(str(main), run_name="__main__")
            return _pulumi.finish_stack()

        # Full settings first (rpc manager, output set, lock), then the mocks on top.
        _pulumi.reset_settings(project=project, stack=stack, preview=preview)
        set_all_config(values, secret_keys)
        monitor = RecordingMonitor(_AwsMocks(region, account), project=project, stack=stack,
                                   preview=preview, config=dict(config))
        set_mocks(monitor.mocks, project=project, stack=stack, preview=preview, monitor=monitor)
        # The event loop of the fresh thread (not running yet), as pulumi's own _sync_await would use it.
        asyncio.get_event_loop().run_until_complete(_pulumi.run_program_function(program))
        return _collect(monitor, project=project, stack=stack, preview=preview, config=values)

    with _RUN_LOCK, _ProcessState(program_dir), _fewer_collections(), _pulumi.no_stack_traces():
        try:
            return _in_fresh_thread(run)
        except BaseException as exc:
            found = _find_mw_error(exc)
            if found is not None and found is not exc:
                raise found from None
            raise


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Raise the GC thresholds for a run: the SDK allocates many long-lived objects per resource, and
    the default thresholds rescan them over and over (about a quarter of a 500-window run)."""
    saved = gc.get_threshold()
    gc.set_threshold(50_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def _collect(monitor: Any, *, project: str, stack: str, preview: bool,
             config: dict[str, str]) -> ProgramRun:
    stack_res = monitor.stack
    if stack_res is None:  # pragma: no cover - set_mocks always registers the stack
        raise RuntimeError("the root stack was never registered")
    for res in [stack_res, *(r for r in monitor.recorded if not r.custom)]:
        struct = monitor.registered_outputs.get(res.urn)
        if struct is not None:
            res.outputs_struct = struct
            res.outputs = _wire_to_plain(struct)
    return ProgramRun(
        resources=list(monitor.recorded),
        outputs=dict(stack_res.outputs),
        stack_urn=stack_res.urn,
        stack=stack_res,
        providers=dict(monitor.providers),
        engine_resources=list(monitor.engine_order),
        project=project,
        stack_name=stack,
        preview=preview,
        config=config,
    )


# --------------------------------------------------------------------------------------------------
# Creation order


def _custom_dependencies(resources: Iterable[RegisteredResource]) -> dict[str, set[str]]:
    """For each custom resource, the custom resources it must wait for during ``up``."""
    resources = list(resources)
    by_urn = {r.urn: r for r in resources}
    children: dict[str, list[RegisteredResource]] = {}
    for r in resources:
        if r.parent:
            children.setdefault(r.parent, []).append(r)

    expanded: dict[str, frozenset[str]] = {}

    def custom_of(urn: str) -> frozenset[str]:
        # A custom resource stands for itself; a component for its custom descendants, not
        # descending below a custom resource (rpc.py ``_add_dependency``).
        if urn in expanded:
            return expanded[urn]
        res = by_urn.get(urn)
        if res is None:
            return frozenset()
        if res.custom:
            return frozenset((urn,))
        found: set[str] = set()
        stack = [urn]
        visited = {urn}
        while stack:
            for child in children.get(stack.pop(), ()):
                if child.custom:
                    found.add(child.urn)
                elif child.urn not in visited:
                    visited.add(child.urn)
                    stack.append(child.urn)
        expanded[urn] = frozenset(found)
        return expanded[urn]

    deps: dict[str, set[str]] = {}
    for r in resources:
        if not r.custom:
            continue
        direct = set(r.dependencies)
        for urns in r.property_dependencies.values():
            direct.update(urns)
        # The SDK waits for the parent's URN and the provider's URN/ID before registering, and
        # a custom resource's URN resolves only once it exists; a component's resolves at once.
        parent = by_urn.get(r.parent)
        if parent is not None and parent.custom:
            direct.add(parent.urn)
        if r.provider:
            direct.add(r.provider_urn)
        out: set[str] = set()
        for d in direct:
            out.update(custom_of(d))
        out.discard(r.urn)
        deps[r.urn] = out
    return deps


def _depths(resources: Iterable[RegisteredResource]) -> dict[str, int]:
    deps = _custom_dependencies(resources)
    depth: dict[str, int] = {}
    for start in deps:
        if start in depth:
            continue
        # Iterative post-order DFS; 'on_path' detects cycles, which the engine cannot have.
        on_path = {start}
        stack: list[tuple[str, Iterable[str]]] = [(start, iter(deps[start]))]
        while stack:
            urn, pending = stack[-1]
            nxt = next((d for d in pending if d not in depth), None)
            if nxt is None:
                depth[urn] = 1 + max((depth[d] for d in deps[urn]), default=0)
                on_path.discard(urn)
                stack.pop()
            elif nxt in on_path:
                raise ValueError(f"dependency cycle through {nxt}")
            else:
                on_path.add(nxt)
                stack.append((nxt, iter(deps[nxt])))
    return depth


def deploy_depth(resources: Iterable[RegisteredResource]) -> int:
    """Longest chain of custom resources that ``pulumi up`` must create one after another.

    A resource waits for its ``dependencies`` and every ``property_dependencies`` URN, for a custom
    parent and for an explicit provider that is among ``resources``; a dependency on a component
    means its custom descendants. Components, the stack and unrecorded (default) providers take
    no time and are not counted. No custom resources -> 0.
    """
    return max(_depths(resources).values(), default=0)


def layers(resources: Iterable[RegisteredResource]) -> list[list[RegisteredResource]]:
    """Custom resources grouped by depth: layer ``i`` can be created in parallel once ``i-1`` is."""
    resources = list(resources)
    depth = _depths(resources)
    out: list[list[RegisteredResource]] = [[] for _ in range(max(depth.values(), default=0))]
    for r in resources:
        if r.urn in depth:
            out[depth[r.urn] - 1].append(r)
    return out
