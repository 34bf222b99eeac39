"""`maintenance-windows:accounts` and `passRole.accounts`: defaults, and every bad config with its exact message."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import ROOT

from mw_config import NAMESPACE, Account, parse, parse_stack
from mw_core.errors import ConfigError
from mw_engine import engine
from mw_engine.engine import run_program

HOME, MEMBER, OTHER = "123456789012", "111111111111", "222222222222"
ROLE = f"arn:aws:iam::{MEMBER}:role/Deploy"
WINDOW = {"name": "Nightly", "schedule": "rate(1 day)", "duration": 2}
FLEET = {**WINDOW, "name": "Fleet"}


def _parse(accounts: Any, allowed: Any = (HOME,), **keys: Any):
    raw = {"windows": [WINDOW, FLEET], "accounts": accounts, **keys}
    return parse(raw, allowed_account_ids=list(allowed) if isinstance(allowed, tuple) else allowed)


def test_defaults_are_resolved():
    config = _parse([{"id": HOME}, {"id": MEMBER, "roleArn": ROLE, "windows": ["Fleet"]}], regions=["eu-west-1"])
    assert config.home_account == HOME
    assert config.accounts == (Account(HOME, HOME, None, ("eu-west-1",), ("Nightly", "Fleet")),
                               Account(MEMBER, MEMBER, ROLE, ("eu-west-1",), ("Fleet",)))
    assert config.pass_role_accounts == (HOME, MEMBER)
    without_regions = _parse([{"id": HOME, "name": "home", "regions": ["us-west-2"]}])
    assert without_regions.accounts[0].regions == ("us-west-2",)
    assert _parse([{"id": HOME}]).accounts[0].regions == (None,)


def test_without_accounts_nothing_changes():
    config = parse({"windows": [WINDOW]})
    assert (config.accounts, config.home_account, config.pass_role_accounts) == ((), None, ())


def test_parse_stack_reads_allowed_account_ids_from_the_whole_config():
    config = parse_stack({"aws:region": "us-east-1", "aws:allowedAccountIds": f'["{HOME}"]',
                          f"{NAMESPACE}:windows": [WINDOW], f"{NAMESPACE}:accounts": [{"id": HOME}]})
    assert config.home_account == HOME


MANAGED = ("'alias/aws/sns' is an AWS managed key, whose key policy cannot let the service roles of other accounts "
           "(accounts[1]) publish: give the ARN of a customer managed key whose key policy allows them "
           "kms:GenerateDataKey* and kms:Decrypt")
BAD = [
    pytest.param([{"id": "12345"}], (HOME,), {},
                 ["accounts[0].id: '12345' is not an AWS account ID (allowed: 12 digits, such as 123456789012)"],
                 id="id-not-12-digits"),
    pytest.param([{"id": 111111111111, "roleArn": ROLE}], (HOME,), {},
                 ["accounts[0].id: expected a string, got 111111111111"], id="id-unquoted"),
    pytest.param([{"id": HOME}, {"id": HOME}], (HOME,), {},
                 [f"accounts[1].id: '{HOME}' is already the id of accounts[0]",
                  f"accounts[1].name: '{HOME}' is already the name of accounts[0]"], id="duplicate-id"),
    pytest.param([{"id": HOME, "name": "a"}, {"id": MEMBER, "name": "a", "roleArn": ROLE}], (HOME,), {},
                 ["accounts[1].name: 'a' is already the name of accounts[0]"], id="duplicate-name"),
    pytest.param([{"id": MEMBER, "roleArn": f"arn:aws:iam::{OTHER}:role/Deploy"}], (HOME,), {},
                 [f"accounts[0].roleArn: 'arn:aws:iam::{OTHER}:role/Deploy' is in account {OTHER}, not in this "
                  f"account ({MEMBER}): the role must be in the account it deploys"], id="role-in-another-account"),
    pytest.param([{"id": MEMBER}], (HOME,), {},
                 [f"accounts[0].roleArn: required key is missing: {MEMBER} is not the deploying account ({HOME}), "
                  "so Pulumi needs a role to assume there"], id="role-missing-for-member"),
    pytest.param([{"id": MEMBER, "roleArn": "Deploy"}], (HOME,), {},
                 ["accounts[0].roleArn: 'Deploy' is not an IAM role ARN (allowed: "
                  "arn:<partition>:iam::<account>:role/<path/><name>)"], id="role-not-an-arn"),
    pytest.param([{"id": HOME, "windows": ["Nope"]}, {"id": MEMBER, "roleArn": ROLE}], (HOME,), {},
                 ["accounts[0].windows[0]: 'Nope' is not a window of this stack (allowed: Nightly, Fleet)"],
                 id="unknown-window"),
    pytest.param([{"id": HOME, "windows": ["Fleet", "Fleet"]}, {"id": MEMBER, "roleArn": ROLE}], (HOME,), {},
                 ["accounts[0].windows[1]: 'Fleet' is listed more than once"], id="window-twice-in-account"),
    pytest.param([{"id": HOME, "windows": ["Fleet"]}, {"id": MEMBER, "roleArn": ROLE, "windows": ["Fleet"]}],
                 (HOME,), {},
                 ["windows[0]: 'Nightly' is in no account's windows list, so it would be deployed nowhere: add it to "
                  "an account's list, or leave the list out of one account (it then takes every window)"],
                 id="window-in-no-account"),
    pytest.param([{"id": HOME, "regions": ["eu-west-1", "eu-west-1"]}], (HOME,), {},
                 ["accounts[0].regions[1]: 'eu-west-1' is listed more than once"], id="region-twice-in-account"),
    pytest.param([{"id": HOME, "name": "bad name"}], (HOME,), {},
                 ["accounts[0].name: 'bad name' is not allowed (allowed: 1 to 50 letters, digits, _ . -, starting "
                  "with a letter or digit: it starts the names of the account's resources and its S3 key prefix)"],
                 id="name-not-a-label"),
    pytest.param([{"id": HOME, "role": ROLE}], (HOME,), {},
                 ["accounts[0].role: unknown key (did you mean 'roleArn'? allowed: id, name, roleArn, regions, "
                  "windows)"], id="unknown-key"),
    pytest.param([{"id": HOME}], None, {},
                 ["accounts: needs aws:allowedAccountIds with exactly one account, the deploying one (got null): "
                  "resources without a role to assume are created there"], id="no-allowed-account-ids"),
    pytest.param([{"id": HOME}], (HOME, OTHER), {},
                 ["accounts: needs aws:allowedAccountIds with exactly one account, the deploying one (got a list "
                  "of 2): resources without a role to assume are created there"], id="two-allowed-account-ids"),
    pytest.param([{"id": HOME, "name": "home"}], (HOME,), {"passRole": {"accounts": ["prod"]}},
                 ["passRole.accounts[0]: 'prod' names no account of accounts (allowed: home, or their ids)"],
                 id="pass-role-account-unknown"),
    pytest.param(None, (HOME,), {"passRole": {"accounts": ["prod"]}},
                 ["passRole.accounts: needs accounts: without it the policy is in the deploying account only"],
                 id="pass-role-accounts-without-accounts"),
    pytest.param([{"id": HOME}, {"id": MEMBER, "roleArn": ROLE}], (HOME,), {"notifications": {}},
                 [f"notifications.kmsMasterKeyId: {MANAGED}"], id="aws-managed-topic-key-with-members"),
    pytest.param([{"id": HOME}, {"id": MEMBER, "roleArn": ROLE}], (HOME,),
                 {"serviceRole": {"arn": f"arn:aws:iam::{HOME}:role/Existing"}},
                 ["serviceRole.arn: not allowed with member accounts (accounts[1] is not the deploying account): "
                  "each account gets its own created service role"], id="existing-role-with-members"),
]


@pytest.mark.parametrize(("accounts", "allowed", "keys", "messages"), BAD)
def test_bad_accounts_config(accounts, allowed, keys, messages):
    raw: dict[str, Any] = {"windows": [WINDOW, FLEET], **keys}
    if accounts is not None:
        raw["accounts"] = accounts
    with pytest.raises(ConfigError) as caught:
        parse(raw, allowed_account_ids=list(allowed) if allowed else None)
    assert [str(p) for p in caught.value.problems] == messages


def test_the_home_account_may_be_listed_without_a_role_and_a_managed_key_is_fine_without_members():
    config = _parse([{"id": HOME}], notifications={})
    assert config.accounts[0].role_arn is None


def test_nothing_is_registered_when_accounts_are_invalid(monkeypatch):
    registered: list[str] = []
    real = engine.RecordingMonitor.RegisterResource

    def register(self: Any, request: Any) -> Any:
        registered.append(request.type)
        return real(self, request)

    monkeypatch.setattr(engine.RecordingMonitor, "RegisterResource", register)
    config = {"aws:region": "us-east-1", "aws:allowedAccountIds": [HOME], f"{NAMESPACE}:windows": [WINDOW],
              f"{NAMESPACE}:accounts": [{"id": HOME}, {"id": MEMBER}]}
    with pytest.raises(ConfigError, match=r"accounts\[1\]\.roleArn: required key is missing"):
        run_program(ROOT, project="maintenance-windows", stack="test", config=config)
    assert registered == ["pulumi:pulumi:Stack"]


def test_without_allowed_account_ids_read_the_rules_needing_the_home_account_are_left_out():
    """``mw`` commands that read only this namespace (``parse`` without ``allowed_account_ids``) still get the
    accounts; the program and ``parse_stack`` always pass it, and there the rules apply."""
    raw = {"windows": [WINDOW], "accounts": [{"id": HOME}, {"id": MEMBER}]}
    assert [a.id for a in parse(raw).accounts] == [HOME, MEMBER]
    assert parse(raw).home_account is None
    with pytest.raises(ConfigError, match="needs aws:allowedAccountIds"):
        parse(raw, allowed_account_ids=None)
