"""The maintenance-windows policy pack's rules, one module per kind of resource, plus the stack rules
(``stack.py``; ``s3.py`` and ``overlap.py`` hold the stack rules on buckets and on schedules).

Importable without starting the analyzer (``__main__.py`` builds the PolicyPack, which blocks serving
gRPC), so tests call the rule functions directly.
"""

from __future__ import annotations

from pulumi_policy import Policy

from . import accounts, aws, cloudwatch, iam, overlap, patch, reach, s3, sns, stack, target, task, window

PACK_NAME = "maintenance-windows"

ALL_POLICIES: list[Policy] = [
    *window.POLICIES,
    *target.POLICIES,
    *task.POLICIES,
    *iam.POLICIES,
    *reach.POLICIES,
    *s3.POLICIES,
    *sns.POLICIES,
    *cloudwatch.POLICIES,
    *patch.POLICIES,
    *aws.POLICIES,
    *stack.POLICIES,
    *s3.STACK_POLICIES,
    *overlap.POLICIES,
    *accounts.POLICIES,
]

__all__ = ["ALL_POLICIES", "PACK_NAME"]
