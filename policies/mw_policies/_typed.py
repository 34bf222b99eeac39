"""How the pack declares its rules: one function per rule, and one of these two classes naming it.

* :class:`ResourceTypePolicy`, a resource rule that says which resource types it checks. pulumi-policy for
  Python has no ``validateResourceOfType``: every resource policy sees every resource. A
  :class:`ResourceTypePolicy` names its types once; its ``validate`` runs the rule only for those types, so
  the rule function never tests ``args.resource_type`` itself, and the pack's servicer (``_servicer.py``) can
  skip the rule for other types without calling it.
* :class:`StackPolicy`, a stack rule (AnalyzeStack): a ``StackValidationPolicy``.

Both default to :data:`DEFAULT_LEVEL`, the level of a rule that names none: the prod level of almost every rule
(what AWS rejects, and the security and retention rules), so a stack without a policy config gets the strict
level. A rule that is advisory even in prod says ``enforcement_level=EnforcementLevel.ADVISORY``.

A type is a Pulumi type token (``aws:ssm/maintenanceWindow:MaintenanceWindow``) or ``<package>:*:*``, every
resource type of one package (``aws:*:*``: every AWS resource, for rules on what every resource has, such
as ``tags`` and ``region``). Provider resources have their own package token (``pulumi:providers:aws``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

# The level of every rule that does not name one (and the pack's default, __main__.py).
DEFAULT_LEVEL = EnforcementLevel.MANDATORY

# The module and type parts of a token that stands for every resource type of its package.
EVERY_TYPE = ":*:*"


class TypeSet(frozenset):  # type: ignore[type-arg]
    """Type tokens; ``in`` also matches a type of a package named as ``<package>:*:*``."""

    def __contains__(self, resource_type: object) -> bool:
        if frozenset.__contains__(self, resource_type):
            return True
        if not isinstance(resource_type, str) or resource_type.count(":") != 2:
            return False
        package = resource_type.split(":", 1)[0]
        return frozenset.__contains__(self, package + EVERY_TYPE)


class ResourceTypePolicy(ResourceValidationPolicy):
    """A :class:`ResourceValidationPolicy` that checks only resources of ``resource_types``.

    Example::

        topic_encryption = ResourceTypePolicy(
            name="sns-topic-encryption", description="Requires a KMS key on every SNS topic.",
            resource_types=[tokens.TOPIC], validate=_sns_topic_encryption)
    """

    resource_types: TypeSet

    def __init__(self, *, resource_types: Iterable[str], validate: Any,
                 enforcement_level: EnforcementLevel = DEFAULT_LEVEL, **kwargs: Any) -> None:
        types = TypeSet(resource_types)
        if not types or not all(isinstance(t, str) and t.count(":") == 2 for t in types):
            raise TypeError(f"resource_types: expected Pulumi type tokens such as 'aws:ssm/maintenanceWindow:"
                            f"MaintenanceWindow' (or 'aws:*:*' for every AWS type), got "
                            f"{sorted(map(repr, types))}")
        if not callable(validate):
            raise TypeError("Expected validate to be callable")

        def of_these_types(args: ResourceValidationArgs, report_violation: ReportViolation) -> Any:
            if args.resource_type in types:
                return validate(args, report_violation)
            return None

        self.resource_types = types
        super().__init__(validate=of_these_types, enforcement_level=enforcement_level, **kwargs)


class StackPolicy(StackValidationPolicy):
    """A :class:`StackValidationPolicy` whose level defaults to :data:`DEFAULT_LEVEL`."""

    def __init__(self, *, validate: Any, enforcement_level: EnforcementLevel = DEFAULT_LEVEL, **kwargs: Any) -> None:
        super().__init__(validate=validate, enforcement_level=enforcement_level, **kwargs)
