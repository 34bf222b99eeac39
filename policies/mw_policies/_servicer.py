"""pulumi-policy's Analyzer servicer, doing each request's shared work once: same answers, fewer milliseconds.

For every resource, pulumi-policy's ``Analyze`` converts the properties from protobuf and wraps them in
proxies once *per policy*, and ``AnalyzeStack`` converts every resource once per stack policy: with this
pack's 45 resource rules (when measured) that is about 3 ms per resource, of which the rules took 0.2 ms.
:class:`Servicer` converts once per request, shares the read-only result between the rules, and skips a
:class:`~mw_policies._typed.ResourceTypePolicy` for the types it does not check (the rule would return
at once). Levels, messages, their order, "not applicable" and "can't run during preview" results are
pulumi-policy's own (``tests/policies/test_policy_servicer.py`` compares both on the same requests).

Where pulumi-policy fails, this servicer answers: it reads properties with :func:`struct_to_python`, so a NaN
or infinite number (which ``json_format`` refuses, failing the whole call with gRPC UNKNOWN) reaches the
rules as a float, in ``Analyze``, ``AnalyzeStack``, provider properties and ``Remediate``. And it hands each
rule's ``report_violation`` an ``advisory`` twin (:func:`mw_policies._props.advisory`) for notes such as
"check cut short", which must not fail a plan whatever the rule's level.

:func:`install` makes ``PolicyPack`` serve with it. What it uses of pulumi-policy beyond the public API (the private
servicer, its helpers, the stack tags it keeps, the property readers) is named in ``_pulumi_policy.py`` only; if
any of it is not there, or another pulumi-policy version is installed, the pack keeps pulumi-policy's servicer
and says so on stderr, which the Pulumi engine logs.
"""

from __future__ import annotations

import asyncio
import os
import sys
from inspect import isawaitable
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyProviderResource,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from . import _pulumi_policy as internals
from ._props import ADVISORY_REPORT


def _value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        return value.number_value
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return struct_to_python(value.struct_value)
    if kind == "list_value":
        return [_value(item) for item in value.list_value.values]
    return None  # null_value, or no kind set (json_format reads both as None)


def struct_to_python(message: struct_pb2.Struct) -> dict[str, Any]:
    """A protobuf Struct as ``json_format.MessageToDict`` returns it (same keys in the same order, numbers
    as floats), except that NaN and infinite numbers stay floats instead of failing the whole call.

    pulumi-policy reads properties with ``MessageToDict``, which raises ValueError on a NaN or infinite
    ``number_value`` ("Fail to serialize NaN for Value.number_value": protobuf's JSON mapping has no such
    number), so a single one anywhere made Analyze and AnalyzeStack fail with gRPC UNKNOWN. Here the resource
    is analysed: rules that expect a number report the value (AWS rejects it), the others ignore it.
    """
    fields = message.fields
    return {key: _value(fields[key]) for key in fields}


