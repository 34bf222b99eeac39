"""`__main__.py` under the plainest Pulumi mocks, as a user's own unit tests would run it.

No engine stand-in: `pulumi.runtime.set_mocks` with mocks that answer every call with `{}` and every
resource with its inputs plus `arn` and `name`; config set the way the language host sets it (JSON text).
"""

from __future__ import annotations

import json
import runpy
from typing import Any

import pulumi
import pytest
from conftest import ROOT, STACKS, stack_config

from mw_config import parse_stack
from mw_core.errors import ConfigError


def placed_windows(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Each window of a stack's config once per account and region it is created in."""
    parsed = parse_stack(config)
    windows = {w["name"]: w for w in config.get("maintenance-windows:windows", [])}
    if not parsed.accounts:
        return [w for w in windows.values() for _ in parsed.regions or (None,)]
    return [windows[name] for account in parsed.accounts for name in account.windows for _ in account.regions]


class PlainMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        return f"{args.name}_id", {**args.inputs, "arn": f"{args.name}_arn", "name": args.name}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


def run_main(config: dict[str, Any], *, as_json: bool = True, mocks: PlainMocks | None = None) -> PlainMocks:
    mocks = mocks or PlainMocks()
    pulumi.runtime.set_mocks(mocks, project="maintenance-windows", stack="unit", preview=False)
    values = {k: (json.dumps(v) if as_json and not isinstance(v, str) else v) for k, v in config.items()}
    pulumi.runtime.set_all_config(values)
    try:
        pulumi.runtime.test(lambda: _run(ROOT / "__main__.py"))()
    finally:
        pulumi.runtime.set_all_config({})
    return mocks


def _run(path: Any) -> None:
    runpy.run_path(str(path), run_name="__main__")  # its globals are no Output to wait for


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("as_json", [True, False], ids=["json-text", "python-values"])
def test_every_stack_runs_under_plain_mocks(stack, as_json):
    config = stack_config(stack)
    mocks = run_main(config, as_json=as_json)
    windows = placed_windows(config)
    tasks = [r for r in mocks.resources if r.typ == "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"]
    assert len(tasks) == sum(len(w.get("tasks", [])) for w in windows)
    role = [r for r in mocks.resources if r.typ == "aws:iam/role:Role"]
    # No account from the caller-identity lookup: the trust policy still parses and trusts SSM.
    trust = json.loads(role[0].inputs["assumeRolePolicy"])
    assert "ssm.amazonaws.com" in trust["Statement"][0]["Principal"]["Service"]
    policy = next(r for r in mocks.resources if r.typ == "aws:iam/policy:Policy")
    assert json.loads(policy.inputs["policy"])["Statement"][0]["Resource"] == "service-role_arn"


def test_invalid_config_raises_with_the_message_and_registers_nothing():
    mocks = PlainMocks()
    with pytest.raises(pulumi.RunError) as caught:
        run_main({"maintenance-windows:windows": [{"name": "Nightly", "schedule": "rate(1 days)", "duration": 30}]},
                 mocks=mocks)
    assert isinstance(caught.value.__cause__, ConfigError)
    assert "windows[0].duration: 30 is out of range (allowed: 1 to 24)" in str(caught.value)
    assert "windows[0].schedule" in str(caught.value)
    assert mocks.resources == []
