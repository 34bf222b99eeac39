"""Rules for the S3 bucket that keeps task output: the bucket and, in pulumi-aws 7, the separate resources
that configure it (encryption, public access block, policy, versioning, ownership, lifecycle).

Logs must outlive mistakes: ``forceDestroy`` (the only way ``pulumi destroy`` can delete a bucket that
still holds objects) is prohibited everywhere. Pulumi's ``retainOnDelete`` never reaches a policy pack
(the Analyzer protocol's resource options carry ``protect`` but not ``retainOnDelete``), so the rule that
a bucket cannot be deleted through Pulumi is ``s3-bucket-protect``.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from mw_core.limits import S3_LIFECYCLE_DAYS, check
from mw_core.tokens import (
    BUCKET,
    BUCKET_ENCRYPTION,
    BUCKET_LIFECYCLE,
    BUCKET_OWNERSHIP_CONTROLS,
    BUCKET_POLICY,
    BUCKET_PUBLIC_ACCESS_BLOCK,
    BUCKET_VERSIONING,
)

from . import _iam
from ._props import UNKNOWN, config, get, limit_problem, message, props, show, subject, whole
from ._stack import Stack
from ._typed import ResourceTypePolicy, StackPolicy

_LABELS = {
    BUCKET: "Bucket",
    BUCKET_ENCRYPTION: "BucketServerSideEncryptionConfiguration",
    BUCKET_PUBLIC_ACCESS_BLOCK: "BucketPublicAccessBlock",
    BUCKET_POLICY: "BucketPolicy",
    BUCKET_VERSIONING: "BucketVersioning",
    BUCKET_OWNERSHIP_CONTROLS: "BucketOwnershipControls",
    BUCKET_LIFECYCLE: "BucketLifecycleConfiguration",
}

# S3's default-encryption algorithms for a general purpose bucket (ServerSideEncryptionByDefault.SSEAlgorithm);
# a KMS key may be named only with the two KMS ones.
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
PUBLIC_ACCESS_SETTINGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
# A year of task output; stacks that keep less (dev) lower it in their policy config.
RETENTION_DEFAULTS = {"minRetentionDays": 365}
# The partitions a bucket ARN may name (aws, China, GovCloud).
_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")


def _who(resource_type: str, name: str) -> str:
    return subject(_LABELS.get(resource_type, resource_type), name)


def _s3_bucket_force_destroy(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if get(props(args), "forceDestroy") is True:
        report_violation(message(
            _who(BUCKET, args.name),
            "forceDestroy is true, so destroying or replacing the bucket deletes every object in it, task "
            "output included, unrecoverably",
            "remove forceDestroy (S3 then refuses to delete a bucket that still holds output)",
        ))


s3_bucket_force_destroy = ResourceTypePolicy(
    name="s3-bucket-force-destroy",
    description="Prohibits forceDestroy on S3 buckets, which deletes every object when the bucket is destroyed.",
    resource_types=[BUCKET],
    validate=_s3_bucket_force_destroy,
)


def _s3_bucket_protect(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    options = getattr(args, "opts", None)
    if options is not None and not options.protect:
        report_violation(message(
            _who(BUCKET, args.name),
            "the bucket is not protected (Pulumi resource option protect), so a `pulumi destroy` or a change "
            "that replaces it goes ahead without stopping; retainOnDelete cannot be seen by a policy pack",
            "set protect: true on the bucket (outputBucket.protect in the stack config)",
        ))


s3_bucket_protect = ResourceTypePolicy(
    name="s3-bucket-protect",
    description="Requires Pulumi's protect option on S3 buckets, so the stack cannot delete them.",
    resource_types=[BUCKET],
    validate=_s3_bucket_protect,
)


def _s3_public_access_block(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    p = props(args)
    off = [f"{key} {show(p.get(key))}" for key in PUBLIC_ACCESS_SETTINGS
           if p.get(key) is not True and p.get(key) is not UNKNOWN]
    if off:
        report_violation(message(
            _who(args.resource_type, args.name),
            f"{', '.join(off)} (allowed: all four of {', '.join(PUBLIC_ACCESS_SETTINGS)} true); a missing "
            "setting is false",
            "set blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets to true",
        ))


s3_public_access_block = ResourceTypePolicy(
    name="s3-public-access-block",
    description="Requires all four settings of an S3 public access block to be true.",
    resource_types=[BUCKET_PUBLIC_ACCESS_BLOCK],
    validate=_s3_public_access_block,
)


def _encryption_defaults(rules: Any) -> list[tuple[str, Any]]:
    """(where, applyServerSideEncryptionByDefault) of each rule of an encryption configuration."""
    if not isinstance(rules, list):
        return []
    return [(f"rules[{i}]", rule.get("applyServerSideEncryptionByDefault") if isinstance(rule, dict) else rule)
            for i, rule in enumerate(rules) if isinstance(rule, dict) or rule is UNKNOWN]


def _s3_bucket_encryption(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    rules = get(props(args), "rules")
    if rules is UNKNOWN:
        return
    who = _who(args.resource_type, args.name)
    fix = 'set rules[0].applyServerSideEncryptionByDefault.sseAlgorithm to "AES256" (SSE-S3) or "aws:kms" with a ' \
          "kmsMasterKeyId (SSE-KMS)"
    defaults = _encryption_defaults(rules)
    if not any(isinstance(default, dict) or default is UNKNOWN for _, default in defaults):
        report_violation(message(who, "no rule sets applyServerSideEncryptionByDefault, so the configuration "
                                      "names no encryption for new objects", fix))
        return
    for where, default in defaults:
        if not isinstance(default, dict):
            continue
        algorithm, key = default.get("sseAlgorithm"), default.get("kmsMasterKeyId")
        if algorithm is UNKNOWN:
            continue
        if algorithm not in SSE_ALGORITHMS:
            report_violation(message(
                who, f"{where}.applyServerSideEncryptionByDefault.sseAlgorithm {show(algorithm)} is not allowed "
                     f"(allowed: {', '.join(SSE_ALGORITHMS)})", fix))
        elif algorithm not in KMS_ALGORITHMS and key not in (None, "", UNKNOWN):
            report_violation(message(
                who, f"{where}.applyServerSideEncryptionByDefault.kmsMasterKeyId is set with sseAlgorithm "
                     f"{show(algorithm)}, and S3 accepts a KMS key only with {' or '.join(KMS_ALGORITHMS)}",
                "remove kmsMasterKeyId, or set sseAlgorithm to aws:kms"))


s3_bucket_encryption = ResourceTypePolicy(
    name="s3-bucket-encryption",
    description="Requires an S3 encryption configuration to set a default algorithm S3 accepts (AES256, aws:kms, "
    "aws:kms:dsse), with a KMS key only for KMS.",
    resource_types=[BUCKET_ENCRYPTION],
    validate=_s3_bucket_encryption,
)


def _s3_bucket_versioning(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    status = get(props(args), "versioningConfiguration", "status")
    if status is UNKNOWN or status == "Enabled":
        return
    report_violation(message(
        _who(args.resource_type, args.name),
        f"versioningConfiguration.status is {show(status)} (allowed: Enabled), so an overwritten or deleted "
        "output object cannot be recovered",
        'set versioningConfiguration.status to "Enabled"',
    ))


s3_bucket_versioning = ResourceTypePolicy(
    name="s3-bucket-versioning",
    description="Requires S3 bucket versioning to be Enabled.",
    resource_types=[BUCKET_VERSIONING],
    validate=_s3_bucket_versioning,
)


def _s3_bucket_policy(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    who = _who(args.resource_type, args.name)
    document = _iam.read(get(props(args), "policy"))
    if document.unknown:
        return
    problems = _iam.problems(document, trust=False)
    raw = document.raw.get("Statement") if isinstance(document.raw, dict) else None
    raw_statements = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    for statement, item in zip(document.statements, raw_statements, strict=False):
        if isinstance(item, dict) and item.get("Principal") is None and item.get("NotPrincipal") is None:
            problems.append(f"{statement.label}: a bucket policy statement needs a Principal")
    for problem in problems:
        report_violation(message(who, f"policy: {problem}",
                                 "write the bucket policy as IAM JSON with Effect, Principal, Action and Resource"))
    for statement in document.statements:
        if statement.allows and _iam.anyone(statement.principal) and not statement.conditions:
            report_violation(message(
                who,
                f"policy ({statement.label}) allows {', '.join(statement.actions or statement.not_actions or ())} "
                "to any principal (*) without a condition, which makes the bucket public",
                "name the principals (account or role ARNs), or add a condition such as aws:PrincipalOrgID",
            ))


s3_bucket_policy = ResourceTypePolicy(
    name="s3-bucket-policy",
    description="Prohibits S3 bucket policies that allow any principal without a condition.",
    resource_types=[BUCKET_POLICY],
    validate=_s3_bucket_policy,
)


def _s3_bucket_ownership(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    ownership = get(props(args), "rule", "objectOwnership")
    if ownership is UNKNOWN or ownership == "BucketOwnerEnforced":
        return
    report_violation(message(
        _who(args.resource_type, args.name),
        f"rule.objectOwnership is {show(ownership)} (allowed: BucketOwnerEnforced), so object ACLs stay in "
        "force and objects written by others may not belong to the bucket owner",
        'set rule.objectOwnership to "BucketOwnerEnforced" (ACLs off)',
    ))


s3_bucket_ownership = ResourceTypePolicy(
    name="s3-bucket-ownership",
    description="Requires S3 object ownership BucketOwnerEnforced (ACLs disabled).",
    resource_types=[BUCKET_OWNERSHIP_CONTROLS],
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_s3_bucket_ownership,
)


def _blocks(rule: dict[str, Any], key: str) -> list[Any]:
    """A rule's ``key`` block as a list (an older provider schema sends the one block as a list)."""
    value = rule.get(key)
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _expirations(rule: dict[str, Any]) -> list[Any]:
    return _blocks(rule, "expiration")


