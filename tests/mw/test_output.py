"""mw/_output.py: the --output checks and the atomic write shared by `mw schedule --output` and `mw schema --output`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import pytest

from mw import _output
from mw_core.errors import MWError


@pytest.mark.parametrize(("name", "problem"), [
    ("a.json", None),
    ("a.JSON", None),
    ("a.yaml", "suffix '.yaml' is not supported; allowed: .json, .svg"),
    ("a", "suffix '' is not supported; allowed: .json, .svg"),
    ("missing/a.json", "cannot create a file in directory '{tmp}/missing': No such file or directory"),
])
def test_output_problem(tmp_path: Path, name: str, problem: str | None) -> None:
    assert _output.output_problem(tmp_path / name, (".json", ".svg")) == (
        problem.format(tmp=tmp_path) if problem else None)
    assert list(tmp_path.iterdir()) == []  # the probe is gone


def test_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "d.json").mkdir()
    assert _output.output_problem(tmp_path / "d.json", (".json",)) == "Is a directory"


def test_the_file_gets_the_mode_of_a_plain_new_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    _output.write_atomically(target, lambda out: out.write(b"{}"), "cannot write")
    umask = os.umask(0)
    os.umask(umask)
    assert (target.read_bytes(), target.stat().st_mode & 0o777) == (b"{}", 0o666 & ~umask)


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")

    def full_disk(out: BinaryIO) -> None:
        out.write(b"partial")
        raise OSError(28, "No space left on device")

    with pytest.raises(MWError, match=r"^cannot write it: No space left on device$"):
        _output.write_atomically(target, full_disk, "cannot write it")
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"] and target.read_text() == "old"
