"""``mw_core.tokens``: every AWS type token is the one pulumi-aws registers its resource under."""

from __future__ import annotations

import inspect
import keyword
import warnings

import pulumi_aws
import pytest

from mw_core import tokens


@pytest.mark.parametrize(("name", "token"), sorted(tokens.aws_tokens().items()))
def test_the_token_is_pulumi_aws(name, token):
    _, module_and_type, type_name = token.split(":")
    module = module_and_type.split("/")[0]
    if keyword.iskeyword(module):  # the Python SDK's module for `lambda` is pulumi_aws.lambda_
        module += "_"
    with warnings.catch_warnings():
        # Loading pulumi_aws.lambda_ warns about resources of its own it renamed (MicrovmsImage), not ours.
        warnings.filterwarnings("ignore", r"aws\.lambda/.* has been deprecated in favor of", DeprecationWarning)
        resource = getattr(getattr(pulumi_aws, module), type_name)
    # pulumi-aws registers each resource with its token, as a string literal in _internal_init.
    assert f"'{token}'" in inspect.getsource(resource._internal_init), name