def _s3_bucket_retention(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    minimum = config(args, "minRetentionDays", RETENTION_DEFAULTS["minRetentionDays"])
    rules = get(props(args), "rules")
    if not isinstance(rules, list):
        return
    who = _who(args.resource_type, args.name)
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict) or rule.get("status") != "Enabled":
            continue  # a Disabled rule expires nothing; an unknown status is not known to
        for expiration in _expirations(rule):
            if not isinstance(expiration, dict):
                continue
            raw_days, date = expiration.get("days"), expiration.get("date")
            # A number S3 would refuse (2.5, NaN, 3e9) is s3-lifecycle-days' (mandatory everywhere).
            days = whole(raw_days) if check(S3_LIFECYCLE_DAYS, raw_days) is None else None
            if days is not None and 0 < days < minimum:
                report_violation(message(
                    who,
                    f"rules[{index}].expiration.days is {days}: output is deleted after {days} day(s), and this "
                    f"stack keeps it at least {minimum} (0 or no expiration keeps it forever)",
                    f"set expiration.days to at least {minimum} (outputBucket.expirationDays), or remove it",
                ))
            if isinstance(date, str) and date:
                report_violation(message(
                    who,
                    f"rules[{index}].expiration.date is {show(date)}: from that day every object is deleted, "
                    f"however recent, and this stack keeps output at least {minimum} day(s)",
                    f"expire by age instead: expiration.days of at least {minimum}",
                ))


