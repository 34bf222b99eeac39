"""The AWS calls of ``mw targets``: EC2 instances by tag or ID, Resource Groups members, SSM managed nodes.

Every listing is read page by page through :func:`mw._aws.paginate`; IDs and filter values are sent in
batches within each API's limit, and never as an empty list (``InstanceIds=[]`` makes EC2 describe every
instance). An access error names the IAM action of the service called, not ``ssm:``: :func:`mw._aws.translate`
knows only SSM and S3 actions.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from mw._aws import MAX_PAGES, AwsError, error_code, error_message, paginate

EC2_PAGE = 1000  # DescribeInstances MaxResults: 5 to 1000
EC2_FILTER_VALUES = 200  # "The maximum number of filter values specified on a single call is 200" (EC2's error text)
SSM_PAGE = 50  # DescribeInstanceInformation MaxResults: 5 to 50
SSM_IDS = 50  # InstanceIds filter values per call: the model allows 100; 50 is one page
GROUP_PAGE = 50  # ListGroupResources MaxResults: 1 to 50
GROUP_TYPES = 5  # ListGroupResources resource-type filter values: 1 to 5

EC2_INSTANCE = "AWS::EC2::Instance"
MANAGED_INSTANCE = "AWS::SSM::ManagedInstance"
INSTANCE_TYPES = {t.lower(): t for t in (EC2_INSTANCE, MANAGED_INSTANCE)}
# SSM never targets a terminated instance; it is left out of every answer (shutting-down still is reported).
GONE = "terminated"

_WILDCARD = re.compile(r"([\\*?])")


def literal(value: str) -> str:
    """``value`` as an EC2 filter value that matches only itself: ``*``, ``?`` and ``\\`` are wildcards there."""
    return _WILDCARD.sub(r"\\\1", value)


def chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def tag_filter_sets(tags: Mapping[str, Sequence[str]], tag_keys: Sequence[str]) -> list[list[dict[str, Any]]]:
    """The EC2 filters of a tag target, split into calls of at most :data:`EC2_FILTER_VALUES` values.

    Filters are ANDed and one filter's values ORed, as SSM ANDs keys and ORs a key's values. SSM's ``tag-key``
    keys are ANDed too but EC2's ``tag-key`` values are ORed: the one ``tag-key`` filter narrows the answer and
    :func:`has_tags` requires every key. When a target has more values than one call takes, the key with the
    most values is halved until a call fits, and every combination of the parts is asked (a key's values are
    ORed, so the union of the answers is the same set of instances).
    """
    keys = sorted(tags)
    values = {key: [literal(v) for v in tags[key]] for key in keys}
    size = {key: len(values[key]) for key in keys}
    while keys and sum(size.values()) + len(tag_keys) > EC2_FILTER_VALUES:
        longest = max(keys, key=lambda k: size[k])
        if size[longest] == 1:
            break  # 200 keys: more than SSM allows (5); AWS will say what is wrong
        size[longest] = (size[longest] + 1) // 2
    out = []
    for parts in itertools.product(*(list(chunks(values[key], size[key])) for key in keys)):
        filters = [{"Name": f"tag:{key}", "Values": part} for key, part in zip(keys, parts, strict=True)]
        if tag_keys:
            filters.append({"Name": "tag-key", "Values": [literal(k) for k in tag_keys]})
        out.append(filters)
    return out


def has_tags(instance: Mapping[str, Any], tags: Mapping[str, Sequence[str]], tag_keys: Sequence[str]) -> bool:
    """Whether ``instance`` carries every key of ``tag_keys`` and, for each key of ``tags``, one of its values."""
    found = {t.get("Key"): t.get("Value") for t in instance.get("Tags") or []}
    return all(k in found for k in tag_keys) and all(found.get(k) in set(v) for k, v in tags.items())


def _instances(ec2: Any, filters: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for reservation in list(paginate(ec2, "describe_instances", "Reservations", page_size=EC2_PAGE,
                                     Filters=filters)):
        for instance in reservation.get("Instances") or []:
            if instance.get("InstanceId") and (instance.get("State") or {}).get("Name") != GONE:
                yield instance


def tagged_instances(ec2: Any, tags: Mapping[str, Sequence[str]], tag_keys: Sequence[str]) -> list[dict[str, Any]]:
    """The EC2 instances (terminated ones aside) with the tags of a tag target, in EC2's order."""
    found: dict[str, dict[str, Any]] = {}
    for filters in tag_filter_sets(tags, tag_keys):
        for instance in _instances(ec2, filters):
            if has_tags(instance, tags, tag_keys):
                found.setdefault(instance["InstanceId"], instance)
    return list(found.values())


