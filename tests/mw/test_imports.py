"""Deferred imports: an ``import`` inside a function only where it keeps a module that is expensive to import off a
path that does not need it (``mw --help`` above all), each of them listed here with that reason."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

MODULES = [ROOT / "mw_engine" / name for name in ("__init__.py", "_pulumi.py", "analyzer.py", "engine.py")] + [
    ROOT / "mw" / name for name in ("plan.py", "schedule.py", "history.py", "calendar.py", "ics.py", "targets.py",
                                    "_aws.py")]

# (file, module imported inside a function) -> why. Import times over what `mw --help` loads already, medians of
# 5 runs of `python -X importtime` on the 2-core reference machine.
DEFERRED = {
    # mw_engine imports pulumi's runtime (~0.35 s) and mw_config pulumi through the components (~0.45 s); every `mw`
    # command imports mw.plan (the command table, and find_project), only a plan needs them.
    ("mw/plan.py", "mw_config"): "pulumi through the components, for a plan only",
    ("mw/plan.py", "mw_engine.analyzer"): "grpc and pulumi's protocol, for a plan only",
    ("mw/plan.py", "mw_engine.engine"): "pulumi's runtime, for a plan only (plan() and Plan.depth)",
    ("mw/schedule.py", "mw_config"): "pulumi through the components, only once a stack is read",
    ("mw/history.py", "mw_config"): "pulumi through the components, only for `--stack`",
    ("mw/targets.py", "mw_config"): "pulumi through the components, only once a stack is read",
    ("mw/targets.py", "mw"): "mw._targets_aws, the AWS calls, only once a stack is resolved",
    # matplotlib and icalendar: the optional viz dependency group, ~0.4 s.
    ("mw/calendar.py", "matplotlib"): "the viz group, only when a calendar is drawn",
    ("mw/calendar.py", "matplotlib.backends.backend_agg"): "the viz group, only when a calendar is drawn",
    ("mw/calendar.py", "matplotlib.figure"): "the viz group, only when a calendar is drawn",
    ("mw/calendar.py", "matplotlib.patches"): "the viz group, only when a calendar is drawn",
    ("mw/ics.py", "icalendar"): "the viz group, only when an .ics file is written",
    # botocore's session, config, parsers and utils: ~0.2 s, only once a command calls AWS.
    ("mw/_aws.py", "botocore.config"): "botocore beyond its exceptions, only once AWS is called",
    ("mw/_aws.py", "botocore.session"): "botocore beyond its exceptions, only once AWS is called",
    ("mw/_aws.py", "botocore.parsers"): "botocore beyond its exceptions, only once AWS is called",
    ("mw/_aws.py", "botocore.utils"): "botocore beyond its exceptions, only once AWS is called",
}

# What `mw --help` must not import: the modules the deferrals above keep away from it.
NOT_FOR_HELP = ("pulumi", "pulumi_aws", "grpc", "google.protobuf", "mw_components", "mw_config", "mw_program",
                "mw_engine", "matplotlib", "icalendar", "yaml", "botocore.session", "botocore.config", "botocore.parsers",
                "botocore.utils", "boto3")


def deferred(path: Path) -> set[str]:
    """The modules ``path`` imports inside a function (not under ``if TYPE_CHECKING`` at the top)."""
    found: set[str] = set()
    for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add("." * node.level + node.module)
    return found


def test_every_deferred_import_is_one_listed_with_its_reason():
    found = {(str(path.relative_to(ROOT)), module) for path in MODULES for module in deferred(path)}
    assert found == set(DEFERRED)


def test_the_check_finds_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import json\n\ndef f():\n    import yaml\n    from mw_core import tokens\n\n"
                      "class C:\n    async def g(self):\n        from .sub import x\n", encoding="utf-8")
    assert deferred(module) == {"yaml", "mw_core", ".sub"}


def test_mw_help_imports_none_of_what_the_deferrals_keep_away():
    script = ("import sys, mw.cli\n"
              "mw.cli._parser()\n"
              f"print(sorted(m for m in sys.modules if m.startswith({NOT_FOR_HELP!r})))")
    found = subprocess.run([sys.executable, "-c", script], cwd=ROOT, timeout=120, capture_output=True, text=True)
    assert (found.returncode, found.stdout) == (0, "[]\n"), found.stderr
