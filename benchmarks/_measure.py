"""Run ``python -m MODULE ARGS...`` (or ``python -c CODE``) in this process, then write its peak memory as JSON.

    python benchmarks/_measure.py OUT.json -m mw.cli plan --stack dev --json
    python benchmarks/_measure.py OUT.json -c "import pulumi, pulumi_aws"

``OUT.json`` gets ``self_hwm_kib`` (this process) and ``children_hwm_kib`` (the largest of its child
processes, e.g. the policy pack ``mw plan`` starts), both the kernel's ``VmHWM`` (peak resident set).

Why not ``ru_maxrss``: on Linux a process's ``ru_maxrss`` starts at its *parent's* peak RSS (exec records the
high-water mark of the address space it replaces, and ``subprocess`` uses vfork, so that is the parent's), so
every process the benchmark starts would report at least the benchmark's own peak. ``VmHWM`` belongs to the
address space exec created, so it is the process's own. A child's ``VmHWM`` is gone once it is reaped, so a
thread samples the children every 10 ms; their peak is therefore a lower bound, off by at most what they
allocate in their last 10 ms. ``runpy.run_module(..., alter_sys=True)`` is what ``python -m`` does.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import threading
from pathlib import Path

SAMPLE_SECONDS = 0.01


def hwm_kib(pid: int | str) -> int | None:
    """``VmHWM`` of a process in KiB, or None once it has gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _children() -> set[int]:
    found: set[int] = set()
    # A child belongs to the thread that started it (mw plan starts the pack from a worker thread).
    for task in Path("/proc/self/task").iterdir():
        try:
            found.update(int(pid) for pid in (task / "children").read_text().split())
        except OSError:
            continue
    return found


class ChildWatcher(threading.Thread):
    """Samples the peak RSS of this process's children until stopped."""

    def __init__(self) -> None:
        super().__init__(name="measure-children", daemon=True)
        self.peaks: dict[int, int] = {}
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(SAMPLE_SECONDS):
            self.sample()

    def sample(self) -> None:
        for pid in _children():
            value = hwm_kib(pid)
            if value is not None:
                self.peaks[pid] = max(value, self.peaks.get(pid, 0))


def main() -> int:
    if len(sys.argv) < 4 or sys.argv[2] not in ("-m", "-c"):
        print(__doc__, file=sys.stderr)
        return 2
    out, mode, target, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    watcher = ChildWatcher()
    watcher.start()
    code = 0
    try:
        if mode == "-m":
            sys.argv = [target, *args]
            sys.path[0] = os.getcwd()  # as `python -m` has it, instead of this script's directory
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.argv = ["-c", *args]
            exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.stdout.flush()
        watcher.stopped.set()
        watcher.join()
        usage = {"self_hwm_kib": hwm_kib("self"), "children_hwm_kib": max(watcher.peaks.values(), default=None)}
        Path(out).write_text(json.dumps(usage), encoding="utf-8")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
