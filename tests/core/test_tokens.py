"""``mw_core.tokens``: every AWS type token is the one pulumi-aws registers its resource under."""

from __future__ import annotations

import inspect

import pulumi_aws
import pytest

from mw_core import tokens


@pytest.mark.parametrize(("name", "token"), sorted(tokens.aws_tokens().items()))
def test_the_token_is_pulumi_aws(name, token):
    _, module_and_type, type_name = token.split(":")
    resource = getattr(getattr(pulumi_aws, module_and_type.split("/")[0]), type_name)
    # pulumi-aws registers each resource with its token, as a string literal in _internal_init.
    assert f"'{token}'" in inspect.getsource(resource._internal_init), name