def instances_by_id(ec2: Any, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The EC2 instances among ``ids`` (``i-...``), by ID; an ID EC2 does not know is simply absent.

    The ``instance-id`` filter rather than ``InstanceIds``: one unknown ID fails a whole ``InstanceIds`` call.
    """
    found: dict[str, dict[str, Any]] = {}
    for batch in chunks(sorted(set(ids)), EC2_FILTER_VALUES):
        for instance in _instances(ec2, [{"Name": "instance-id", "Values": batch}]):
            found[instance["InstanceId"]] = instance
    return found


def group_members(rg: Any, group: str, resource_types: Sequence[str]) -> tuple[list[str], list[str]]:
    """The instance and managed node IDs of a resource group, and the problems AWS reported reading it.

    With resource types (as the target's ResourceTypeFilters), only those are asked for; SSM does not run a
    task on types left out of the filter. The types are sent as AWS spells them (the filter is case-sensitive).
    """
    wanted = list(dict.fromkeys(INSTANCE_TYPES.get(t.lower(), t) for t in resource_types))
    # At most 5 types per call: more are asked for in several calls (a member has one type: no overlap).
    calls = [{"Group": group, "Filters": [{"Name": "resource-type", "Values": part}]}
             for part in chunks(wanted, GROUP_TYPES)] or [{"Group": group}]
    ids: list[str] = []
    problems: list[str] = []
    members: list[dict[str, Any]] = []
    query_errors: list[dict[str, Any]] = []
    try:
        for params in calls:
            # botocore's paginator rather than paginate(): the pages' QueryErrors are wanted too.
            pages = rg.get_paginator("list_group_resources").paginate(
                **params, PaginationConfig={"PageSize": GROUP_PAGE})
            for count, page in enumerate(pages, 1):
                members += page.get("Resources") or []
                query_errors += page.get("QueryErrors") or []
                if count >= MAX_PAGES and page.get("NextToken"):
                    raise AwsError(f"ListGroupResources of {group!r} still offers more after {MAX_PAGES} "
                                   "pages: mw reads at most that many and does not show a cut list")
    except ClientError as err:
        code = error_code(err)
        if code == "NotFoundException":
            return [], [f"resource group {group!r} does not exist in this account and region: the window's tasks "
                        "will find no targets in it"]
        if code == "BadRequestException":
            return [], [f"resource group {group!r}: AWS refused the resource types {', '.join(wanted)} "
                        f"({error_message(err)})"]
        raise
    for member in members:
        identifier = member.get("Identifier") or {}
        kind, arn = identifier.get("ResourceType"), identifier.get("ResourceArn") or ""
        if kind in (EC2_INSTANCE, MANAGED_INSTANCE) and "/" in arn:
            ids.append(arn.rsplit("/", 1)[1])
    for error in query_errors:
        problems.append(f"resource group {group!r}: {error.get('ErrorCode')}: {error.get('Message')}")
    return list(dict.fromkeys(ids)), problems


def managed_nodes(ssm: Any, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Systems Manager's record of each of ``ids`` that it manages, by ID.

    DescribeInstanceInformation leaves out stopped and terminated nodes, and answers InvalidInstanceId for a whole
    call when one ID is not a node it knows; such a batch is asked again one ID at a time.
    """
    found: dict[str, dict[str, Any]] = {}
    for batch in chunks(sorted(set(ids)), SSM_IDS):
        answer = _nodes(ssm, batch)
        if answer is not None:
            found.update(answer)
        elif len(batch) > 1:
            for one in batch:
                found.update(_nodes(ssm, [one]) or {})
    return found


def _nodes(ssm: Any, ids: list[str]) -> dict[str, dict[str, Any]] | None:
    """The nodes among ``ids``; None when SSM refuses the call because one of them is not a node it knows."""
    try:
        return {n["InstanceId"]: n for n in paginate(
            ssm, "describe_instance_information", "InstanceInformationList", page_size=SSM_PAGE,
            required=("InstanceId",), Filters=[{"Key": "InstanceIds", "Values": ids}])}
    except ClientError as err:
        if error_code(err) != "InvalidInstanceId":
            raise
        return None