class Servicer(internals.STOCK_SERVICER if not internals.servicer_problems() else object):  # type: ignore[misc]
    """The stock servicer with ``Analyze`` and ``AnalyzeStack`` doing shared work once per request."""

    def __init__(self, name: str, version: str, policies: list[Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(name, version, policies, *args, **kwargs)
        self._pack_name, self._pack_version = name, version
        self._resource_policies = [p for p in policies if isinstance(p, ResourceValidationPolicy)]
        self._stack_policies = [p for p in policies if isinstance(p, StackValidationPolicy)]
        self._by_type: dict[str, tuple[ResourceValidationPolicy, ...]] = {}
        self._runtime_env: tuple[str | None, ...] | None = None
        # Set by pulumi-policy's __init__; without it the stack tags could not be handed to the rules.
        self._shared_work = internals.has_stack_tags(self)

    def _configure_runtime_settings(self) -> None:
        # pulumi-policy parses the config and rebuilds the settings on every request (0.1 ms); they
        # depend on these variables only, so redo it when one of them changed.
        env = tuple(os.environ.get(k) for k in internals.RUNTIME_ENVIRONMENT)
        if env != self._runtime_env:
            super()._configure_runtime_settings()
            self._runtime_env = env

    def _for_type(self, resource_type: str) -> tuple[ResourceValidationPolicy, ...]:
        """The resource policies that check ``resource_type``, in pack order (computed once per type)."""
        found = self._by_type.get(resource_type)
        if found is None:
            found = tuple(p for p in self._resource_policies
                          if resource_type in getattr(p, "resource_types", (resource_type,)))
            self._by_type[resource_type] = found
        return found

    def _level(self, policy: Any) -> EnforcementLevel:
        level = self._get_enforcement_level(policy)
        # As pulumi-policy: a remediation that still leaves a violation is reported as mandatory.
        return EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level

    def _resource(self, message: Any) -> tuple[Any, Any, Any]:
        """(properties, options, provider) of an AnalyzeRequest or AnalyzerResource, as pulumi-policy reads them."""
        props = internals.unknown_checking_proxy(internals.read_properties(struct_to_python(message.properties)))
        return props, self._get_resource_options(message), self._get_provider_resource(message)

    def _get_provider_resource(self, request: Any) -> PolicyProviderResource | None:
        # pulumi-policy's, reading the provider's properties with struct_to_python (NaN-safe).
        if not request.HasField("provider"):
            return None
        provider = request.provider
        props = internals.unknown_checking_proxy(internals.read_properties(struct_to_python(provider.properties)))
        return PolicyProviderResource(provider.type, props, provider.urn, provider.name)

    def Remediate(self, request: Any, context: Any) -> Any:
        # pulumi-policy reads the properties before looking for a policy to run, so a NaN fails the call
        # even though no rule of this pack remediates: with none at the remediate level the answer is empty,
        # as pulumi-policy's is.
        if not self._shared_work:
            return super().Remediate(request, context)
        self._configure_runtime_settings()
        if all(self._get_enforcement_level(p) != EnforcementLevel.REMEDIATE for p in self._resource_policies):
            return proto.RemediateResponse()
        return super().Remediate(request, context)

    def Analyze(self, request: Any, context: Any) -> Any:
        if not self._shared_work:
            return super().Analyze(request, context)
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        shared = None
        for policy in self._for_type(request.type):
            level = self._get_enforcement_level(policy)
            if level == EnforcementLevel.DISABLED:
                continue
            if not policy.has_validation():
                response.not_applicable.append(proto.PolicyNotApplicable(
                    policy_name=policy.name, reason="Policy does not implement validate"))
                continue
            if shared is None:
                shared = self._resource(request)
            props, opts, provider = shared
            args = ResourceValidationArgs(request.type, props, request.urn, request.name, opts, provider,
                                          self._get_policy_config(policy.name), internals.stack_tags(self))
            self._run(policy, args, response)
        return response

    def AnalyzeStack(self, request: Any, context: Any) -> Any:
        if not self._shared_work:
            return super().AnalyzeStack(request, context)
        self._configure_runtime_settings()
        response = proto.AnalyzeResponse()
        resources: list[PolicyResource] | None = None
        for policy in self._stack_policies:
            if self._get_enforcement_level(policy) == EnforcementLevel.DISABLED:
                continue
            if resources is None:
                resources = self._stack_resources(request)
            # A list of its own per policy, as pulumi-policy gives; the resources are shared, read-only.
            args = StackValidationArgs(list(resources), self._get_policy_config(policy.name),
                                       internals.stack_tags(self))
            self._run(policy, args, response)
        return response

    def _stack_resources(self, request: Any) -> list[PolicyResource]:
        """The request's resources with parents, dependencies and property dependencies linked, as
        pulumi-policy builds them (a reference to a URN not in the request is dropped)."""
        built = []
        for r in request.resources:
            props, opts, provider = self._resource(r)
            built.append((PolicyResource(r.type, props, r.urn, r.name, opts, provider, None, [], {}), r))
        by_urn = {resource.urn: resource for resource, _ in built}
        for resource, r in built:
            if r.parent in by_urn:
                resource.parent = by_urn[r.parent]
            resource.dependencies.extend(by_urn[d] for d in r.dependencies if d in by_urn)
            for key, deps in r.propertyDependencies.items():
                resource.property_dependencies[key] = [by_urn[d] for d in deps.urns if d in by_urn]
        return [resource for resource, _ in built]

    def _run(self, policy: Any, args: Any, response: Any) -> None:
        """Call the policy's validate as pulumi-policy does, recording what it reports in ``response``."""
        report = self._create_report_violation(response, policy.name, policy.description, self._level(policy),
                                               policy.severity)
        # For the rule's notes about itself (mw_policies._props.advisory): never a mandatory failure.
        setattr(report, ADVISORY_REPORT, self._create_report_violation(
            response, policy.name, policy.description, EnforcementLevel.ADVISORY, policy.severity))
        try:
            result = policy.validate(args, report)
            if isawaitable(result):
                loop = asyncio.new_event_loop()
                try:
                    loop.run_until_complete(asyncio.Task(result, loop=loop))
                finally:
                    loop.close()
        except internals.UnknownValueError as e:
            response.diagnostics.append(proto.AnalyzeDiagnostic(
                policyName=policy.name,
                policyPackName=self._pack_name,
                policyPackVersion=self._pack_version,
                message=(f"can't run policy '{policy.name}' from policy pack "
                         f"'{self._pack_name}@v{self._pack_version}' during preview: {e.message}"),
                urn="",
                description=policy.description,
                enforcementLevel=self._map_enforcement_level(EnforcementLevel.ADVISORY),
            ))
        except internals.NOT_APPLICABLE_ERROR as e:
            response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or ""))


def install() -> bool:
    """Make ``PolicyPack`` serve with :class:`Servicer`; False (and why, on stderr) if it cannot."""
    problems = internals.contract_problems()
    if problems or Servicer.__bases__ == (object,):
        print("maintenance-windows policy pack: this pulumi-policy's servicer is not the one expected; using it "
              "unchanged (same results, slower): " + "; ".join(problems or ["it cannot be subclassed"]),
              file=sys.stderr)
        return False
    internals.install_servicer(Servicer)
    return True
