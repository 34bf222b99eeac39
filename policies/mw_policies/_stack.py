"""The stack as a graph: which window a task or target belongs to, which role a task runs as, and which
policy documents grant that role what.

During a real preview the IDs and ARNs of resources not created yet are unknown, so every link is found
first through the engine's property dependencies (``windowId`` depends on the window, ``serviceRoleArn``
on the role), then by equal known values. A dependency on one of this project's component resources
(``maintenance-windows:iam:ServiceRole`` ...) stands for the custom resources inside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from pulumi_policy import PolicyResource

from mw_core import arns
from mw_core.tokens import (
    MAINTENANCE_WINDOW,
    MAINTENANCE_WINDOW_TARGET,
    MAINTENANCE_WINDOW_TASK,
    POLICY,
    ROLE,
    ROLE_POLICY,
    ROLE_POLICY_ATTACHMENT,
)

from . import _iam
from ._account import StackAccounts, provider_pin, stack_accounts
from ._props import UNKNOWN, get, plain_props
from .iam import documents, is_service_role

_T = TypeVar("_T")

MANAGED_POLICY_ARN = re.compile(r"arn:aws[a-z-]*:iam::aws:policy/service-role/AmazonSSMMaintenanceWindowRole")


@dataclass(frozen=True)
class Link:
    """What a reference resolves to: a resource of the stack, or why not (``unknown``, ``missing``,
    ``outside`` the stack, ``allowed`` by config)."""

    resource: PolicyResource | None
    status: str
    value: Any = None


class Stack:
    """Resources of one AnalyzeStack call, with their properties read once as plain data.

    Every lookup is indexed (by type, by parent, by a known value), built once on first use: rules look a
    window, target or role up for every task and target, and a scan per lookup made AnalyzeStack
    quadratic in the number of resources (41 s for 10,000 targets, issue 12 item 15).
    """

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.resources = list(resources)
        self._props = {r.urn: plain_props(r.props) for r in self.resources}
        self._by_type: dict[str, list[PolicyResource]] = {}
        for r in self.resources:
            self._by_type.setdefault(r.resource_type, []).append(r)
        self._children: dict[str, list[PolicyResource]] | None = None
        self._values: dict[tuple[str, str], dict[str, PolicyResource]] = {}
        self._unknown: dict[tuple[str, str], bool] = {}
        self._memo: dict[Hashable, Any] = {}

    def props(self, resource: PolicyResource) -> dict[str, Any]:
        return self._props.get(resource.urn, {})

    def of_type(self, resource_type: str) -> list[PolicyResource]:
        """The resources of ``resource_type`` in stack order (a shared list: do not modify it)."""
        return self._by_type.get(resource_type, [])

    def children(self, parent: PolicyResource) -> list[PolicyResource]:
        if self._children is None:
            self._children = {}
            for r in self.resources:
                if r.parent is not None:
                    self._children.setdefault(r.parent.urn, []).append(r)
        return self._children.get(parent.urn, [])

    def accounts(self) -> StackAccounts:
        """The stack's accounts and each provider's pin: every provider read once per stack."""
        return self.memo(("accounts",), lambda: stack_accounts(self.resources))

    def memo(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """``compute()``, once per ``key`` for this stack: what rules derive per role or per type."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def depends(self, resource: PolicyResource, field: str, resource_type: str) -> list[PolicyResource]:
        """The resources of ``resource_type`` that ``field`` depends on, looking inside components."""
        found: list[PolicyResource] = []
        seen: set[str] = set()
        for dependency in (resource.property_dependencies or {}).get(field, []):
            candidates = [dependency] if dependency.resource_type == resource_type else [
                child for child in self.children(dependency) if child.resource_type == resource_type]
            for candidate in candidates:
                if candidate.urn not in seen:
                    seen.add(candidate.urn)
                    found.append(candidate)
        return found

    def _by_value(self, resource_type: str, key: str, value: Any) -> PolicyResource | None:
        """The first resource of the type whose ``key`` is the known string ``value``."""
        index = self._values.get((resource_type, key))
        if index is None:
            index = {}
            for candidate in self.of_type(resource_type):
                known = get(self.props(candidate), key)
                if isinstance(known, str):
                    index.setdefault(known, candidate)
            self._values[resource_type, key] = index
        return index.get(value) if isinstance(value, str) else None

    def _some_unknown(self, resource_type: str, key: str) -> bool:
        """Whether some resource of the type has ``key`` unknown (being created or replaced): a known value
        that matches none of the others could still be meant for it, so nothing is reported."""
        found = self._unknown.get((resource_type, key))
        if found is None:
            found = any(get(self.props(r), key) is UNKNOWN for r in self.of_type(resource_type))
            self._unknown[resource_type, key] = found
        return found

    def window_of(self, resource: PolicyResource) -> Link:
        """The maintenance window a task or target is registered with."""
        windows = self.depends(resource, "windowId", MAINTENANCE_WINDOW)
        if windows:
            return Link(windows[0], "stack")
        value = get(self.props(resource), "windowId")
        if value is UNKNOWN:
            return Link(None, "unknown")
        if not isinstance(value, str) or not value:
            return Link(None, "missing", value)
        window = self._by_value(MAINTENANCE_WINDOW, "id", value)
        if window is not None:
            return Link(window, "stack", value)
        return Link(None, "unknown" if self._some_unknown(MAINTENANCE_WINDOW, "id") else "outside", value)

    def target_by_id(self, value: str) -> Link:
        """The window target whose known ID is ``value``."""
        found = self._by_value(MAINTENANCE_WINDOW_TARGET, "id", value)
        if found is not None:
            return Link(found, "stack", value)
        return Link(None, "unknown" if self._some_unknown(MAINTENANCE_WINDOW_TARGET, "id") else "outside", value)

    def linked(self, resource: PolicyResource, field: str, resource_type: str,
               keys: tuple[str, ...] = ("id",)) -> Link:
        """The resource of ``resource_type`` that ``field`` names: through the property dependency, else a
        known value equal to one of its ``keys`` (a bucket configuration's ``bucket`` is the bucket's
        ``id``, which is also its ``bucket`` name)."""
        found = self.depends(resource, field, resource_type)
        if found:
            return Link(found[0], "stack")
        value = get(self.props(resource), field)
        if value is UNKNOWN:
            return Link(None, "unknown")
        if not isinstance(value, str) or not value:
            return Link(None, "missing", value)
        for key in keys:
            match = self._by_value(resource_type, key, value)
            if match is not None:
                return Link(match, "stack", value)
        unsure = any(self._some_unknown(resource_type, key) for key in keys)
        return Link(None, "unknown" if unsure else "outside", value)

    def link_value(self, resource: PolicyResource, field: str, value: Any, resource_type: str,
                   keys: tuple[str, ...] = ("id",)) -> Link:
        """The resource of ``resource_type`` that ``value``, read from inside ``field`` (a task's output bucket
        inside ``taskInvocationParameters``), names. A known value names the resource whose known ``keys`` value
        equals it; an unknown value, a resource ``field`` depends on. A known value naming none is "outside",
        unless a resource ``field`` depends on has no known ``keys`` value yet to compare ("unknown")."""
        found = self.depends(resource, field, resource_type)
        if value is UNKNOWN:
            return Link(found[0], "stack") if found else Link(None, "unknown")
        if not isinstance(value, str) or not value:
            return Link(None, "missing", value)
        for key in keys:
            match = self._by_value(resource_type, key, value)
            if match is not None:
                return Link(match, "stack", value)
        unsure = any(not any(isinstance(get(self.props(r), key), str) for key in keys) for r in found)
        return Link(None, "unknown" if unsure else "outside", value)

    def tasks_and_targets(self) -> list[PolicyResource]:
        return self.of_type(MAINTENANCE_WINDOW_TASK) + self.of_type(MAINTENANCE_WINDOW_TARGET)

    def role_of(self, task: PolicyResource, allowed: Iterable[str] = ()) -> Link:
        """The role a task runs as (its ``serviceRoleArn``): see :meth:`role_link`."""
        return self.role_link(task, "serviceRoleArn", get(self.props(task), "serviceRoleArn"), allowed)

    def role_link(self, resource: PolicyResource, field: str, value: Any, allowed: Iterable[str] = ()) -> Link:
        """The role of this stack a role ARN ``value`` (read from ``field`` of ``resource``) names.

        By its full ARN, never by the name alone: a role of the same name in another account, or under another
        path, is another role. An unknown value is the role its ``field`` depends on (it was computed from
        it); a known value must equal the role's ``arn``, or, while that is unknown (a preview), the ARN the
        role will have, ``arn:<partition>:iam::<deploying account>:role<path><name>``
        ("IAM identifiers", IAM User Guide: role ARNs carry the path). Without a pinned account the account
        cannot be compared: a value equal in everything else is taken for the role (the rule cannot judge it,
        and stack-account-pinned reports the unpinned provider).
        """
        if value is UNKNOWN:
            roles = self.depends(resource, field, ROLE)
            return Link(roles[0], "stack") if roles else Link(None, "unknown")
        if not isinstance(value, str) or not value:
            return Link(None, "missing", value)
        role = self._by_value(ROLE, "arn", value)
        if role is not None:
            return Link(role, "stack", value)
        parsed = arns.parse(value)
        if parsed is not None and parsed.service == "iam" and parsed.resource.startswith("role/"):
            for candidate in self._roles_named(parsed.resource.rsplit("/", 1)[-1]):
                # None: equal in all that can be compared (the account cannot be, without a pin).
                if self.is_arn_of(candidate, value) is not False:
                    return Link(candidate, "stack", value)
        if value in allowed:
            return Link(None, "allowed", value)
        unsure = self.memo(("roles-unsure",), lambda: any(
            get(self.props(r), "arn") is UNKNOWN and not isinstance(get(self.props(r), "name"), str)
            for r in self.of_type(ROLE)))
        return Link(None, "unknown" if unsure else "outside", value)

    def _roles_named(self, name: str) -> list[PolicyResource]:
        index = self.memo(("roles-by-name",), lambda: _group(
            (get(self.props(r), "name"), r) for r in self.of_type(ROLE)))
        return index.get(name, [])

    def is_arn_of(self, role: PolicyResource, value: str) -> bool | None:
        """Whether ``value`` is the ARN of ``role`` (None: cannot tell, e.g. the deploying account is not pinned)."""
        p = self.props(role)
        known = get(p, "arn")
        if isinstance(known, str):
            return known == value
        name, path = get(p, "name"), get(p, "path")
        path = "/" if path is None or path == "" else path
        if not isinstance(name, str) or not isinstance(path, str):
            return None
        parsed = arns.parse(value)
        if parsed is None or parsed.resource != f"role{path}{name}":
            return False
        pin = provider_pin(role.provider)
        if not pin.pinned:
            return None
        partitions = {pin.partition} if pin.partition else {parsed.partition}
        return parsed.service == "iam" and parsed.region == "" and parsed.partition in partitions and (
            parsed.account in pin.accounts)

    def attached_to(self, item: PolicyResource, role: PolicyResource) -> bool | None:
        """Whether a RolePolicy or RolePolicyAttachment names ``role`` (None: cannot tell yet)."""
        if any(r.urn == role.urn for r in self.depends(item, "role", ROLE)):
            return True
        value = get(self.props(item), "role")
        name = get(self.props(role), "name")
        if value is UNKNOWN or name is UNKNOWN:
            return None
        return isinstance(value, str) and value == name

    def _role_items(self, item_type: str) -> tuple[dict[str, set[int]], dict[str, list[int]], list[int]]:
        """For RolePolicies or RolePolicyAttachments, indexed once: role URN -> positions of the items whose
        ``role`` depends on it; known ``role`` value -> positions; positions of items whose ``role`` is unknown."""
        def build() -> tuple[dict[str, set[int]], dict[str, list[int]], list[int]]:
            by_dependency: dict[str, set[int]] = {}
            by_name: dict[str, list[int]] = {}
            unknown: list[int] = []
            for position, item in enumerate(self.of_type(item_type)):
                for role in self.depends(item, "role", ROLE):
                    by_dependency.setdefault(role.urn, set()).add(position)
                value = get(self.props(item), "role")
                if value is UNKNOWN:
                    unknown.append(position)
                elif isinstance(value, str):
                    by_name.setdefault(value, []).append(position)
            return by_dependency, by_name, unknown
        return self.memo(("role-items", item_type), build)

    def _attached(self, item_type: str, role: PolicyResource) -> tuple[list[PolicyResource], bool]:
        """The items of ``item_type`` that :meth:`attached_to` ``role`` says name it, in stack order, and
        whether one of them could not tell (the same answers, from an index instead of a scan per role)."""
        def compute() -> tuple[list[PolicyResource], bool]:
            items = self.of_type(item_type)
            by_dependency, by_name, unknown = self._role_items(item_type)
            depending = by_dependency.get(role.urn, set())
            name = get(self.props(role), "name")
            if name is UNKNOWN:
                return [items[i] for i in sorted(depending)], len(depending) < len(items)
            named = by_name.get(name, []) if isinstance(name, str) else []
            found = sorted(depending.union(named))
            return [items[i] for i in found], any(i not in depending for i in unknown)
        return self.memo(("attached", item_type, id(role)), compute)

    def attachments(self, role: PolicyResource) -> tuple[list[PolicyResource], bool]:
        """The RolePolicyAttachments of ``role``, and whether some attachment could not be placed."""
        return self._attached(ROLE_POLICY_ATTACHMENT, role)

    def role_documents(self, role: PolicyResource) -> tuple[list[tuple[str, _iam.Document]], bool]:
        """Every permission policy of ``role`` in the stack (inline, RolePolicy, attached customer managed
        Policy) as (label, document), and whether some could not be read or placed during preview.
        Computed once per role (a shared result: do not modify it)."""
        return self.memo(("documents", id(role)), lambda: self._role_documents(role))

    def _role_documents(self, role: PolicyResource) -> tuple[list[tuple[str, _iam.Document]], bool]:
        out: list[tuple[str, _iam.Document]] = []
        role_props = self.props(role)
        for field, raw, trust in documents(ROLE, role_props):
            if not trust:
                out.append((f"Role '{role.name}' {field}", _iam.read(raw)))
        inline, unsure = self._attached(ROLE_POLICY, role)
        for item in inline:
            out.append((f"RolePolicy '{item.name}'", _iam.read(get(self.props(item), "policy"))))
        attachments, unplaced = self.attachments(role)
        unsure = unsure or unplaced
        for attachment in attachments:
            policies = self.depends(attachment, "policyArn", POLICY)
            arn = get(self.props(attachment), "policyArn")
            if not policies and isinstance(arn, str):
                found = self._by_value(POLICY, "arn", arn)
                policies = [found] if found else []
            unsure = unsure or (arn is UNKNOWN and not policies)
            for policy in policies:
                out.append((f"Policy '{policy.name}'", _iam.read(get(self.props(policy), "policy"))))
        unsure = unsure or any(document.unknown for _, document in out)
        return out, unsure

    def is_service_role(self, role: PolicyResource) -> bool | None:
        return self.memo(("service-role", id(role)), lambda: self._is_service_role(role))

    def _is_service_role(self, role: PolicyResource) -> bool | None:
        trust = get(self.props(role), "assumeRolePolicy")
        if trust is UNKNOWN or _iam.read(trust).unknown:
            return None
        return is_service_role(self.props(role))


def _group(pairs: Iterable[tuple[Any, PolicyResource]]) -> dict[str, list[PolicyResource]]:
    """Resources by a known string value, in stack order."""
    out: dict[str, list[PolicyResource]] = {}
    for key, resource in pairs:
        if isinstance(key, str):
            out.setdefault(key, []).append(resource)
    return out
