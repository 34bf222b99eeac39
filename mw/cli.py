"""The ``mw`` command: ``mw plan``, ``mw schedule``, ``mw history``, ``mw targets``, ``mw schema``.

Exit status, the same for every command:

- 0: success (a plan with advisory violations only included);
- 1: a plan has a mandatory violation; ``mw targets`` found a problem with a target;
- 2: a user's mistake (bad config, bad arguments, an AWS error the user can act on), printed without a traceback;
- 3: an internal failure (a bug in ``mw`` or the policy pack crashing), printed with its traceback, so that CI
  can tell a crash from a policy failure;
- 141: whatever read standard output stopped reading (``mw schedule --json | head``); no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence

# Each command module adds its parser and handler; `mw --help` loads them all, so they import what a command needs
# (Pulumi, the policy pack, botocore's clients, matplotlib) only when it runs.
from mw import history, plan, schedule, schema, targets
from mw_core.errors import MWError

Handler = Callable[[argparse.Namespace], int]

EXIT_OK = 0
EXIT_MANDATORY = 1
EXIT_USER_ERROR = 2
EXIT_INTERNAL = 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool killed by it


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
    except BrokenPipeError:
        # The reader went away (`mw schedule --json | head`): not a bug. Python's documented way out ("Note on
        # SIGPIPE", signal module docs): point stdout at devnull so the flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception:  # anything else is a bug: keep the traceback for the report, but exit apart from a verdict
        traceback.print_exc()
        print("internal error: this is a bug in maintenance-windows, not in your stack; please report it with "
              "the traceback above", file=sys.stderr)
        return EXIT_INTERNAL


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mw", description="AWS Systems Manager Maintenance Windows, planned "
                                                            "offline and reviewed from the terminal.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS.values():
        command.register(commands)
    return parser


# The command modules by name, in the order `mw --help` lists them.
COMMANDS = {module.__name__: module for module in (plan, schedule, history, targets, schema)}


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
