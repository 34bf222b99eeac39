"""Stacks of the policy cases in the Analyzer protocol's wire form, as the engine sends them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from policy_cases.harness import StackBuilder, plain, urn


def struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(dict(values))
    return message


def stack_request(stack: StackBuilder) -> analyzer_pb2.AnalyzeStackRequest:
    resources = []
    for item in stack.items.values():
        parent = stack.items[item.parent] if item.parent else None
        resources.append(analyzer_pb2.AnalyzerResource(
            type=item.resource_type, urn=urn(item.resource_type, item.name), name=item.name,
            properties=struct(item.props),
            parent=urn(parent.resource_type, parent.name) if parent else "",
            dependencies=sorted({urn(stack.items[n].resource_type, n) for names in item.deps.values() for n in names}),
            provider=analyzer_pb2.AnalyzerProviderResource(
                type=item.provider.resource_type, urn=item.provider.urn, name=item.provider.name,
                properties=struct(plain(item.provider.props))) if item.provider is not None else None,
            propertyDependencies={
                key: analyzer_pb2.AnalyzerPropertyDependencies(urns=[urn(stack.items[n].resource_type, n) for n in names])
                for key, names in item.deps.items()
            },
        ))
    return analyzer_pb2.AnalyzeStackRequest(resources=resources)
