"""Rules on what every AWS resource has: its ``tags`` and its ``region`` (pulumi-aws 7 lets each resource name
its own region), and the AWS provider's ``region`` and ``defaultTags``.

Both are values AWS rejects, so both rules are mandatory in every stack. The program's config refuses them
too, but the components can be used directly and other programs can use this pack.
"""

from __future__ import annotations

import json
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from mw_core import arns, limits
from mw_core.tokens import AWS_PROVIDER

from ._props import UNKNOWN, contains_unknown, get, message, props, show, subject, type_name
from ._typed import EVERY_TYPE, ResourceTypePolicy

EVERY_AWS_TYPE = "aws" + EVERY_TYPE


def _who(args: ResourceValidationArgs) -> str:
    if args.resource_type == AWS_PROVIDER:
        return subject("AWS provider", args.name)
    return subject(type_name(args.resource_type), args.name)


def _tag_map(tags: Any) -> dict[Any, Any] | None:
    """Tags as a mapping: a map as most resources take them, or a list of {key, value} (autoscaling groups);
    None when they are not tags in either form, or not known yet. Unknown keys or values are left out."""
    if isinstance(tags, list):
        if not all(isinstance(t, dict) and "key" in t for t in tags):
            return None
        tags = {t["key"]: t.get("value", "") for t in tags}
    if not isinstance(tags, dict):
        return None
    return {k: v for k, v in tags.items() if not contains_unknown(k) and not contains_unknown(v)}


def _provider_tags(p: dict[str, Any]) -> Any:
    """The provider's ``defaultTags.tags`` (a default provider's inputs are config values: maybe JSON text)."""
    default = p.get("defaultTags")
    if isinstance(default, str):
        try:
            default = json.loads(default)
        except ValueError:
            return None
    return get(default, "tags")


def _aws_tags(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    p = props(args)
    field = "defaultTags.tags" if args.resource_type == AWS_PROVIDER else "tags"
    tags = _tag_map(_provider_tags(p) if args.resource_type == AWS_PROVIDER else p.get("tags"))
    if not tags:
        return
    for key, problem in limits.tag_problems(tags):
        report_violation(message(
            _who(args),
            f"{field}: tag {show(key)}: {problem} (allowed: keys of 1 to 128 and values of at most 256 letters, "
            "numbers, spaces and _ . : / = + - @, no key starting with aws:)",
            "rename or remove the tag",
        ))


aws_tags = ResourceTypePolicy(
    name="aws-tags",
    description="Requires every tag of every AWS resource (and the provider's default tags) to be one AWS accepts.",
    resource_types=[EVERY_AWS_TYPE, AWS_PROVIDER],
    validate=_aws_tags,
)


def _aws_region(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    region = props(args).get("region")
    if region is None or region is UNKNOWN or region == "":
        return  # the provider's region (a resource), or the environment's (the provider)
    problem = arns.region_problem(region) if isinstance(region, str) else (
        f"expected a region name, got {show(region)}")
    if problem:
        report_violation(message(_who(args), f"region: {problem}", "set region to one of AWS's regions, e.g. "
                                 "us-east-1, or remove it to use the provider's"))


aws_region = ResourceTypePolicy(
    name="aws-region",
    description="Requires the region of every AWS resource and of the AWS provider to be a region AWS has.",
    resource_types=[EVERY_AWS_TYPE, AWS_PROVIDER],
    validate=_aws_region,
)

POLICIES = [aws_tags, aws_region]
