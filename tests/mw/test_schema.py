"""`mw schema`: the JSON Schema of a stack file, checked with a real JSON Schema validator (jsonschema)."""

from __future__ import annotations

import ast
import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import ROOT, STACK_FILES, examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_robustness import _SEEDS, _as_stack, mutated, valid_configs

from mw.cli import main
from mw_config import parse
from mw_core.errors import ConfigError


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("schema") / "stack.schema.json"
    assert main(["schema", "--output", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema)


def errors(validator: jsonschema.Draft202012Validator, document: Any) -> list[str]:
    """Each error as ``config.<key>...: message``, down to where the value is (inside anyOf/oneOf), as an editor
    places it."""

    def leaves(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
        return [leaf for sub in error.context for leaf in leaves(sub)] if error.context else [error]

    return [".".join(map(str, e.absolute_path)) + ": " + e.message
            for error in validator.iter_errors(document) for e in leaves(error)]


def stack_file(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_it_is_a_draft_2020_12_schema(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_it_goes_to_standard_output_without_output(capsys, schema):
    assert main(["schema"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == schema
    assert err == ""


@pytest.mark.parametrize("path", STACK_FILES, ids=[p.name for p in STACK_FILES])
def test_the_repos_stack_files_are_valid(validator, path):
    assert errors(validator, stack_file(path)) == []


def prod() -> dict[str, Any]:
    return stack_file(ROOT / "Pulumi.prod.yaml")


def edited(edit: Any) -> dict[str, Any]:
    document = copy.deepcopy(prod())
    edit(document["config"])
    return document


def windows(config: dict[str, Any]) -> list[dict[str, Any]]:
    return config["maintenance-windows:windows"]


def task(config: dict[str, Any]) -> dict[str, Any]:
    return windows(config)[0]["tasks"][0]


W = "config.maintenance-windows:windows.0"
T = f"{W}.tasks.0"
BROKEN = [
    # (what is wrong, the edit, what the validator says there)
    ("a misspelt key of this project", lambda c: c.update({"maintenance-windows:windws": []}),
     "config: 'maintenance-windows:windws' is not one of ['maintenance-windows:allowWildcards'"),
    ("a misspelt window key", lambda c: windows(c)[0].update(schedul="x"),
     f"{W}: Additional properties are not allowed ('schedul' was unexpected)"),
    ("a window that lasts 25 hours", lambda c: windows(c)[0].update(duration=25),
     f"{W}.duration: 25 is greater than the maximum of 24"),
    ("a duration as text", lambda c: windows(c)[0].update(duration="3"), f"{W}.duration: '3' is not of type 'integer'"),
    ("a window without a name", lambda c: windows(c)[0].pop("name"), f"{W}: 'name' is a required property"),
    ("a window name with a space", lambda c: windows(c)[0].update(name="Patch me"),
     f"{W}.name: 'Patch me' does not match"),
    ("a task type AWS does not have", lambda c: task(c).update(type="SHELL"), f"{T}.type: 'RUN_COMMAND' was expected"),
    ("a Lambda key on a Run Command task", lambda c: task(c).update(payload="{}"),
     f"{T}: Additional properties are not allowed ('payload' was unexpected)"),
    ("a rate control of 150%", lambda c: task(c).update(maxConcurrency="150%"),
     f"{T}.maxConcurrency: '150%' does not match"),
    ("a cutoff behaviour AWS does not have", lambda c: task(c).update(cutoffBehavior="STOP"),
     f"{T}.cutoffBehavior: 'STOP' is not one of ['CONTINUE_TASK', 'CANCEL_TASK']"),
    ("a retention CloudWatch does not offer", lambda c: c["maintenance-windows:cloudWatchOutput"].update(
        retentionInDays=10), "config.maintenance-windows:cloudWatchOutput.retentionInDays: 10 is not one of [1, 3, 5"),
    ("a region AWS does not have", lambda c: c.update({"maintenance-windows:regions": ["mars-1"]}),
     "config.maintenance-windows:regions.0: 'mars-1' is not one of ['af-south-1'"),
    ("51 tags", lambda c: windows(c)[0].update(tags={f"k{i}": "v" for i in range(51)}),
     f"{W}.tags: {{'k0': 'v'"),
    ("a tag key of 129 characters", lambda c: windows(c)[0].update(tags={"k" * 129: "v"}), f"{W}.tags: 'kkk"),
    ("a tag value that is a number", lambda c: windows(c)[0].update(tags={"Env": 1}),
     f"{W}.tags.Env: 1 is not of type 'string'"),
    ("allowWildcards as yes", lambda c: c.update({"maintenance-windows:allowWildcards": "yes"}),
     "config.maintenance-windows:allowWildcards: 'yes' is not of type 'boolean', 'null'"),
    ("an unknown key of the service role", lambda c: c["maintenance-windows:serviceRole"].update(role="x"),
     "config.maintenance-windows:serviceRole: Additional properties are not allowed ('role' was unexpected)"),
]


@pytest.mark.parametrize(("what", "edit", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_copy_fails(validator, what, edit, expected):
    found = errors(validator, edited(edit))
    assert any(e.startswith(expected) for e in found), found


@pytest.mark.parametrize(("what", "document"), [
    ("a misspelt top-level key", {"configs": {}}),
    ("no config", {"secretsprovider": "passphrase"}),
    ("config that is a list", {"config": []}),
])
def test_a_broken_stack_file_fails(validator, what, document):
    assert errors(validator, document)


ALLOWED = [
    ("other namespaces, whatever their values", lambda c: c.update({"aws:profile": "ops", "other:thing": {"x": [1]}})),
    ("Pulumi's old <namespace>:config:<key> form", lambda c: c.update({"maintenance-windows:config:extra": 1})),
    ("null for a key that has a default", lambda c: windows(c)[0].update(cutoff=None, description=None)),
    ("rate control as YAML integers", lambda c: task(c).update(maxConcurrency=1, maxErrors=0)),
    ("a parameter that YAML reads as a number", lambda c: task(c)["parameters"].update(Version=2)),
    ("a task turning the stack's output off", lambda c: task(c).update(outputS3=False, notifications=False)),
]


@pytest.mark.parametrize(("what", "edit"), ALLOWED, ids=[a[0] for a in ALLOWED])
def test_what_the_program_takes_is_valid(validator, what, edit):
    document = edited(edit)
    assert errors(validator, document) == []


@settings(max_examples=examples(150), deadline=None, suppress_health_check=list(HealthCheck))
@given(config=valid_configs() | st.one_of(valid_configs(), st.sampled_from(_SEEDS)).flatmap(mutated))
def test_no_config_the_program_takes_is_flagged(validator, config):
    # An editor must never mark a stack file the program accepts: the schema may be looser, never stricter.
    try:
        parse(config)
    except ConfigError:
        return
    assert errors(validator, {"config": _as_stack(config)}) == []


@pytest.mark.parametrize(("name", "why"), [
    ("schema.yaml", "suffix '.yaml' is not supported; allowed: .json"),
    ("missing/schema.json", "cannot create a file in directory"),
    (".", "Is a directory"),
])
def test_an_output_that_cannot_be_written_is_a_users_mistake(capsys, tmp_path, name, why):
    target = tmp_path / name if name != "." else tmp_path
    if name == ".":
        target = tmp_path / "dir.json"
        target.mkdir()
    assert main(["schema", "--output", str(target)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"error: --output {str(target)!r}: ") and why in err, err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == (["dir.json"] if name == "." else [])


def test_the_output_replaces_a_file_whole(capsys, tmp_path, schema):
    target = tmp_path / "stack.schema.json"
    target.write_text("old", encoding="utf-8")
    assert main(["schema", "--output", str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == schema
    assert [p.name for p in tmp_path.iterdir()] == ["stack.schema.json"]
    assert capsys.readouterr().err == f"wrote {target}\n"


def test_mw_help_lists_schema_and_loads_no_config_layer():
    # The command modules are imported as modules (mw.cli), so each loads only what `mw --help` needs: the schema
    # command imports the models (pydantic, and Pulumi through the components) when it runs.
    script = ("import sys, mw.cli; print(sorted(mw.cli.COMMANDS)); mw.cli._parser(); "
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'mw_config', 'mw_components', "
              "'pulumi', 'jsonschema'}))")
    found = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert (found.returncode, found.stdout) == (0, "['mw.history', 'mw.plan', 'mw.schedule', 'mw.schema', 'mw.targets']\n[]\n"), (
        found.stderr)


def test_the_command_modules_are_imported_directly():
    tree = ast.parse((ROOT / "mw" / "cli.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module == "mw"
                for alias in node.names}
    assert {"plan", "schedule", "history", "schema"} <= imported
    assert not any(isinstance(node, ast.Import) and any(a.name == "importlib" for a in node.names)
                   for node in ast.walk(tree))
