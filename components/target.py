"""Window targets: which instances a maintenance window's tasks run on.

A target is one of three modes, as in the console's "Register targets" page:
EC2 tags (AND-ed), explicit instance IDs, or a resource group.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from mw_components.checks import Check, Context, checks, each, field_problems, limited, rule

from mw_core import limits
from mw_core.errors import Problem
from mw_core.problems import showable_key

INSTANCE = "INSTANCE"
RESOURCE_GROUP = "RESOURCE_GROUP"


def tag_condition_problems(tags: Mapping[str, tuple[str, ...]], context: Context) -> list[Problem]:
    """Tag conditions no EC2 instance can meet, or SSM would reject: paths ``Env``, ``Env[1]`` (or ``''`` for a
    key too long or odd to stand in a path, which the message then names)."""
    out: list[Problem] = []
    for key, values in tags.items():
        at = key if showable_key(key) else ""
        problem = condition_key_problem(key) or limits.check(limits.TARGET_KEY, f"tag:{key}")
        if problem is not None:
            out.append(Problem(at, problem if at else f"tag key {problem}"))
        if not values:
            out.append(Problem(at, "expected at least one value"))
        if len(values) > limits.TARGET_VALUES.max:
            out.append(Problem(at, f"{len(values)} values is too many (allowed: at most {limits.TARGET_VALUES.max})"))
        for index, value in enumerate(values):
            problem = condition_value_problem(value)
            if problem is not None:
                out.append(Problem(f"{at}[{index}]" if len(values) > 1 else at, problem))
    return out


def tag_key_condition_problem(key: str) -> str | None:
    """Why a ``tag_keys`` entry can never match an instance, or None."""
    return condition_key_problem(key) or limits.check(limits.TARGET_KEY, key)


def instance_id_problems(per: str) -> Check:
    """At most 50 instance IDs (:data:`mw_core.limits.TARGET_VALUES`), each ``i-...`` or ``mi-...``."""

    def check(ids: tuple[str, ...], context: Context) -> list[Problem]:
        out = []
        if len(ids) > limits.TARGET_VALUES.max:
            out.append(Problem("", f"{len(ids)} instance IDs is too many (allowed: at most "
                                   f"{limits.TARGET_VALUES.max}{per})"))
        return out + each(limited(limits.INSTANCE_ID))(ids, context)

    return check


@dataclass(frozen=True)
class ResourceGroup:
    """A resource group target.

    :param name: the resource group's name.
    :param resource_types: only resources of these types (``AWS::EC2::Instance``).
        Default: every resource in the group.
    """

    name: str = field(metadata=checks(rule(lambda name: None if name else "expected the resource group's name")))
    resource_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class TargetArgs:
    """One registered target of a window (``RegisterTargetWithMaintenanceWindow``).

    Exactly one mode is given: ``tags`` (and/or ``tag_keys``), ``instance_ids`` or ``resource_group``.

    :param name: the target's name, unique in its window; tasks refer to it.
    :param tags: tag key -> accepted values; an instance must match every key (AND) and one of
        each key's values (OR). Default: none.
    :param tag_keys: instances that have these tag keys, whatever the values. Default: none.
    :param instance_ids: explicit instances (``i-...``, or ``mi-...`` for managed nodes). Default: none.
    :param resource_group: a resource group and optional resource type filters. Default: none.
    :param description: Default: none.
    :param owner_information: sent with every CloudWatch event of runs on these targets. Default: none.
    """

    name: str = field(metadata=checks(limited(limits.WINDOW_NAME)))
    tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict, metadata=checks(tag_condition_problems))
    tag_keys: tuple[str, ...] = field(default=(), metadata=checks(each(rule(tag_key_condition_problem))))
    instance_ids: tuple[str, ...] = field(default=(), metadata=checks(instance_id_problems(" per target")))
    resource_group: ResourceGroup | None = None
    description: str | None = field(default=None, metadata=checks(limited(limits.WINDOW_DESCRIPTION)))
    owner_information: str | None = field(default=None, metadata=checks(limited(limits.OWNER_INFORMATION)))

    @property
    def resource_type(self) -> str:
        return RESOURCE_GROUP if self.resource_group is not None else INSTANCE

    def wire_targets(self) -> list[dict[str, object]]:
        """The ``Targets`` list AWS takes, in a fixed order so the same args give the same inputs."""
        if self.resource_group is not None:
            out: list[dict[str, object]] = [{"key": "resource-groups:Name", "values": [self.resource_group.name]}]
            if self.resource_group.resource_types:
                out.append({"key": "resource-groups:ResourceTypeFilters",
                            "values": list(self.resource_group.resource_types)})
            return out
        if self.instance_ids:
            return [{"key": "InstanceIds", "values": list(self.instance_ids)}]
        # Sorted: the CLI hands config mappings over with sorted keys anyway; this keeps library use identical.
        out = [{"key": f"tag:{key}", "values": list(values)} for key, values in sorted(self.tags.items())]
        if self.tag_keys:
            out.append({"key": "tag-key", "values": list(self.tag_keys)})
        return out

    def problems(self) -> list[Problem]:
        """What AWS would reject, with paths relative to this target (``tags.Workload``)."""
        return field_problems(self) + self.rules()

    def rules(self) -> list[Problem]:
        """The rules across fields: exactly one mode, at most 5 tag conditions."""
        out: list[Problem] = []
        modes = [m for m, on in (("`tags`", bool(self.tags or self.tag_keys)),
                                 ("`instance_ids`", bool(self.instance_ids)),
                                 ("`resource_group`", self.resource_group is not None)) if on]
        if len(modes) != 1:
            got = ", ".join(modes) if modes else "none"
            out.append(Problem("", f"give exactly one of `tags` (or `tag_keys`), `instance_ids`, `resource_group`; "
                                   f"got {got}"))
        pairs = len(self.wire_targets())
        if (self.tags or self.tag_keys) and pairs > limits.TARGETS.max:
            out.append(Problem("tags", f"{pairs} tag conditions is too many (allowed: at most {limits.TARGETS.max} "
                                       "per target, `tag_keys` counting as one)"))
        return out


def condition_key_problem(key: str) -> str | None:
    """Why a tag condition's key can never match an EC2 instance, or None.

    At most 128 characters (:data:`mw_core.limits.EC2_TAG_KEY`), of the characters AWS takes in tag keys
    (:func:`mw_core.limits.tag_problems`: letters, numbers, spaces and ``_ . : / = + - @``, so no control
    character). The ``aws:`` prefix is allowed here: AWS itself sets such tags on instances
    (``aws:autoscaling:groupName``, ``aws:cloudformation:stack-name``), and targeting them is legitimate.
    """
    problem = limits.check(limits.EC2_TAG_KEY, key)
    if problem is not None:
        return f"{problem}: an EC2 tag key has at most 128 characters, so a longer condition never matches"
    found = limits.tag_problems({key: ""}, reserved=False)
    return found[0][1] if found else None


def condition_value_problem(value: str) -> str | None:
    """Why a tag condition's value can never match an EC2 instance, or None.

    EC2 tag values have at most 256 characters but may hold any character ("Although EC2 allows for any
    character in its tags, other AWS services are more restrictive", Amazon EC2 User Guide, "Tag
    restrictions"), so only the length and control characters (NUL, BEL, line breaks: never part of a tag
    one can type, and a stack file holds them only by accident) are refused.
    """
    if len(value) > limits.TAG_VALUE.max:
        return f"{limits.describe_value(value)} is {len(value)} characters long (allowed: at most " \
               f"{limits.TAG_VALUE.max} characters, as EC2 tag values)"
    if any(unicodedata.category(c) == "Cc" for c in value):
        return f"{limits.describe_value(value)} holds a control character (allowed: any text without control " \
               "characters)"
    return None
