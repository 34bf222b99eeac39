"""Reading stack files as the Pulumi CLI (Go, gopkg.in/yaml.v3) reads them: good files, and each bad one's message.

Where PyYAML (YAML 1.1) and yaml.v3 read a scalar differently, the tables give both, and the PyYAML
column is checked too, so every row is a real difference and not a guess.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from mw import cli
from mw_config import NAMESPACE, load_stack_file, stackfile
from mw_core.errors import ConfigError

NS = NAMESPACE
WINDOW = (f"  {NS}:windows:\n"
          "    - name: PatchWeb\n"
          "      schedule: cron(0 2 ? * * *)\n"
          "      duration: 3\n")
GOOD = "config:\n  aws:region: us-east-1\n" + WINDOW


def write(tmp_path: Path, text: str | bytes, stack: str = "x") -> Path:
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def load(tmp_path: Path, text: str | bytes) -> dict[str, Any]:
    return load_stack_file(write(tmp_path, text))


def error(tmp_path: Path, text: str | bytes) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_stack_file(path)
    message = str(caught.value)
    assert message.startswith(f"invalid stack file {path}: ")
    return message


def nested(tmp_path: Path, value: str) -> Any:
    """The value of ``value`` (YAML text) inside a config value, as the program would receive it."""
    return load(tmp_path, f"config:\n  {NS}:probe: {{v: {value}}}\n")[f"{NS}:probe"]["v"]


# ------------------------------------------------------------------------------------------------ good files


def test_the_repo_stacks_read_as_pyyaml_reads_them_except_top_level_scalars_are_text():
    for path in sorted(ROOT.glob("Pulumi.*.yaml")):
        expected = {key: value if isinstance(value, (dict, list)) else str(value)
                    for key, value in yaml.safe_load(path.read_text())["config"].items()}
        assert load_stack_file(path) == expected


def test_a_large_generated_stack_reads_back_unchanged(tmp_path):
    windows = [{"name": f"Patch-{i:04d}", "schedule": f"cron(0 {i % 24} ? * * *)", "duration": 3, "cutoff": 1,
                "enabled": i % 2 == 0, "description": None if i % 3 else f"window {i}",
                "targets": [{"name": "Web", "tags": {"Workload": f"app-{i:04d}", "Role": ["Web", "Db"]}}],
                "tasks": [{"name": "Scan", "type": "RUN_COMMAND", "document": "AWS-RunPatchBaseline",
                           "targets": ["Web"], "maxConcurrency": "10%", "maxErrors": 0, "priority": i}]}
               for i in range(300)]
    config = {"aws:region": "us-east-1", f"{NS}:windows": windows}
    assert load(tmp_path, yaml.safe_dump({"config": config})) == config


@pytest.mark.parametrize("header", [
    "secretsprovider: passphrase\n",
    "encryptedkey: AQICAHh...\n",
    "encryptionsalt: v1:AbCd:v1:EfGh:IjKl\n",
    "environment:\n  - my-org/shared\n",
    "environment:\n  imports: [my-org/shared]\n",
    "mainEnvironment: payments/dev@8\n",
])
def test_pulumis_own_top_level_keys_are_allowed(tmp_path, header):
    assert load(tmp_path, header + GOOD)[f"{NS}:windows"][0]["name"] == "PatchWeb"


@pytest.mark.parametrize("key", ["aws:profile", "pulumi:tags", "random:seed", "kubernetes:context", "mw:x",
                                 "maintenance:x", "patch-windows:x", "acme-maintenance-tool:x"])
def test_keys_of_other_namespaces_stay_allowed(tmp_path, key):
    assert load(tmp_path, GOOD + f"  {key}: value\n")[key] == "value"


def test_a_utf8_byte_order_mark_is_dropped_as_pulumi_does(tmp_path):
    assert load(tmp_path, b"\xef\xbb\xbf" + GOOD.encode())["aws:region"] == "us-east-1"


def test_utf16_with_its_mark_is_read_as_yaml_v3_reads_it(tmp_path):
    assert load(tmp_path, GOOD.encode("utf-16"))["aws:region"] == "us-east-1"


def test_the_old_namespace_config_name_form_is_read_as_namespace_name(tmp_path):
    # config.ParseKey: "<namespace>:config:<name>" is the same key as "<namespace>:<name>".
    config = load(tmp_path, GOOD.replace(f"{NS}:windows", f"{NS}:config:windows"))
    assert config[f"{NS}:windows"][0]["name"] == "PatchWeb"


def test_aliases_and_merge_keys_read_as_yaml_v3_reads_them(tmp_path):
    text = textwrap.dedent(f"""\
        config:
          acme:defaults: &defaults {{duration: 3, cutoff: 1}}
          {NS}:windows:
            - <<: *defaults
              name: First
              cutoff: 0
              targets: &web [{{name: Web, tags: {{Role: web}}}}]
            - <<: [{{duration: 4}}, *defaults]
              name: Second
              targets: *web
        """)
    windows = load(tmp_path, text)[f"{NS}:windows"]
    # The mapping's own keys win over merged ones; of several merged mappings, the first one wins.
    assert windows[0] == {"name": "First", "duration": 3, "cutoff": 0, "targets": [{"name": "Web",
                                                                                     "tags": {"Role": "web"}}]}
    assert windows[1] == {"name": "Second", "duration": 4, "cutoff": 1, "targets": windows[0]["targets"]}
    assert windows[1]["targets"] is not windows[0]["targets"]  # expanded, as yaml.v3 decodes each alias again


# ------------------------------------------------------------------------------------------------ scalars


# (plain scalar inside a config value, what yaml.v3 and so Pulumi's program gets, what PyYAML's safe_load gives)
SCALARS = [
    ("yes", "yes", True), ("No", "No", False), ("on", "on", True), ("OFF", "OFF", False),  # YAML 1.1 booleans
    ("y", "y", "y"), ("true", True, True), ("False", False, False),
    ("1:30", "1:30", 90), ("-1:30:00", "-1:30:00", -5400), ("1:30.5", "1:30.5", 90.5),  # sexagesimal
    ("0o17", 15, "0o17"), ("017", 15, 15), ("08", 8, "08"), ("0b101", 5, 5), ("-0x1F", -31, -31),  # octal & co
    ("1e3", 1000, "1e3"), ("1.5e3", 1500, "1.5e3"), ("1.5", 1.5, 1.5), (".5", 0.5, 0.5), ("+12", 12, 12),
    ("1_000", 1000, 1000), ("1__0", 10, 10), ("99999999999999999999", 10 ** 20, 99999999999999999999),
    ("18446744073709551615", 2 ** 64 - 1, 2 ** 64 - 1), ("1e400", "1e400", "1e400"),
    ("~", None, None), ("null", None, None), ("Null", None, None), ("nULL", "nULL", "nULL"),
    ("2026-02-30", "2026-02-30", "error"),  # no such day: text for yaml.v3, a ValueError for PyYAML
    ("2026-11-01 00:00:00 -5", "2026-11-01 00:00:00 -5", "timestamp"),  # a zone yaml.v3's layouts do not take
    ("'yes'", "yes", "yes"), ('"2026-11-01T00:00:00-05:00"', "2026-11-01T00:00:00-05:00", "2026-11-01T00:00:00-05:00"),
]


@pytest.mark.parametrize(("text", "expected", "pyyaml"), SCALARS)
def test_plain_scalars_resolve_as_yaml_v3_resolves_them(tmp_path, text, expected, pyyaml):
    value = nested(tmp_path, text)
    assert (value, type(value)) == (expected, type(expected))
    try:
        theirs: Any = yaml.safe_load(f"v: {text}")["v"]
    except ValueError:
        theirs = "error"
    if pyyaml == "timestamp":
        assert not isinstance(theirs, str)
    else:
        assert theirs == pyyaml


@pytest.mark.parametrize(("text", "expected"), [
    ("!!set {a, b}", {"a": None, "b": None}),  # yaml.v3 knows no sets: a mapping of nulls
    ("!!omap [{a: 1}, {b: 2}]", [{"a": 1}, {"b": 2}]),
    ("!!binary UGF0Y2g=", "Patch"),
    ("!!str 12", "12"),
    ("!!float 1", 1),  # 1.0 in Go, written as 1 in the JSON the program reads
    ("!!int '12'", 12),
    ("!!timestamp 2026-01-01", "2026-01-01"),  # outside this project's namespace
    ("!acme/local text", "text"),  # a local tag: yaml.v3 keeps the text
    ("! 12", 12),  # the non-specific tag on a plain scalar: yaml.v3 resolves it as untagged
    ("! '12'", "12"),
])
def test_tags_read_as_yaml_v3_reads_them(tmp_path, text, expected):
    config = load(tmp_path, f"config:\n  acme:probe: {{v: {text}}}\n")
    assert config["acme:probe"]["v"] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("{1: a, true: b, ~: c, 1.5: d, 1e6: e, 0.0001: f, 1e-5: g, 123456: h, 1234567.0: i, 0x10: j}",
     {"1": "a", "true": "b", "<nil>": "c", "1.5": "d", "1e+06": "e", "0.0001": "f", "1e-05": "g", "123456": "h",
      "1.234567e+06": "i", "16": "j"}),
    ("{yes: a, on: b}", {"yes": "a", "on": "b"}),  # PyYAML: {True: 'b'}, one key lost
])
def test_keys_of_nested_mappings_are_what_pulumi_prints(tmp_path, text, expected):
    # value.go interfaceMapToStringMap: fmt.Sprintf("%v", key) of the decoded key.
    assert load(tmp_path, f"config:\n  acme:probe: {text}\n")["acme:probe"] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("yes", "yes"), ("017", "017"), ("1e3", "1e3"), ("2026-11-01T00:00:00-05:00", "2026-11-01T00:00:00-05:00"),
    ("~", ""), ("", ""), ("'quoted'", "quoted"), ("!!binary aGk=", "hi"), ("|\n    two\n    lines", "two\nlines\n"),
])
def test_a_config_keys_own_scalar_value_is_its_text(tmp_path, text, expected):
    # value.go unmarshalValue: "First, try to unmarshal as a string": any scalar, as written (null is "").
    assert load(tmp_path, f"config:\n  acme:probe: {text}\n")["acme:probe"] == expected


# ------------------------------------------------------------------------------------------------ bad files


@pytest.mark.parametrize(("data", "expected"), [
    (b"config:\n  aws:region: us-east-1\n  acme:owner: Caf\xe9\n", "line 3, column 18: byte 0xE9 is not UTF-8"),
    (b"config:\n  acme:\xff\xfeowner: x\n", "line 2, column 8: byte 0xFF is not UTF-8"),
    (b"\xe9config:\n", "line 1, column 1: byte 0xE9 is not UTF-8"),
    ("config:\n  acme:owner: Café\n".encode("latin-1"), "line 2, column 18: byte 0xE9 is not UTF-8"),
    ("config:\n  acme:owner: Жени\n  acme:x: \x81".encode() .replace(b"\xc2\x81", b"\x81"),
     "line 3, column 11: byte 0x81 is not UTF-8"),
])
def test_bytes_that_are_not_utf8_are_named_with_their_place(tmp_path, data, expected):
    assert f": 1 problem\n  - {expected}" in error(tmp_path, data)


@pytest.mark.parametrize(("text", "expected"), [
    ("config:\n  acme:a: {b: [}\n", "line 2, column 16: not valid YAML: did not find expected node content "
                                    "(while parsing a flow node)"),
    ("config:\n  acme:a: [b\n", "line 3, column 1: not valid YAML: did not find expected ',' or ']' "
                               "(while parsing a flow sequence at line 2, column 11)"),
    ("config:\n\tacme:a: 1\n", "line 2, column 1: not valid YAML: found character that cannot start any token"),
    ("config:\n  acme:a: b\n   c: d\n", "line 3, column 5: not valid YAML: mapping values are not allowed"),
    ("config:\n  acme:a: \"open\n", "line 3, column 1: not valid YAML: found unexpected end of stream "
                                   "(while scanning a quoted scalar at line 2, column 11)"),
    ("config:\n  é: x\n  acme:a: \x01\n", "line 3, column 11: character U+0001 is not allowed in YAML"),
    ("config:\n  acme:a: *nowhere\n", "line 2, column 11: unknown anchor 'nowhere' referenced"),
])
def test_yaml_errors_name_the_file_line_and_column(tmp_path, text, expected):
    message = error(tmp_path, text)
    assert expected in message
    assert "<unicode string>" not in message


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing here\n# at all\n", "---\n", "--- # comment\n...\n", "~\n"])
def test_an_empty_file_or_comments_only_is_an_error(tmp_path, text):
    message = error(tmp_path, text)
    assert "the stack file is empty (or holds only comments): it has no `config:`" in message
    assert "Pulumi accepts a stack without config, but mw would then plan, schedule and look up nothing" in message


@pytest.mark.parametrize(("text", "expected"), [
    ("secretsprovider: passphrase\n", "line 1, column 1: the stack file has no `config:`"),
    ("config:\n", "config (line 1, column 8): `config:` is empty"),
    ("config: {}\n", "config (line 1, column 9): `config:` is empty"),
    ("config: ~\n# the rest was deleted\n", "config (line 1, column 9): `config:` is empty"),
    ("config: [1]\n", "config (line 1, column 9): expected a mapping, got a list of 1"),
    ("config: us-east-1\n", "config (line 1, column 9): expected a mapping, got 'us-east-1'"),
    ("- config\n", "line 1, column 1: expected a mapping with a 'config' key, got a list of 1"),
    ("just text\n", "line 1, column 1: expected a mapping with a 'config' key, got 'just text'"),
])
def test_a_file_without_config_is_an_error(tmp_path, text, expected):
    assert expected in error(tmp_path, text)


@pytest.mark.parametrize(("key", "hint"), [
    ("configs", "did you mean 'config'?"), ("Config", "did you mean 'config'?"), ("conifg", "did you mean 'config'?"),
    ("secretprovider", "did you mean 'secretsprovider'?"), ("encryption-salt", "did you mean 'encryptionsalt'?"),
    ("environments", "did you mean 'environment'?"), ("windows", ""),
])
def test_unknown_top_level_keys_are_errors_with_did_you_mean(tmp_path, key, hint):
    message = error(tmp_path, GOOD + f"{key}:\n  {NS}:windows: []\n")
    assert f"  - {key} (line 7, column 1): unknown top-level key ({hint}" in message
    assert "a stack file has config, secretsprovider, encryptedkey, encryptionsalt, environment, mainEnvironment" \
        in message


def test_a_misspelt_config_key_without_config_says_both(tmp_path):
    message = error(tmp_path, f"configs:\n  {NS}:windows: []\n")
    assert "configs (line 1, column 1): unknown top-level key (did you mean 'config'?" in message
    assert "line 1, column 1: the stack file has no `config:`" in message


@pytest.mark.parametrize("namespace", ["maintenance-window", "maintenance_windows", "maintenancewindows",
                                       "Maintenance-Windows", "MAINTENANCE_WINDOWS", "maintenance-windowz",
                                       "mainetnance-windows", "maintenance-windows-old"])
def test_a_namespace_close_to_the_projects_is_an_error_with_did_you_mean(tmp_path, namespace):
    message = error(tmp_path, GOOD.replace(f"{NS}:windows", f"{namespace}:windows"))
    assert (f"config.{namespace}:windows (line 3, column 3): namespace {namespace!r} is not this project's: "
            f"did you mean '{NS}:windows'?") in message
    assert stackfile.namespace_problems([f"{namespace}:windows", "aws:region"], NS)[0].path == f"{namespace}:windows"


@pytest.mark.parametrize(("text", "expected"), [
    ("  region: us-east-1\n", "config.region (line 7, column 3): 'region' is not a config key: Pulumi takes "
                              "<namespace>:<name>"),
    ("  acme:a:b: 1\n", "config.acme:a:b (line 7, column 3): 'acme:a:b' is not a config key"),
    ("  :windows: 1\n", "config.:windows (line 7, column 3): ':windows' is not a config key"),
    ("  ~: 1\n", "config (line 7, column 3): a key must be a text, got null"),
    ("  [a, b]: 1\n", "config (line 7, column 3): a key must be a text, got a list of 2"),
])
def test_config_keys_must_be_namespace_colon_name(tmp_path, text, expected):
    assert expected in error(tmp_path, GOOD + text)


def test_unquoted_timestamps_in_this_projects_values_are_errors(tmp_path):
    message = error(tmp_path, GOOD + "      startDate: 2026-11-01T00:00:00-05:00\n"
                                     "      endDate: 2027-01-01\n")
    assert ("windows[0].startDate (line 7, column 18): '2026-11-01T00:00:00-05:00' is an unquoted YAML timestamp: "
            "Pulumi reads it as a time and hands the program a reformatted text") in message
    assert "quote it: '2026-11-01T00:00:00-05:00'" in message
    assert "windows[0].endDate (line 8, column 16): '2027-01-01' is an unquoted YAML timestamp" in message


def test_quoted_timestamps_and_other_namespaces_timestamps_are_text(tmp_path):
    config = load(tmp_path, GOOD + "      startDate: '2026-11-01T00:00:00-05:00'\n"
                                   "  acme:since: {at: 2026-01-01}\n")
    assert config[f"{NS}:windows"][0]["startDate"] == "2026-11-01T00:00:00-05:00"
    assert config["acme:since"] == {"at": "2026-01-01"}


@pytest.mark.parametrize(("value", "expected"), [
    (".nan", "v (line 2, column "), ("-.inf", "v (line 2, column "),
    ("!!binary 'not base64!'", "!!binary value contains invalid base64 data"),
    ("!!int twelve", "cannot decode !!str `twelve` as a !!int"),
    ("!!bool yes", "cannot decode !!str `yes` as a !!bool"),
])
def test_values_pulumi_cannot_decode_or_pass_on_are_errors(tmp_path, value, expected):
    assert expected in error(tmp_path, f"config:\n  {NS}:probe: {{v: {value}}}\n")


@pytest.mark.parametrize(("text", "expected"), [
    # The case: a second key drops every window.
    (GOOD + f"  {NS}:windows: []\n",
     f"windows (line 7, column 3): duplicate key '{NS}:windows': it is already at line 3"),
    (GOOD + "      duration: 4\n", "windows[0].duration (line 7, column 7): duplicate key 'duration': it is already "
                                    "at line 6"),
    (GOOD + "config:\n  aws:region: eu-west-1\n", "config (line 7, column 1): duplicate key 'config': it is "
                                                  "already at line 1"),
    (GOOD + "  'aws:region': eu-west-1\n", "config.aws:region (line 7, column 3): duplicate key 'aws:region'"),
    # Different text, the same key once read: Pulumi would keep one of them, which one is not defined.
    (GOOD + f"  {NS}:config:windows: []\n", f"windows (line 7, column 3): '{NS}:config:windows' is the same key as "
                                            f"'{NS}:windows' (line 3) once read"),
    (GOOD + "      tags: {1: a, 01: b}\n", "windows[0].tags.1 (line 7, column 20): '01' is the same key as '1' "
                                           "(line 7) once read: both are '1'"),
])
def test_duplicate_keys_are_errors_naming_both_lines(tmp_path, text, expected):
    assert expected in error(tmp_path, text)


def test_a_second_document_is_an_error(tmp_path):
    message = error(tmp_path, GOOD + "---\nconfig:\n  aws:region: eu-west-1\n")
    assert "line 7, column 1: a second YAML document: Pulumi reads only the first one" in message


def test_a_directory_is_not_a_stack_file(tmp_path):
    (tmp_path / "Pulumi.x.yaml").mkdir()
    with pytest.raises(ConfigError, match="cannot read it: Is a directory"):
        load_stack_file(tmp_path / "Pulumi.x.yaml")


# ------------------------------------------------------------------------------------------------ limits


def bomb(levels: int, width: int) -> str:
    """A billion-laughs stack file: ``width`` ** ``levels`` strings from a few hundred bytes."""
    lines = ["config:", f"  a:l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"  a:l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    lines.append(f"  {NS}:windows: *l{levels - 1}")
    return "\n".join(lines) + "\n"


def run_bounded(path: Path) -> str:
    """``load`` in a child process with 512 MB of address space and a generous timeout: a blow-up fails the test."""
    code = textwrap.dedent(f"""\
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (512 * 2**20, 512 * 2**20))
        from pathlib import Path
        from mw_core.errors import ConfigError
        from mw_config.stackfile import load
        try:
            load(Path({str(path)!r}), {NS!r})
        except ConfigError as err:
            print(err)
        """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(("levels", "width"), [(9, 9), (10, 10), (30, 2)])
def test_alias_bombs_stop_at_yaml_v3s_limit(tmp_path, levels, width):
    message = run_bounded(write(tmp_path, bomb(levels, width)))
    assert "document contains excessive aliasing" in message
    assert "past the limit Pulumi's YAML reader (yaml.v3) sets against alias bombs" in message


@pytest.mark.parametrize(("aliases", "loads"), [(150, True), (250, False)])
def test_the_alias_limit_is_yaml_v3s_ratio(tmp_path, aliases, loads):
    # One anchor of 201 nodes, reached `aliases` times: 201/202 of all decodes come from aliases at most,
    # so yaml.v3's 99% is passed near 196 aliases (decode.go allowedAliasRatio).
    text = (f"config:\n  acme:names: &names [{', '.join(f'n{i}' for i in range(200))}]\n"
            f"  acme:copies: [{', '.join(['*names'] * aliases)}]\n")
    if loads:
        assert len(load(tmp_path, text)["acme:copies"]) == aliases
    else:
        assert "document contains excessive aliasing" in error(tmp_path, text)


@pytest.mark.parametrize(("decoded", "ratio"), [(0, 0.99), (400_000, 0.99), (2_200_000, 0.545), (4_000_000, 0.10),
                                                (10 ** 9, 0.10)])
def test_allowed_alias_ratio_is_yaml_v3s(decoded, ratio):
    assert stackfile.allowed_alias_ratio(decoded) == pytest.approx(ratio)


@pytest.mark.parametrize("text", [
    "config:\n  acme:deep: " + "[" * 600 + "]" * 600 + "\n",
    "config:\n  acme:deep:\n" + "".join("  " * (depth + 2) + "- \n" for depth in range(600)),
    "config:\n  acme:deep: " + "{a: " * 600 + "}" * 600 + "\n",
    "config:\n  acme:deep: " + "[" * 200_000 + "]" * 200_000 + "\n",
])
def test_deep_nesting_stops_at_the_depth_limit(tmp_path, text):
    message = run_bounded(write(tmp_path, text))
    assert ("collections nest deeper than 100 levels" in message
            or "not valid YAML: exceeded maximum nesting depth" in message)  # libyaml's own flow limit


@pytest.mark.parametrize(("depth", "loads"), [(stackfile.MAX_DEPTH - 2, True), (stackfile.MAX_DEPTH - 1, False)])
def test_the_depth_limit_counts_the_files_own_mapping_and_config(tmp_path, depth, loads):
    value = "[" * depth + "]" * depth
    for text in (f"config:\n  acme:deep: {value}\n",
                 f"config:\n  acme:a: &deep {value[1:-1]}\n  acme:deep: [*deep]\n"):  # through an alias too
        if loads:
            assert load(tmp_path, text)["acme:deep"] is not None
        else:
            assert "collections nest deeper than 100 levels" in error(tmp_path, text)


def test_an_anchor_inside_itself_is_an_error(tmp_path):
    assert "anchor 'a' value contains itself" in error(tmp_path, "config:\n  acme:a: &a [1, *a]\n")


# ------------------------------------------------------------------------------------------------ the mw command


def project(tmp_path: Path, stacks: dict[str, str | bytes]) -> Path:
    """A project with the real program and one ``Pulumi.<stack>.yaml`` per entry."""
    for name in ("__main__.py", "Pulumi.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for stack, text in stacks.items():
        write(tmp_path, text, stack)
    return tmp_path


def mw(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


COMMANDS = {
    "plan": ["plan", "--no-policy"],
    "schedule": ["schedule", "--from", "2026-11-22T12:00:00Z"],
    "history": ["history", "--region", "us-east-1", "--timeout", "2"],
}
BAD_FILES = {
    # issue 12, item 1
    "not-utf8": (b"config:\n  aws:region: us-east-1\n" + WINDOW.encode() + b"      description: Caf\xe9\n",
                 "line 7, column 23: byte 0xE9 is not UTF-8 text"),
    # item 2
    "near-namespace": (GOOD.replace(f"{NS}:windows", "maintenance-window:windows"),
                       f"did you mean '{NS}:windows'?"),
    "configs": (GOOD.replace("config:", "configs:"), "unknown top-level key (did you mean 'config'?"),
    "empty": ("", "the stack file is empty (or holds only comments)"),
    "comments": ("# config:\n#   aws:region: us-east-1\n", "the stack file is empty (or holds only comments)"),
    # item 3
    "syntax": (GOOD + "      tags: {Env: [prod}\n", "line 7, column 24: not valid YAML"),
    # item 12
    "timestamp": (GOOD + "      startDate: 2026-11-01T00:00:00-05:00\n",
                  "windows[0].startDate (line 7, column 18): '2026-11-01T00:00:00-05:00' is an unquoted YAML "
                  "timestamp"),
    "duplicate": (GOOD + f"  {NS}:windows: []\n", f"duplicate key '{NS}:windows': it is already at line 3"),
    "alias-bomb": (bomb(9, 9), "document contains excessive aliasing"),
    "deep": ("config:\n  acme:deep: " + "[" * 600 + "]" * 600 + "\n" + WINDOW, "collections nest deeper than 100"),
}


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials and no metadata service: a run that wrongly got as far as AWS fails fast, offline."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")


# Cases that, read without limits, take minutes and gigabytes: run in a child process, bounded.
BOUNDED = {"alias-bomb", "deep"}


def mw_bounded(*argv: str) -> tuple[int, str, str]:
    """``mw`` in a child process with 1 GB of address space and a generous timeout: a blow-up fails the test."""
    code = ("import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))\n"
            "from mw import cli\n"
            "sys.exit(cli.main(sys.argv[1:]))\n")
    done = subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("command", COMMANDS)
# The alias bombs and deep nesting take the reader to its limits (about 0.7 s a command): CI runs them with the rest.
@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.slow) if c.startswith(("alias-bomb", "deep"))
                                  else c for c in BAD_FILES])
def test_mw_commands_exit_2_naming_the_file_and_the_place(tmp_path, capsys, no_aws, command, case):
    text, expected = BAD_FILES[case]
    root = project(tmp_path, {"bad": text})
    argv = (*COMMANDS[command], "--stack", "bad", "--project-dir", str(root))
    code, out, err = mw_bounded(*argv) if case in BOUNDED else mw(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: invalid stack file {root / 'Pulumi.bad.yaml'}: ")
    assert expected in err
    assert "Traceback" not in err


def test_mw_schedule_all_stops_at_the_bad_file_among_good_ones(tmp_path, capsys):
    root = project(tmp_path, {"a-good": GOOD, "bad": BAD_FILES["not-utf8"][0], "z-good": GOOD})
    code, out, err = mw(capsys, *COMMANDS["schedule"], "--stack", "all", "--project-dir", str(root))
    assert (code, out) == (2, "")
    assert err == (f"error: invalid stack file {root / 'Pulumi.bad.yaml'}: 1 problem\n"
                   "  - line 7, column 23: byte 0xE9 is not UTF-8 text: Pulumi reads stack files as UTF-8 (save the "
                   "file as UTF-8)\n")


TRICKY = (GOOD + "      description: !!binary UGF0Y2ggdGhlIHdlYiBzZXJ2ZXJz\n"
                 "      startDate: '2026-11-01T00:00:00-05:00'\n"
                 "      tags: {Env: yes, Owner: on}\n"
                 "  acme:regions: !!set {us-east-1, eu-west-1}\n"
                 "  acme:since: {at: 2026-01-01T00:00:00Z}\n")


def test_tags_sets_binary_and_yaml_11_words_plan_and_schedule(tmp_path, capsys):
    root = project(tmp_path, {"tricky": TRICKY})
    code, out, err = mw(capsys, *COMMANDS["plan"], "--stack", "tricky", "--project-dir", str(root), "--json")
    assert (code, err) == (0, "")
    (window,) = [r for r in json.loads(out)["resources"] if r["type"] == "aws:ssm/maintenanceWindow:MaintenanceWindow"]
    assert window["inputs"]["description"] == "Patch the web servers"
    assert window["inputs"]["tags"] == {"Env": "yes", "Owner": "on"}  # text, as Pulumi hands them on
    code, out, err = mw(capsys, *COMMANDS["schedule"], "--stack", "tricky", "--project-dir", str(root))
    assert (code, err) == (0, "")
    assert "PatchWeb" in out


def test_tags_sets_binary_and_yaml_11_words_for_history(tmp_path):
    from mw.history import stack_windows

    root = project(tmp_path, {"tricky": TRICKY})
    assert stack_windows("tricky", root) == (["PatchWeb"], ["us-east-1"])


# ------------------------------------------------------------------------------------------------ under `pulumi up`


def test_pulumi_up_fails_on_a_near_namespace_before_registering_anything(mocks):
    import pulumi

    from mw_program import program

    pulumi.runtime.set_all_config({"aws:region": "us-east-1", "maintenance-window:windows": "[]"})
    with pytest.raises(ConfigError) as caught:
        pulumi.runtime.test(program.main)()
    assert str(caught.value) == (
        "invalid config of stack 'test': 1 problem\n"
        "  - maintenance-window:windows: namespace 'maintenance-window' is not this project's: did you mean "
        f"'{NS}:windows'? (the program reads only {NS}:* keys, so this one would be ignored; keys of other "
        "namespaces, such as aws:region, stay allowed)")
    assert mocks.resources == []


def test_pulumi_up_reads_keys_from_the_environment_too(mocks, monkeypatch):
    import pulumi

    from mw_program import program

    pulumi.runtime.set_all_config({})
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"maintenance_windows:windows": "[]", "aws:region": "x"}))
    with pytest.raises(ConfigError, match=f"did you mean '{NS}:windows'"):
        program.read_config()


def test_the_offline_engine_stops_the_program_too():
    from mw_engine.engine import run_program

    with pytest.raises(ConfigError, match=f"maintenance-window:passRole: namespace 'maintenance-window' .* did you "
                                          f"mean '{NS}:passRole'"):
        run_program(ROOT, project=NS, stack="dev", config={"aws:region": "us-east-1",
                                                            "maintenance-window:passRole": {"groups": ["Ops"]}})


@pytest.mark.parametrize(("candidate", "near"), [
    ("maintenance-window", True), ("maintenance_windows", True), ("MaintenanceWindows", True),
    ("maintenance-windows", False), ("aws", False), ("pulumi", False), ("random", False), ("maintenance", False),
    ("windows", False), ("patch-windows", False),
])
def test_is_near_namespace(candidate, near):
    assert stackfile.is_near_namespace(candidate, NS) is near
