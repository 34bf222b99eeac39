"""The ``mw`` command: ``mw plan``, ``mw schedule``, ``mw history``.

Exit status: 0 on success (a plan with advisory violations only included), 1 when a plan has a
mandatory violation, 2 on a user's mistake (bad config, bad arguments), printed without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from mw.errors import MWError

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except MWError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mw", description="AWS Systems Manager Maintenance Windows, planned "
                                                            "offline and reviewed from the terminal.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # Each command lives in its own module, which adds its parser and sets `handler`.
    for module in COMMANDS:
        importlib.import_module(module).register(commands)
    return parser


COMMANDS = ("mw.plan", "mw.schedule_view", "mw.history")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
