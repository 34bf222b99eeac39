"""The documentation stays true to the code: README.md, docs/*.md and the pack's policies/README.md.

Links and anchors resolve; every `mw` and `make` command shown is one the parser and the Makefile accept; every
file and Python name the prose mentions exists; the JSON fields, stack outputs, rule and setting tables and
performance figures are the ones the code produces.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import re
import shlex
from pathlib import Path
from typing import Any

import mw_policies
import pytest
from conftest import ROOT, STACKS, deploy

from benchmarks import bench
from mw import plan as planning
from mw.cli import _parser, main
from mw_config import load_stack_file
from mw_engine.engine import run_program

DOCS = sorted((ROOT / "docs").glob("*.md"))
MARKDOWN = [ROOT / "README.md", *DOCS]
PACK_README = ROOT / "policies" / "README.md"


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------------ markdown

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def prose(text: str) -> str:
    """``text`` without its fenced code blocks (examples, not documentation)."""
    return FENCE.sub("", text)


def blocks(text: str, info: str) -> list[str]:
    """The bodies of the fenced blocks whose info string is ``info`` (``sh``, ``python``)."""
    return [body for lang, body in FENCE.findall(text) if lang.strip() == info]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but ``-`` and ``_`` dropped, spaces to ``-``."""
    text = re.sub(r"[`*]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading's anchor in ``text``; a repeated heading gets ``-1``, ``-2``, ... as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for line in prose(text).splitlines():
        heading = re.match(r"#{1,6} (.+)", line)
        if heading:
            base = slug(heading.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(text: str) -> list[str]:
    """The targets of every inline link ``[text](target)`` outside code."""
    text = re.sub(r"`[^`\n]*`", "", prose(text))
    return re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", text)


def relative_links() -> list[tuple[Path, str]]:
    return sorted({(path, target) for path in MARKDOWN for target in links(read(path))
                   if not re.match(r"[a-z][a-z0-9+.-]*:", target)})


def link_problem(source: Path, target: str) -> str | None:
    """What is wrong with the relative link ``target`` in ``source``, or None."""
    file_part, _, anchor = target.partition("#")
    path = (source.parent / file_part).resolve() if file_part else source
    if not path.exists():
        return f"{file_part}: no such file"
    if anchor and path.suffix == ".md" and anchor not in anchors(read(path)):
        return f"#{anchor}: no such heading in {path.relative_to(ROOT)} (headings: {sorted(anchors(read(path)))})"
    return None


def test_the_slugs_are_githubs():
    assert slug("Reviewing what ran: `mw history`") == "reviewing-what-ran-mw-history"
    assert slug("`maintenance-windows:allowWildcards`") == "maintenance-windowsallowwildcards"
    assert slug("Protect, not retainOnDelete") == "protect-not-retainondelete"
    assert anchors("# A\n## A\n```sh\n# not a heading\n```\n") == {"a", "a-1"}


@pytest.mark.parametrize(("source", "target"), relative_links(),
                         ids=[f"{rel(s)}->{t}" for s, t in relative_links()])
def test_every_relative_link_points_to_a_file_and_heading_that_exist(source, target):
    assert link_problem(source, target) is None, f"{rel(source)}: {link_problem(source, target)}"


def test_the_link_check_sees_a_missing_file_and_a_missing_heading():
    readme = ROOT / "README.md"
    assert link_problem(readme, "docs/config.md") is None
    assert link_problem(readme, "docs/nothing.md") == "docs/nothing.md: no such file"
    assert link_problem(readme, "policies/README.md#no-such-part").startswith("#no-such-part: no such heading")
    assert link_problem(readme, "#quick-start") is None


def test_the_pack_readme_links_only_inside_itself_or_to_the_web():
    """It ships alone in dist/policy-pack (tools/build_pack.py): a link to the project's files would break there."""
    for target in links(read(PACK_README)):
        assert target.startswith(("#", "https://")), target
        if target.startswith("#"):
            assert target[1:] in anchors(read(PACK_README)), target


# ------------------------------------------------------------------------------------------------ commands


def words_of(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError:  # not shell as written (an unmatched quote): its words all the same, for the checks
        return line.split("#")[0].split()


def shell_commands(text: str) -> list[list[str]]:
    """Each simple command of the ``sh`` blocks, as its words, comments removed and leading ``VAR=value`` dropped."""
    commands = []
    for body in blocks(text, "sh"):
        for line in body.replace("\\\n", " ").splitlines():
            words = words_of(line)
            current: list[str] = []
            for word in [*words, ";"]:
                if word in ("&&", "||", ";", "|"):
                    while current and re.fullmatch(r"[A-Z_]+=.*", current[0]):
                        current.pop(0)
                    if current:
                        commands.append(current)
                    current = []
                else:
                    current.append(word)
    return commands


def mw_problem(argv: list[str]) -> str | None:
    """What ``mw``'s parser says about ``argv``, or None when it accepts it."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            _parser().parse_args(argv)
        except SystemExit as stop:
            return err.getvalue().strip() or f"exit {stop.code}"
    return None


def make_targets() -> set[str]:
    targets = set()
    for line in read(ROOT / "Makefile").splitlines():
        rule = re.match(r"([A-Za-z][\w.-]*(?: +[A-Za-z][\w.-]*)*) *:(?!=)", line)
        if rule:
            targets.update(rule.group(1).split())
    return targets


def make_problem(argv: list[str]) -> str | None:
    unknown = [word for word in argv if "=" not in word and not word.startswith("-") and word not in make_targets()]
    return f"no such make target: {', '.join(unknown)}" if unknown else None


def shown_commands() -> list[tuple[Path, list[str]]]:
    return [(path, words) for path in MARKDOWN for words in shell_commands(read(path))
            if words[0] in ("mw", ".venv/bin/mw", "make")]


@pytest.mark.parametrize(("source", "words"), shown_commands(),
                         ids=[f"{rel(s)}:{shlex.join(w)}" for s, w in shown_commands()])
def test_every_mw_and_make_command_shown_is_one_they_accept(source, words):
    problem = make_problem(words[1:]) if words[0] == "make" else mw_problem(words[1:])
    assert problem is None, f"{rel(source)}: `{shlex.join(words)}`: {problem}"


def test_the_command_check_sees_a_wrong_flag_subcommand_and_target():
    assert shell_commands("```sh\nA=1 make plan STACK=prod  # x\nmkdir -p d && .venv/bin/mw schema \\\n  --output x.json\n"
                          "```\n") == [["make", "plan", "STACK=prod"], ["mkdir", "-p", "d"],
                                      [".venv/bin/mw", "schema", "--output", "x.json"]]
    assert mw_problem(["plan", "--stack", "prod", "--json"]) is None
    assert "unrecognized arguments: --stacks" in mw_problem(["plan", "--stacks", "prod"])
    assert "invalid choice: 'plans'" in mw_problem(["plans"])
    assert make_problem(["plan", "STACK=prod"]) is None
    assert make_problem(["deploy"]) == "no such make target: deploy"


@pytest.mark.parametrize("path", MARKDOWN, ids=rel)
def test_bare_mw_is_shown_only_once_the_reader_has_activated_the_venv(path):
    """The issue's first complaint: `mw ...` shown before the README said how to get `mw` on PATH."""
    assert bare_mw_before_activation(read(path)) == [], rel(path)


def bare_mw_before_activation(text: str) -> list[str]:
    """The ``mw ...`` lines of ``sh`` blocks that come before any ``. .venv/bin/activate`` (a line or in prose)."""
    activation = re.search(r"^\. \.venv/bin/activate$|`\. \.venv/bin/activate`", text, re.MULTILINE)
    early = []
    for block in FENCE.finditer(text):
        if block.group(1).strip() != "sh":
            continue
        for line in re.finditer(r"^.+$", block.group(2), re.MULTILINE):
            words = words_of(line.group())
            if words[:1] == ["mw"] and (activation is None or activation.start() > block.start(2) + line.start()):
                early.append(line.group())
    return early


def test_the_activation_check_sees_mw_before_activate():
    assert bare_mw_before_activation("```sh\nmw plan\n. .venv/bin/activate\nmw plan --json\n```\n") == ["mw plan"]
    assert bare_mw_before_activation("Run `. .venv/bin/activate` first.\n```sh\nmw plan\n```\n") == []
    assert bare_mw_before_activation("```sh\n.venv/bin/mw plan\n```\n") == []


# ------------------------------------------------------------------------------------------------ names


GENERATED = {"dist", ".venv", "venv", ".vscode"}  # made by make, the Pulumi CLI or the reader: not in a clone
FILE_NAME = re.compile(r"[\w.-]+(?:/[\w.-]+)*/?")
EXTENSIONS = (".py", ".md", ".json", ".toml", ".yaml", ".lock", ".txt")
PLACES = (ROOT, ROOT / "policies", ROOT / "policies" / "mw_policies", ROOT / "policies" / "config")


def mentioned_files(text: str) -> set[str]:
    """Backticked repository paths: ``tests/test_attacks.py``, ``mw_policies/_props.py``, ``uv.lock``."""
    found = set()
    for span in re.findall(r"`([^`\n]+)`", prose(text)):
        if not FILE_NAME.fullmatch(span):
            continue
        parts = span.split("/")
        in_repository = not GENERATED & set(parts) and any((place / parts[0]).exists() for place in PLACES)
        if in_repository if "/" in span else span.endswith(EXTENSIONS) and span[0].isalnum():
            found.add(span)
    return found


def file_problem(span: str) -> str | None:
    if any((place / span.rstrip("/")).exists() for place in PLACES):
        return None
    return f"`{span}`: no such file or folder in {', '.join(rel(p) or '.' for p in PLACES)}"


PACKAGES = ("mw_core", "mw_policies", "mw_config", "mw_engine", "mw_program", "mw_components", "mw", "pulumi",
            "pulumi_policy")
# The pack README names its own modules and core's limits without the package: `_props.props`, `limits.X`.
SHORT = {"limits": "mw_core.limits", "arns": "mw_core.arns",
         **{name: f"mw_policies.{name}" for name in ("_iam", "_props", "_servicer", "_typed", "_account", "_stack",
                                                     "_pulumi_policy")}}


def mentioned_names(text: str) -> set[str]:
    """Backticked dotted Python names of this project and of pulumi: ``mw_core.schedule.iter_openings``."""
    found = set()
    for span in re.findall(r"`([^`\n]+)`", prose(text)):
        name = span.removesuffix("()")
        if re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", name) and name.split(".")[0] in (*PACKAGES, *SHORT) \
                and not name.endswith((".py", ".md", ".json", ".yaml", ".toml", ".txt")):
            found.add(name)
    return found


def name_problem(name: str) -> str | None:
    first, _, rest = name.partition(".")
    parts = [*SHORT.get(first, first).split("."), *rest.split(".")]
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(found, attribute):
                return f"`{name}`: {'.'.join(parts[:cut])} has no {'.'.join(parts[cut:])}"
            found = getattr(found, attribute)
        return None
    return f"`{name}`: no such module"


def named_things() -> list[tuple[Path, str]]:
    return sorted({(path, name) for path in [*MARKDOWN, PACK_README]
                   for name in mentioned_files(read(path)) | mentioned_names(read(path))})


@pytest.mark.parametrize(("source", "name"), named_things(), ids=[f"{rel(s)}:{n}" for s, n in named_things()])
def test_every_file_and_python_name_the_docs_mention_exists(source, name):
    problem = file_problem(name) if name in mentioned_files(read(source)) else name_problem(name)
    assert problem is None, f"{rel(source)}: {problem}"


def test_the_name_check_sees_what_does_not_exist():
    assert mentioned_files("`tests/test_attacks.py`, `dist/policy-pack`, `policies/venv`, `America/New_York`, `uv.lock`, `.json`, "
                           "`Pulumi.<stack>.yaml`\n```sh\n`tests/nowhere.py`\n```\n") == {"tests/test_attacks.py",
                                                                                          "uv.lock"}
    assert file_problem("tests/test_attacks.py") is None
    assert file_problem("tests/test_nowhere.py") is not None
    assert mentioned_names("`mw_core.schedule.parse`, `_props.props`, `pulumi.Output`, `args.provider`, "
                           "`serviceRole.arn`") == {"mw_core.schedule.parse", "_props.props", "pulumi.Output"}
    assert name_problem("mw_core.schedule.iter_openings") is None
    assert name_problem("_servicer.struct_to_python") is None
    assert name_problem("mw_core.schedule.no_such_thing") == "`mw_core.schedule.no_such_thing`: mw_core.schedule " \
                                                             "has no no_such_thing"


# ------------------------------------------------------------------------------------------------ JSON fields


def shape(text: str) -> Any:
    """The key structure of a documented JSON object: ``{"a", "b": [{"c"}], "d": {rule: {"e"}}}``.

    A dict maps each documented key to the shape of its value (None: not detailed); ``{"*": ...}`` is a
    mapping whose keys are data (an unquoted placeholder such as ``rule``); ``[shape]`` a list."""
    tokens = re.findall(r'"[^"]*"|[{}\[\]:,]|[A-Za-z_.]+', text)
    position = 0

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def value() -> Any:
        token = take()
        if token == "{":
            members: dict[str, Any] = {}
            while tokens[position] != "}":
                key = take()
                key = key.strip('"') if key.startswith('"') else "*"
                members[key] = None
                if tokens[position] == ":":
                    take()
                    members[key] = value()
                if tokens[position] == ",":
                    take()
            take()
            return members
        if token == "[":
            inner = value() if tokens[position] != "]" else None
            take()
            return [inner]
        return None

    return value()


def shape_problems(documented: Any, actual: Any, path: str = "") -> list[str]:
    if documented is None or actual is None:
        return []
    if isinstance(documented, list):
        if not isinstance(actual, list):
            return [f"{path}: documented as a list, is {type(actual).__name__}"]
        return [p for item in actual for p in shape_problems(documented[0], item, f"{path}[]")]
    if not isinstance(actual, dict):
        return [f"{path}: documented as an object, is {type(actual).__name__}"]
    if set(documented) == {"*"}:
        return [p for key, item in actual.items() for p in shape_problems(documented["*"], item, f"{path}.{key}")]
    problems = [f"{path}: {sorted(set(actual) - set(documented))} not documented, {sorted(set(documented) - set(actual))}"
                f" documented but absent"] if set(documented) != set(actual) else []
    return problems + [p for key in documented.keys() & actual.keys()
                       for p in shape_problems(documented[key], actual[key], f"{path}.{key}")]


def documented_json(path: Path, first_key: str) -> Any:
    """The shape written in ``path`` as an inline code span starting ``{"<first_key>"``."""
    span = re.search(r'`(\{"' + first_key + r'".*?)`', prose(read(path)), re.DOTALL)
    assert span, f"{rel(path)} does not show the JSON object starting with {first_key!r}"
    return shape(span.group(1))


def test_the_shape_reading_follows_keys_lists_and_placeholder_keys():
    assert shape('{"a", "b": [{"c"}], "d": {rule: {"e"}}, "f": [str], "g": [...]}') == {
        "a": None, "b": [{"c": None}], "d": {"*": {"e": None}}, "f": [None], "g": [None]}
    assert shape_problems({"a": None}, {"a": 1, "b": 2}) == [": ['b'] not documented, [] documented but absent"]
    assert shape_problems({"a": [{"c": None}]}, {"a": [{"c": 1, "x": 2}]}) == [
        ".a[]: ['x'] not documented, [] documented but absent"]


def test_the_plan_json_fields_are_the_documented_ones(capsys, repo_plans):
    assert main(["plan", "--stack", "dev", "--json", "--project-dir", str(ROOT)]) == 0
    actual = json.loads(capsys.readouterr().out)
    assert actual["violations"] and actual["policyConfig"]  # so that their fields are compared too
    assert shape_problems(documented_json(ROOT / "docs" / "plan.md", "stack"), actual) == []


def test_the_schedule_json_fields_are_the_documented_ones(capsys):
    assert main(["schedule", "--stack", "all", "--count", "1", "--json", "--project-dir", str(ROOT)]) == 0
    actual = json.loads(capsys.readouterr().out)
    assert shape_problems(documented_json(ROOT / "docs" / "schedules.md", "windows"), actual) == []


def test_the_readme_names_the_plan_json_fields_that_exist(capsys, repo_plans):
    assert main(["plan", "--stack", "dev", "--json", "--project-dir", str(ROOT)]) == 0
    actual = json.loads(capsys.readouterr().out)
    ci = re.search(r"`mw plan --json` prints one JSON object: (.*?)\. Every field", read(ROOT / "README.md"),
                   re.DOTALL)
    assert ci, "README's CI section no longer lists the plan's JSON fields"
    listed = re.findall(r"`(\w+)`(?: \(([^)]*)\))?", ci.group(1))
    assert {key for key, _ in listed} == set(actual)
    for key, fields in listed:
        if fields:
            item = actual[key][0] if isinstance(actual[key], list) else actual[key]
            assert set(re.findall(r"`(\w+)`", fields)) == set(item), key


# ------------------------------------------------------------------------------------------------ stack outputs


def test_the_stack_outputs_documented_are_the_programs():
    """Every output a repository stack exports, and nothing else, with the fields of each window and account."""
    exported: dict[str, set[str]] = {"": set(), "windows": set(), "accounts": set()}
    for stack in STACKS:
        run = run_program(ROOT, project="maintenance-windows", stack=stack,
                          config=load_stack_file(ROOT / f"Pulumi.{stack}.yaml"))
        exported[""] |= set(run.outputs)
        for group in ("windows", "accounts"):
            exported[group] |= {field for item in run.outputs.get(group, {}).values() for field in item}
    rows = table(read(ROOT / "docs" / "config.md"), "output", "value", "when")
    documented = {"": {row[0].strip("`") for row in rows}}
    documented |= {row[0].strip("`"): set(re.findall(r"`(\w+)`", row[1])) for row in rows
                   if row[0].strip("`") in ("windows", "accounts")}
    assert documented == exported


# ------------------------------------------------------------------------------------------------ components


def test_the_components_example_runs(mocks):
    (example,) = blocks(read(ROOT / "docs" / "layout.md"), "python")
    deploy(lambda: exec(example, {}))
    (window,) = mocks.of_type("aws:ssm/maintenanceWindow:MaintenanceWindow")
    assert window.inputs["schedule"] == "cron(0 2 ? * * *)"
    assert len(mocks.of_type("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask")) == 1


# ------------------------------------------------------------------------------------------------ the pack's tables


def table(text: str, *header: str) -> list[list[str]]:
    """The rows (cells stripped; header and rule left out) of the first table whose header starts with ``header``."""
    rows: list[list[str]] = []
    for line in [*prose(text).splitlines(), ""]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            continue
        if rows and tuple(rows[0][:len(header)]) == header:
            return [row for row in rows[1:] if not set("".join(row)) <= set("-: ")]
        rows = []
    raise AssertionError(f"no table with the header {header}")


def config_levels(stack: str) -> dict[str, str]:
    config = json.loads(read(ROOT / "policies" / "config" / f"{stack}.json"))
    return {name: entry if isinstance(entry, str) else entry["enforcementLevel"] for name, entry in config.items()}


def test_the_rule_table_lists_every_rule_once_with_its_dev_and_prod_levels():
    rows = table(read(PACK_README), "rule", "what it checks", "dev", "prod")
    names = [row[0].strip("`") for row in rows]
    rules = {p.name for p in mw_policies.ALL_POLICIES}
    dev, prod = config_levels("dev"), config_levels("prod")
    wrong_levels = {name: f"dev {row[-2]}, prod {row[-1]}; config files: dev {dev.get(name)}, prod {prod.get(name)}"
                    for name, row in zip(names, rows, strict=True) if (row[-2], row[-1]) != (dev.get(name), prod.get(name))}
    assert {"missing": sorted(rules - set(names)), "not rules": sorted(set(names) - rules),
            "listed twice": sorted({n for n in names if names.count(n) > 1}), "levels": wrong_levels} == {
        "missing": [], "not rules": [], "listed twice": [], "levels": {}}


def test_the_settings_table_lists_every_setting_with_its_default():
    rows = table(read(PACK_README), "rule", "property", "default")
    documented = {(row[0].strip("`"), row[1].strip("`")): row[2] for row in rows}
    schema = {(p.name, prop): spec["default"] for p in mw_policies.ALL_POLICIES if p.config_schema
              for prop, spec in p.config_schema.properties.items()}
    assert documented.keys() == schema.keys()
    for key, default in schema.items():
        shown = re.match(r"`?([^`(]+?)`? *(\(|$)", documented[key]).group(1)
        assert json.loads(shown) == default, (key, documented[key])


# ------------------------------------------------------------------------------------------------ performance

PERFORMANCE = ROOT / "docs" / "performance.md"


def test_the_performance_setup_and_targets_are_the_benchmarks():
    text = " ".join(read(PERFORMANCE).split())
    settings = bench.FULL
    assert f"stacks of {min(settings.sizes)} to {max(settings.sizes)} windows" in text
    assert f"({settings.repeats['dev']} runs; {settings.repeats[500]} at 500 windows)" in text
    goals = [row[1] for row in table(read(PERFORMANCE), "measure", "target", "measured")]
    assert sorted(goals) == sorted([f"≤ {bench.TARGET_RATIO:g}x", f"≤ {bench.TARGET_DEV_FACTOR:g}x",
                                    f"< {bench.TARGET_100_S:g} s", f"< {bench.TARGET_500_S:g} s",
                                    f"≤ {bench.TARGET_POLICY_MS:g} ms", f"≤ {bench.TARGET_DEPTH}"])
    assert f"From {planning.SECOND_PACK_FROM:,} resources on" in text


def test_the_performance_figures_are_the_saved_run():
    """The stack table shows benchmarks/results.json (`bench.py --save`), rounded as bench prints them."""
    results = json.loads(read(ROOT / "benchmarks" / "results.json"))
    saved = {p["stack"]: [p["windows"] or 1, p["resources"], p["depth"], f"{p['wall_s']:.2f} s",
                          f"{p['plan_rss_mib']:.0f} MiB", f"{p['pack_rss_mib']:.0f} MiB"]
             for p in results["plan"] if not p["no_policy"]}
    rows = table(read(PERFORMANCE), "stack", "windows", "resources", "deploy depth")
    shown = {row[0]: [int(row[1]), int(row[2]), int(row[3]), *row[4:]] for row in rows}
    assert {stack: saved.get(stack) for stack in shown} == shown, \
        f"docs/performance.md's figures are not the run saved in benchmarks/results.json ({results['date']})"
