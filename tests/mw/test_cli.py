"""mw/cli.py: what every command shares: exit statuses, and no traceback for what is not a bug."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

from mw import cli


def test_a_reader_that_stops_reading_is_no_internal_error() -> None:
    """`mw schedule --json | head`: the pipe closes under the command, which exits 141 without a traceback."""
    command = [sys.executable, "-c", "import sys; from mw.cli import main; sys.exit(main())",
               "schedule", "--stack", "prod", "--json", "--count", "2000"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read(10)  # the start of the document, then the reader goes away
        process.stdout.close()
        err = process.stderr.read().decode()
        assert process.wait(timeout=120) == cli.EXIT_BROKEN_PIPE == 141
    assert "Traceback" not in err and "internal error" not in err
