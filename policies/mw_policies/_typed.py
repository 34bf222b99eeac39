"""Resource rules that say which resource types they check.

pulumi-policy for Python has no ``validateResourceOfType``: every resource policy sees every resource. A
:class:`ResourceTypePolicy` names its types once; its ``validate`` runs the rule only for those types,
so the rule function never tests ``args.resource_type`` itself, and the pack's servicer (``_servicer.py``)
can skip the rule for other types without calling it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy


class ResourceTypePolicy(ResourceValidationPolicy):
    """A :class:`ResourceValidationPolicy` that checks only resources of ``resource_types``.

    Example::

        topic_encryption = ResourceTypePolicy(
            name="sns-topic-encryption", description="Requires a KMS key on every SNS topic.",
            resource_types=["aws:sns/topic:Topic"], validate=_sns_topic_encryption)
    """

    resource_types: frozenset[str]

    def __init__(self, *, resource_types: Iterable[str], validate: Any, **kwargs: Any) -> None:
        types = frozenset(resource_types)
        if not types or not all(isinstance(t, str) and t.count(":") == 2 for t in types):
            raise TypeError(f"resource_types: expected Pulumi type tokens such as 'aws:ssm/maintenanceWindow:"
                            f"MaintenanceWindow', got {sorted(map(repr, types))}")
        if not callable(validate):
            raise TypeError("Expected validate to be callable")

        def of_these_types(args: ResourceValidationArgs, report_violation: ReportViolation) -> Any:
            if args.resource_type in types:
                return validate(args, report_violation)
            return None

        self.resource_types = types
        super().__init__(validate=of_these_types, **kwargs)