s3_bucket_retention = ResourceTypePolicy(
    name="s3-bucket-retention",
    description="Requires S3 lifecycle rules to keep objects at least minRetentionDays before they expire.",
    resource_types=[BUCKET_LIFECYCLE],
    config_schema=PolicyConfigSchema(
        properties={"minRetentionDays": {"type": "integer", "minimum": 0,
                                         "default": RETENTION_DEFAULTS["minRetentionDays"]}}
    ),
    validate=_s3_bucket_retention,
)


# Lifecycle days S3 accepts: Expiration Days and NoncurrentVersionExpiration NoncurrentDays are "a non-zero
# positive integer" (S3 API Reference, LifecycleExpiration and NoncurrentVersionExpiration), 32-bit in the model.
# An expiration.days of 0 is how pulumi-aws (terraform-provider-aws) spells "not set": it fills in 0 when only
# expiredObjectDeleteMarker or a date is given, and does not send it (hashicorp/terraform-provider-aws#23674),
# while a noncurrentDays of 0 reaches S3 and fails ("'NoncurrentDays' for NoncurrentVersionExpiration action must
# be a positive integer", hashicorp/terraform-provider-aws#34197).
_LIFECYCLE_DAYS = (("expiration", "days", True), ("noncurrentVersionExpiration", "noncurrentDays", False))


