"""The maintenance-windows policy pack's rules, one module per kind of resource, plus the stack rules.

Importable without starting the analyzer (``__main__.py`` builds the PolicyPack, which blocks serving
gRPC), so tests call the rule functions directly.
"""

from __future__ import annotations

from pulumi_policy import Policy

from . import iam, stack, target, task, window

PACK_NAME = "maintenance-windows"

ALL_POLICIES: list[Policy] = [
    *window.POLICIES,
    *target.POLICIES,
    *task.POLICIES,
    *iam.POLICIES,
    *stack.POLICIES,
]

__all__ = ["ALL_POLICIES", "PACK_NAME"]
