"""The stack as a graph: which window a task or target belongs to, which role a task runs as, and which
policy documents grant that role what.

During a real preview the IDs and ARNs of resources not created yet are unknown, so every link is found
first through the engine's property dependencies (``windowId`` depends on the window, ``serviceRoleArn``
on the role), then by equal known values. A dependency on one of this project's component resources
(``maintenance-windows:iam:ServiceRole`` ...) stands for the custom resources inside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource

from . import _iam
from ._props import UNKNOWN, get, plain_props
from .iam import POLICY, ROLE, ROLE_POLICY, ROLE_POLICY_ATTACHMENT, documents, is_service_role
from .target import MAINTENANCE_WINDOW_TARGET
from .task import MAINTENANCE_WINDOW_TASK
from .window import MAINTENANCE_WINDOW

MANAGED_POLICY_ARN = re.compile(r"arn:aws[a-z-]*:iam::aws:policy/service-role/AmazonSSMMaintenanceWindowRole")


@dataclass(frozen=True)
class Link:
    """What a reference resolves to: a resource of the stack, or why not (``unknown``, ``missing``,
    ``outside`` the stack, ``allowed`` by config)."""

    resource: PolicyResource | None
    status: str
    value: Any = None


class Stack:
    """Resources of one AnalyzeStack call, with their properties read once as plain data."""

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.resources = list(resources)
        self._props = {r.urn: plain_props(r.props) for r in self.resources}

    def props(self, resource: PolicyResource) -> dict[str, Any]:
        return self._props.get(resource.urn, {})

    def of_type(self, resource_type: str) -> list[PolicyResource]:
        return [r for r in self.resources if r.resource_type == resource_type]

    def children(self, parent: PolicyResource) -> list[PolicyResource]:
        return [r for r in self.resources if r.parent is not None and r.parent.urn == parent.urn]

    def depends(self, resource: PolicyResource, field: str, resource_type: str) -> list[PolicyResource]:
        """The resources of ``resource_type`` that ``field`` depends on, looking inside components."""
        found: list[PolicyResource] = []
        for dependency in (resource.property_dependencies or {}).get(field, []):
            candidates = [dependency] if dependency.resource_type == resource_type else [
                child for child in self.children(dependency) if child.resource_type == resource_type]
            found.extend(c for c in candidates if all(c.urn != f.urn for f in found))
        return found

    def _by_value(self, resource_type: str, key: str, value: Any) -> PolicyResource | None:
        for candidate in self.of_type(resource_type):
            known = get(self.props(candidate), key)
            if isinstance(known, str) and known == value:
                return candidate
        return None

    def _some_unknown(self, resource_type: str, key: str) -> bool:
        """Whether some resource of the type has ``key`` unknown (being created or replaced): a known value
        that matches none of the others could still be meant for it, so nothing is reported."""
        return any(get(self.props(r), key) is UNKNOWN for r in self.of_type(resource_type))

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

    def tasks_and_targets(self) -> list[PolicyResource]:
        return self.of_type(MAINTENANCE_WINDOW_TASK) + self.of_type(MAINTENANCE_WINDOW_TARGET)

    def role_of(self, task: PolicyResource, allowed: Iterable[str] = ()) -> Link:
        """The role a task runs as (its ``serviceRoleArn``)."""
        roles = self.depends(task, "serviceRoleArn", ROLE)
        if roles:
            return Link(roles[0], "stack")
        arn = get(self.props(task), "serviceRoleArn")
        if arn is UNKNOWN:
            return Link(None, "unknown")
        if not isinstance(arn, str) or not arn:
            return Link(None, "missing", arn)
        role = self._by_value(ROLE, "arn", arn)
        if role is None and ":role/" in arn:
            # An ARN the program spelled out from the account ID and the role's name: no dependency, and
            # under preview the role's own arn is unknown, but its name is known.
            role = self._by_value(ROLE, "name", arn.rsplit("/", 1)[-1])
        if role is not None:
            return Link(role, "stack", arn)
        if arn in allowed:
            return Link(None, "allowed", arn)
        unsure = any(get(self.props(r), "arn") is UNKNOWN and not isinstance(get(self.props(r), "name"), str)
                     for r in self.of_type(ROLE))
        return Link(None, "unknown" if unsure else "outside", arn)

    def attached_to(self, item: PolicyResource, role: PolicyResource) -> bool | None:
        """Whether a RolePolicy or RolePolicyAttachment names ``role`` (None: cannot tell yet)."""
        if any(r.urn == role.urn for r in self.depends(item, "role", ROLE)):
            return True
        value = get(self.props(item), "role")
        name = get(self.props(role), "name")
        if value is UNKNOWN or name is UNKNOWN:
            return None
        return isinstance(value, str) and value == name

    def attachments(self, role: PolicyResource) -> tuple[list[PolicyResource], bool]:
        """The RolePolicyAttachments of ``role``, and whether some attachment could not be placed."""
        found, unsure = [], False
        for attachment in self.of_type(ROLE_POLICY_ATTACHMENT):
            attached = self.attached_to(attachment, role)
            if attached is None:
                unsure = True
            elif attached:
                found.append(attachment)
        return found, unsure

    def role_documents(self, role: PolicyResource) -> tuple[list[tuple[str, _iam.Document]], bool]:
        """Every permission policy of ``role`` in the stack (inline, RolePolicy, attached customer managed
        Policy) as (label, document), and whether some could not be read or placed during preview."""
        out: list[tuple[str, _iam.Document]] = []
        unsure = False
        role_props = self.props(role)
        for field, raw, trust in documents(ROLE, role_props):
            if not trust:
                out.append((f"Role '{role.name}' {field}", _iam.read(raw)))
        for item in self.of_type(ROLE_POLICY):
            attached = self.attached_to(item, role)
            unsure = unsure or attached is None
            if attached:
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
        trust = get(self.props(role), "assumeRolePolicy")
        if trust is UNKNOWN or _iam.read(trust).unknown:
            return None
        return is_service_role(self.props(role))