def _s3_lifecycle_days(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    rules = get(props(args), "rules")
    if not isinstance(rules, list):
        return
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        for block, field, zero_is_unset in _LIFECYCLE_DAYS:
            for position, item in enumerate(_blocks(rule, block)):
                days = get(item, field)
                if days is None or days is UNKNOWN or (zero_is_unset and whole(days) == 0):
                    continue
                at = f"[{position}]" if isinstance(rule.get(block), list) else ""
                problem = limit_problem(S3_LIFECYCLE_DAYS, f"rules[{index}].{block}{at}.{field}", days)
                if problem:
                    report_violation(message(
                        _who(args.resource_type, args.name), problem,
                        f"set {field} to a whole number of days from 1 to 2147483647 (outputBucket.expirationDays "
                        "in the stack config), or remove the block",
                    ))


s3_lifecycle_days = ResourceTypePolicy(
    name="s3-lifecycle-days",
    description="Requires lifecycle expiration days and noncurrent days that S3 accepts: whole numbers from 1 to "
    "2147483647.",
    resource_types=[BUCKET_LIFECYCLE],
    validate=_s3_lifecycle_days,
)


# ------------------------------------------------------------------------------------------------ stack


def denies_insecure_transport(document: _iam.Document, bucket_name: Any) -> bool:
    """Whether a bucket policy has a Deny of every S3 action for everyone when aws:SecureTransport is false,
    on the bucket and its objects (checked when the bucket's name is known)."""
    for statement in document.statements:
        if statement.effect != "Deny" or not _iam.anyone(statement.principal):
            continue
        if not any(_iam.action_matches(a, "s3:*") for a in statement.actions or ()):
            continue
        secure = statement.conditions.get("aws:securetransport", [])
        if not any(op.lower() in ("bool", "boolifexists") and any(v.lower() == "false" for v in values)
                   for op, values in secure):
            continue
        if not isinstance(bucket_name, str) or not bucket_name:
            return True
        arns = [f"arn:{p}:s3:::{bucket_name}" for p in _PARTITIONS]
        covers = (any(_iam.arn_matches(r, arn) for r in statement.resources or () for arn in arns),
                  any(_iam.arn_matches(r, f"{arn}/output/1") for r in statement.resources or () for arn in arns))
        if all(covers):
            return True
    return False


def _bucket_name(stack: Stack, bucket: PolicyResource) -> Any:
    p = stack.props(bucket)
    for key in ("bucket", "id"):
        if isinstance(p.get(key), str) and p.get(key):
            return p[key]
    return UNKNOWN


def _configurations(stack: Stack, bucket: PolicyResource, resource_type: str) -> tuple[list[PolicyResource], bool]:
    """The resources of ``resource_type`` that configure ``bucket``, and whether some could not be placed."""
    by_bucket, unsure = stack.memo(("configurations", resource_type), lambda: _placed(stack, resource_type))
    return by_bucket.get(bucket.urn, []), unsure


def _placed(stack: Stack, resource_type: str) -> tuple[dict[str, list[PolicyResource]], bool]:
    """Every resource of ``resource_type`` by the URN of the bucket it configures (each linked once, not once
    per bucket), and whether some could not be placed."""
    by_bucket: dict[str, list[PolicyResource]] = {}
    unsure = False
    for item in stack.of_type(resource_type):
        link = stack.linked(item, "bucket", BUCKET, keys=("id", "bucket"))
        if link.resource is not None:
            by_bucket.setdefault(link.resource.urn, []).append(item)
        unsure = unsure or link.status == "unknown"
    return by_bucket, unsure


def _stack_bucket_safeguards(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    stack = Stack(args.resources)
    for bucket in stack.of_type(BUCKET):
        who = _who(BUCKET, bucket.name)
        inline = stack.props(bucket)

        def missing(what: str, fix: str, *, who: str = who, bucket: PolicyResource = bucket) -> None:
            report_violation(message(who, what, fix), bucket.urn)

        encryption, unsure = _configurations(stack, bucket, BUCKET_ENCRYPTION)
        inline_sse = get(inline, "serverSideEncryptionConfiguration", "rule", "applyServerSideEncryptionByDefault",
                         "sseAlgorithm")
        if not encryption and not unsure and not isinstance(inline_sse, str) and inline_sse is not UNKNOWN:
            missing("the bucket has no BucketServerSideEncryptionConfiguration, so nothing in the stack says how "
                    "its objects are encrypted",
                    "add a BucketServerSideEncryptionConfiguration with bucket set to this bucket's id (AES256 or "
                    "aws:kms)")
        blocks, unsure = _configurations(stack, bucket, BUCKET_PUBLIC_ACCESS_BLOCK)
        if not blocks and not unsure:
            missing("the bucket has no BucketPublicAccessBlock, so a policy or ACL could make output public",
                    "add a BucketPublicAccessBlock with all four settings true and bucket set to this bucket's id")
        versioning, unsure = _configurations(stack, bucket, BUCKET_VERSIONING)
        inline_versioning = get(inline, "versioning", "enabled")
        if not versioning and not unsure and inline_versioning is not True and inline_versioning is not UNKNOWN:
            missing("the bucket has no BucketVersioning, so an overwritten or deleted output object is lost",
                    'add a BucketVersioning with versioningConfiguration.status "Enabled"')
        policies, unsure = _configurations(stack, bucket, BUCKET_POLICY)
        documents = [(f"BucketPolicy '{p.name}'", _iam.read(get(stack.props(p), "policy"))) for p in policies]
        if get(inline, "policy") is not None:
            documents.append(("the bucket's own policy", _iam.read(get(inline, "policy"))))
        if unsure or any(d.unknown for _, d in documents):
            continue
        name = _bucket_name(stack, bucket)
        if not any(denies_insecure_transport(d, name) for _, d in documents):
            where = ", ".join(label for label, _ in documents) or "no bucket policy"
            missing(f"nothing denies requests made without TLS ({where}: no Deny of s3:* for Principal * on the "
                    "bucket and its objects with Bool aws:SecureTransport false)",
                    'add a BucketPolicy statement {"Effect": "Deny", "Principal": "*", "Action": "s3:*", '
                    '"Resource": [<bucket arn>, "<bucket arn>/*"], "Condition": {"Bool": {"aws:SecureTransport": '
                    '"false"}}}')


stack_bucket_safeguards = StackPolicy(
    name="stack-bucket-safeguards",
    description="Requires every S3 bucket to have encryption, a public access block, versioning and a policy "
    "denying requests without TLS.",
    validate=_stack_bucket_safeguards,
)

POLICIES = [
    s3_bucket_force_destroy,
    s3_bucket_protect,
    s3_public_access_block,
    s3_bucket_encryption,
    s3_bucket_versioning,
    s3_bucket_policy,
    s3_bucket_ownership,
    s3_bucket_retention,
    s3_lifecycle_days,
]

STACK_POLICIES = [stack_bucket_safeguards]
