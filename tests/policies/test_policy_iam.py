"""IAM rules: the service role's trust policy, PassRole and every policy document the stack creates."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from mw_policies import _iam
from policy_cases.harness import (
    UNKNOWN_ARRAY,
    UNKNOWN_STRING,
    assert_violations,
    run_bounded,
    run_resource,
    variant,
)
from policy_cases.lab import (
    ACCOUNT,
    PASS_ROLE_POLICY,
    POLICY_TYPE,
    ROLE,
    ROLE_ARN,
    ROLE_POLICY,
    ROLE_POLICY_TYPE,
    ROLE_TYPE,
    trust_policy,
)

USER_POLICY_TYPE = "aws:iam/userPolicy:UserPolicy"
LAB_TRUST = trust_policy("ec2.amazonaws.com", "ssm.amazonaws.com", "sns.amazonaws.com", guarded=False)


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17") -> str:
    body: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        body["Version"] = version
    return json.dumps(body)


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


PASSED_TO_SSM = {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}
ROLE_TRUST_SSM = {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}

# (rule, id, resource type, properties, expected fragments or None when compliant)
CASES: list[tuple[str, str, str, dict[str, Any], list[str] | None]] = [
    ("iam-policy-document", "role", ROLE_TYPE, ROLE, None),
    ("iam-policy-document", "pass-role", POLICY_TYPE, PASS_ROLE_POLICY, None),
    ("iam-policy-document", "role-policy", ROLE_POLICY_TYPE, ROLE_POLICY, None),
    ("iam-policy-document", "old-version", POLICY_TYPE, {"policy": doc(allow("ssm:GetDocument"), version="2008-10-17")},
     None),
    ("iam-policy-document", "single-statement-object", POLICY_TYPE,
     {"policy": json.dumps({"Statement": allow("ssm:GetDocument")})}, None),
    ("iam-policy-document", "malformed", POLICY_TYPE, {"policy": '{"Version": "2012-10-17", "Statement": ['},
     ["policy: not valid JSON"]),
    ("iam-policy-document", "not-object", POLICY_TYPE, {"policy": "[]"}, ["the document is not a JSON object"]),
    ("iam-policy-document", "no-statement", POLICY_TYPE, {"policy": '{"Version": "2012-10-17"}'},
     ["the document has no Statement"]),
    ("iam-policy-document", "number", POLICY_TYPE, {"policy": 5.0}, ["expected a JSON string, got 5"]),
    ("iam-policy-document", "effect", ROLE_POLICY_TYPE, {"role": "r", "policy": doc(
        {"Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"})}, ["Effect 'Permit' is not Allow or Deny"]),
    ("iam-policy-document", "no-action", POLICY_TYPE, {"policy": doc({"Effect": "Allow", "Resource": "*"})},
     ["statement 1: needs exactly one of Action and NotAction"]),
    ("iam-policy-document", "no-resource", POLICY_TYPE, {"policy": doc({"Effect": "Allow", "Action": "s3:GetObject"})},
     ["needs exactly one of Resource and NotResource"]),
    ("iam-policy-document", "version", POLICY_TYPE, {"policy": doc(allow("s3:GetObject"), version="2020-01-01")},
     ["Version '2020-01-01' is not one of 2012-10-17, 2008-10-17"]),
    ("iam-policy-document", "trust-no-principal", ROLE_TYPE,
     variant(ROLE, {"assumeRolePolicy": doc({"Effect": "Allow", "Action": "sts:AssumeRole"})}),
     ["assumeRolePolicy: statement 1: a trust policy statement needs a Principal"]),
    ("iam-policy-document", "no-trust", ROLE_TYPE, {"name": "r"}, ["assumeRolePolicy is not set"]),
    ("iam-policy-document", "inline", ROLE_TYPE, variant(ROLE, {"inlinePolicies": [{"name": "x", "policy": "{"}]}),
     ["inlinePolicies[0].policy: not valid JSON"]),
    ("iam-trusted-principals", "ssm-only", ROLE_TYPE, ROLE, None),
    ("iam-trusted-principals", "not-a-service-role", ROLE_TYPE,
     {"assumeRolePolicy": trust_policy("lambda.amazonaws.com", "ec2.amazonaws.com")}, None),
    ("iam-trusted-principals", "deny-statement", ROLE_TYPE, {"assumeRolePolicy": doc(
        ROLE_TRUST_SSM, {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})}, None),
    ("iam-trusted-principals", "lab", ROLE_TYPE, variant(ROLE, {"assumeRolePolicy": LAB_TRUST}),
     ["also trusts ec2.amazonaws.com, sns.amazonaws.com", "allowed: ssm.amazonaws.com"]),
    ("iam-trusted-principals", "account", ROLE_TYPE, {"assumeRolePolicy": doc(
        ROLE_TRUST_SSM, {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                         "Action": "sts:AssumeRole"})},
     ["statement 2) also trusts AWS:arn:aws:iam::123456789012:root"]),
    ("iam-trusted-principals", "everyone", ROLE_TYPE, {"assumeRolePolicy": doc(
        {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com", "AWS": "*"}, "Action": "sts:AssumeRole"})},
     ["also trusts AWS:*"]),
    ("iam-confused-deputy", "source-account", ROLE_TYPE, ROLE, None),
    ("iam-confused-deputy", "source-arn", ROLE_TYPE, {"assumeRolePolicy": trust_policy(condition={"ArnLike": {
        "aws:SourceArn": f"arn:aws:ssm:*:{ACCOUNT}:*"}})}, None),
    ("iam-confused-deputy", "key-case", ROLE_TYPE, {"assumeRolePolicy": trust_policy(condition={"StringEquals": {
        "AWS:sourceaccount": ACCOUNT}})}, None),
    ("iam-confused-deputy", "not-a-service-role", ROLE_TYPE,
     {"assumeRolePolicy": trust_policy("lambda.amazonaws.com", guarded=False)}, None),
    ("iam-confused-deputy", "none", ROLE_TYPE, {"assumeRolePolicy": trust_policy(guarded=False)},
     ["without an aws:SourceAccount or aws:SourceArn condition", "aws:SourceAccount"]),
    ("iam-confused-deputy", "if-exists", ROLE_TYPE, {"assumeRolePolicy": trust_policy(condition={
        "StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}})}, ["confused deputy"]),
    ("iam-confused-deputy", "wildcard", ROLE_TYPE, {"assumeRolePolicy": trust_policy(condition={
        "StringLike": {"aws:SourceAccount": "*"}})}, ["confused deputy"]),
    ("iam-confused-deputy", "other-key", ROLE_TYPE, {"assumeRolePolicy": trust_policy(condition={
        "StringEquals": {"aws:PrincipalAccount": ACCOUNT}})}, ["confused deputy"]),
    ("iam-passrole-resource", "lab", POLICY_TYPE, PASS_ROLE_POLICY, None),
    ("iam-passrole-resource", "deny-star", POLICY_TYPE,
     {"policy": doc({"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"})}, None),
    ("iam-passrole-resource", "star", POLICY_TYPE, {"policy": doc(allow("iam:PassRole", "*",
                                                                        Condition=PASSED_TO_SSM))},
     ["grants iam:PassRole on '*'", "no * or ?"]),
    ("iam-passrole-resource", "role-wildcard", POLICY_TYPE,
     {"policy": doc(allow("iam:PassRole", [ROLE_ARN, f"arn:aws:iam::{ACCOUNT}:role/SSM*"]))},
     ["on 'arn:aws:iam::123456789012:role/SSM*'"]),
    ("iam-passrole-resource", "question-mark", POLICY_TYPE,
     {"policy": doc(allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/SSMMaintenanceWindowRol?"))}, ["Rol?'"]),
    ("iam-passrole-resource", "iam-star", ROLE_POLICY_TYPE, {"role": "r", "policy": doc(allow("iam:*", "*"))},
     ["grants iam:PassRole on '*'"]),
    ("iam-passrole-resource", "action-case", USER_POLICY_TYPE, {"user": "u", "policy": doc(allow("IAM:passrole", "*"))},
     ["grants iam:PassRole"]),
    ("iam-passrole-resource", "not-resource", POLICY_TYPE, {"policy": doc(
        {"Effect": "Allow", "Action": "iam:PassRole", "NotResource": ROLE_ARN})}, ["with NotResource"]),
    ("iam-passrole-resource", "not-action", POLICY_TYPE, {"policy": doc(
        {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"})}, ["grants iam:PassRole on '*'"]),
    ("iam-passrole-condition", "lab", POLICY_TYPE, PASS_ROLE_POLICY, None),
    ("iam-passrole-condition", "no-passrole", ROLE_POLICY_TYPE, ROLE_POLICY, None),
    ("iam-passrole-condition", "missing", POLICY_TYPE, {"policy": doc(allow("iam:PassRole", ROLE_ARN))},
     ["without an iam:PassedToService condition"]),
    ("iam-passrole-condition", "if-exists", POLICY_TYPE, {"policy": doc(allow("iam:PassRole", ROLE_ARN, Condition={
        "StringEqualsIfExists": {"iam:PassedToService": "ssm.amazonaws.com"}}))},
     ["without an iam:PassedToService condition"]),
    ("iam-passrole-condition", "other-service", POLICY_TYPE, {"policy": doc(allow("iam:PassRole", ROLE_ARN, Condition={
        "StringEquals": {"iam:PassedToService": ["ssm.amazonaws.com", "ec2.amazonaws.com"]}}))},
     ["passed to ec2.amazonaws.com", "allowed: ssm.amazonaws.com"]),
    ("iam-no-wildcard-actions", "lab-pass-role", POLICY_TYPE, PASS_ROLE_POLICY, None),
    ("iam-no-wildcard-actions", "lab-role", ROLE_TYPE, ROLE, None),
    ("iam-no-wildcard-actions", "prefix", POLICY_TYPE, {"policy": doc(allow(["iam:Get*", "iam:List*"]))}, None),
    ("iam-no-wildcard-actions", "deny-star", POLICY_TYPE, {"policy": doc({"Effect": "Deny", "Action": "*",
                                                                         "Resource": "*"})}, None),
    ("iam-no-wildcard-actions", "star", POLICY_TYPE, {"policy": doc(allow("*"))}, ["allows '*'", "named actions"]),
    ("iam-no-wildcard-actions", "service", ROLE_POLICY_TYPE, {"role": "r", "policy": doc(allow(["ssm:*", "s3:Get*"]))},
     ["allows 'ssm:*'"]),
    ("iam-no-wildcard-actions", "not-action", POLICY_TYPE, {"policy": doc(
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})}, ["allows NotAction iam:*"]),
    ("iam-no-wildcard-actions", "trust", ROLE_TYPE, variant(ROLE, {"assumeRolePolicy": doc(
        {"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:*"})}),
     ["assumeRolePolicy (statement 1) allows 'sts:*'"]),
    ("iam-no-wildcard-actions", "inline", ROLE_TYPE, variant(ROLE, {"inlinePolicies": [
        {"name": "all", "policy": doc(allow("*"))}]}), ["inlinePolicies[0].policy (statement 1) allows '*'"]),
]


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize(("rule", "case_id", "resource_type", "props", "expect"), CASES,
                         ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_iam_rule(rule: str, case_id: str, resource_type: str, props: dict[str, Any], expect: list[str] | None,
                  env: str) -> None:
    found = run_resource(rule, resource_type, props, env=env, name="mw-iam")
    if expect is None:
        assert found == []
    else:
        assert_violations(found, rule, env, expect, "mw-iam")


def test_trusted_principals_config_extends_the_list() -> None:
    props = variant(ROLE, {"assumeRolePolicy": LAB_TRUST})
    found = run_resource("iam-trusted-principals", ROLE_TYPE, props, name="mw-iam",
                         config={"allowedServicePrincipals": ["ssm.amazonaws.com", "ec2.amazonaws.com"]})
    assert_violations(found, "iam-trusted-principals", "prod", ["also trusts sns.amazonaws.com"], "mw-iam")
    assert "ec2.amazonaws.com," not in found[0].message.split("allowed:")[0]


def test_passrole_condition_config_extends_the_list() -> None:
    props = {"policy": doc(allow("iam:PassRole", ROLE_ARN, Condition={
        "StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}))}
    assert run_resource("iam-passrole-condition", POLICY_TYPE, props,
                        config={"allowedPassedToServices": ["ec2.amazonaws.com"]}) == []


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        # The PassRole policy names the role's ARN, an output: the whole document is unknown in preview.
        (POLICY_TYPE, {"name": "pass", "policy": UNKNOWN_STRING}),
        (ROLE_POLICY_TYPE, {"role": UNKNOWN_STRING, "policy": UNKNOWN_STRING}),
        (ROLE_TYPE, variant(ROLE, {"assumeRolePolicy": UNKNOWN_STRING})),
        (ROLE_TYPE, variant(ROLE, {"inlinePolicies": UNKNOWN_ARRAY})),
        (ROLE_TYPE, variant(ROLE, {"inlinePolicies": [{"name": "x", "policy": UNKNOWN_STRING}]})),
    ],
)
def test_iam_rules_skip_unknown_documents(resource_type: str, props: dict[str, Any]) -> None:
    for rule in ("iam-policy-document", "iam-trusted-principals", "iam-confused-deputy", "iam-passrole-resource",
                 "iam-passrole-condition", "iam-no-wildcard-actions"):
        assert run_resource(rule, resource_type, props) == [], rule


def test_attachments_are_not_documents() -> None:
    attachment = {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    assert run_resource("iam-no-wildcard-actions", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                        attachment) == []


# --- wildcard matching (_iam.action_matches / arn_matches) -------------------------------------------------

FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
# Issue 12, item 10: 34 wildcards made the old regex matcher backtrack for hours.
PATHOLOGICAL = FUNCTION + "*a" * 34 + "b"

# (pattern, text, action_matches, arn_matches)
MATCHES: list[tuple[str, str, bool, bool]] = [
    ("*", "", True, True),
    ("*", "anything:at/all", True, True),
    ("", "", True, True),
    ("", "a", False, False),
    ("?", "", False, False),
    ("?", "x", True, True),
    ("?", "\n", True, True),
    ("s3:Get*", "s3:GetObject", True, True),
    ("s3:Get*", "S3:getobject", True, False),
    ("s3:get?bject", "s3:GetObject", True, False),
    ("iam:PassRole", "iam:PassRoles", False, False),
    ("iam:*Role", "iam:PassRole", True, True),
    ("*Role", "Role", True, True),
    ("a*b*c", "abc", True, True),
    ("a*b*c", "acb", False, False),
    ("a*b*c", "ab", False, False),
    ("ab*ba", "aba", False, False),  # prefix and suffix must not share a character
    ("ab*ba", "abba", True, True),
    ("a**b", "ab", True, True),
    ("*a*a", "aa", True, True),
    ("*a*a", "a", False, False),
    ("*?*", "", False, False),
    ("a.b", "axb", False, False),  # regex characters are literal
    ("(x)+", "(x)+", True, True),
    ("[ab]", "a", False, False),  # no character classes in IAM
    ("[ab]", "[ab]", True, True),
    (FUNCTION + "rotate-*", FUNCTION + "rotate-logs", True, True),
    (FUNCTION + "rotate-*", FUNCTION + "rotate-logs:live", True, True),
    (FUNCTION + "Rotate-*", FUNCTION + "rotate-logs", True, False),
    (FUNCTION + "*a" * 3 + "b", FUNCTION + "*a" * 3 + "b", True, True),
    (FUNCTION + "*a" * 3 + "b", FUNCTION + "aaab:live", False, False),
    (FUNCTION + "?a" * 34 + "b", FUNCTION + "xa" * 34 + "b", True, True),
]


@pytest.mark.parametrize(("pattern", "text", "action", "arn"), MATCHES,
                         ids=[f"{i}:{m[0][-20:]}~{m[1][-20:]}" for i, m in enumerate(MATCHES)])
def test_wildcard_matching(pattern: str, text: str, action: bool, arn: bool) -> None:
    assert (_iam.action_matches(pattern, text), _iam.arn_matches(pattern, text)) == (action, arn)


_CHARS = st.sampled_from("aAb:/*?.\n")


@settings(max_examples=examples(600), deadline=None)
@given(pattern=st.text(_CHARS, max_size=12), text=st.text(st.sampled_from("aAb:/*?.\n"), max_size=14))
def test_wildcard_matching_agrees_with_fnmatch(pattern: str, text: str) -> None:
    """The same answers as ``fnmatchcase`` (``*`` any run, ``?`` one character, nothing else special when the
    pattern has no ``[``); actions compared lower-cased, as IAM compares them."""
    assert _iam.arn_matches(pattern, text) == fnmatch.fnmatchcase(text, pattern)
    assert _iam.action_matches(pattern, text) == fnmatch.fnmatchcase(text.lower(), pattern.lower())


def test_many_wildcards_take_bounded_time() -> None:
    """The issue's ARN, and 2,000 wildcards against 20,000 characters: each finishes well within a generous
    subprocess timeout (the old matcher needed hours for the first). Out of process, so that a regression
    fails instead of hanging the suite."""
    out = run_bounded(
        "from mw_policies import _iam\n"
        f"p = {PATHOLOGICAL!r}\n"
        f"print(_iam.arn_matches(p, p), _iam.arn_matches(p, p + ':live'), _iam.action_matches(p, p + 'c'),\n"
        f"      _iam.arn_matches(p, {FUNCTION!r} + 'a' * 70 + 'b'), _iam.arn_matches(p, {FUNCTION!r} + 'a' * 5000))\n"
        "q = '*a' * 2000 + 'b'\n"
        "print(_iam.arn_matches(q, 'a' * 20000), _iam.arn_matches(q, 'a' * 20000 + 'b'))\n",
        timeout=60)
    assert out.split() == ["True", "False", "False", "True", "False", "False", "True"]
