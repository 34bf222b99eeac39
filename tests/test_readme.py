"""The README stays true: every rule, config key and command it must document is there."""

from __future__ import annotations

import mw_policies
import pytest
from conftest import ROOT

import mw_config.schema as config
from mw.cli import _parser

README = (ROOT / "README.md").read_text(encoding="utf-8")
PACK_README = (ROOT / "policies" / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", [p.name for p in mw_policies.ALL_POLICIES])
def test_every_rule_is_documented(rule):
    assert f"`{rule}`" in README
    assert f"`{rule}`" in PACK_README


@pytest.mark.parametrize("key", config.TOP_KEYS)
def test_every_top_level_config_key_is_documented(key):
    assert f"maintenance-windows:{key}" in README


@pytest.mark.parametrize("key", sorted({*config.WINDOW_KEYS, *config.TARGET_KEYS, *config.TASK_KEYS,
                                        *config.SERVICE_ROLE_KEYS, *config.PASS_ROLE_KEYS,
                                        *config.OUTPUT_BUCKET_KEYS, *config.NOTIFICATIONS_KEYS,
                                        *config.CLOUDWATCH_KEYS, *config.BASELINE_KEYS}))
def test_every_config_key_is_documented(key):
    assert f"`{key}`" in README


def test_every_command_is_documented():
    commands = _parser()._subparsers._group_actions[0].choices  # argparse keeps them there
    for name in commands:
        assert f"mw {name}" in README
