"""The explicit AWS provider of a member account: Pulumi deploys there through a role it assumes."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

SESSION_NAME = "maintenance-windows"  # the STS session name of every assumed deploy role


def account_provider(name: str, *, account_id: str, role_arn: str, region: str | None) -> aws.Provider:
    """An ``aws.Provider`` that assumes ``role_arn`` and refuses any account but ``account_id``.

    An explicit provider does not read the stack's ``aws:*`` config ("It is currently by design that an explicit
    provider is configured independent of any `aws:*` config", pulumi/pulumi-aws#1307), so ``region`` is given
    here; each resource also carries its own ``region``. ``assume_roles`` is a list in pulumi-aws 7 (role chaining).
    """
    return aws.Provider(
        name, region=region, allowed_account_ids=[account_id],
        assume_roles=[aws.ProviderAssumeRoleArgs(role_arn=role_arn, session_name=SESSION_NAME)])


def provider_options(provider: pulumi.ProviderResource | None) -> pulumi.ResourceOptions | None:
    """Options that put a component (and, through it, its children) on ``provider``; None for the default one."""
    return None if provider is None else pulumi.ResourceOptions(provider=provider)
