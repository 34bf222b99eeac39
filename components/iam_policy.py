"""IAM policy documents as the components write them: deterministic JSON, ARN parts."""

from __future__ import annotations

import json
from typing import Any

from mw.limits import Limit


def dumps(document: dict[str, Any]) -> str:
    """Compact JSON with keys in the order written, so the same config gives the same input."""
    return json.dumps(document, separators=(",", ":"))


def partition_of(arn: str) -> str:
    """``aws`` from ``arn:aws:iam::123456789012:role/x``; ``aws`` when the value is not an ARN."""
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[1] if len(parts) > 5 and parts[0] == "arn" and parts[1] else "aws"


def account_of(arn: str) -> str | None:
    """The account ID of an ARN, or None when the value is not an ARN with one."""
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) > 5 and parts[0] == "arn" and parts[4].isdigit():
        return parts[4]
    return None


# IAM's own limits for what the components name (IAM API model, botocore/data/iam/*/service-2.json;
# tests/test_iam_policy.py compares each with that model).
ROLE_NAME = Limit("role name", "string", "roleNameType", 1, 64, r"[\w+=,.@-]+")
ROLE_DESCRIPTION = Limit("role description", "string", "roleDescriptionType", max=1000,
                         aws_pattern=r"[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*",
                         rule="printable Latin-1 characters")
ROLE_PATH = Limit("path", "string", "pathType", 1, 512, r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)",
                  rule="/ or /segments/ of printable ASCII")
POLICY_NAME = Limit("policy name", "string", "policyNameType", 1, 128, r"[\w+=,.@-]+")
POLICY_DESCRIPTION = Limit("policy description", "string", "policyDescriptionType", max=1000)
POLICY_PATH = Limit("policy path", "string", "policyPathType", 1, 512, r"((/[A-Za-z0-9\.,\+@=_-]+)*)/",
                    rule="/ or /segments/ of letters, numbers and . , + @ = _ -")
GROUP_NAME = Limit("group name", "string", "groupNameType", 1, 128, r"[\w+=,.@-]+")
USER_NAME = Limit("user name", "string", "userNameType", 1, 64, r"[\w+=,.@-]+")
