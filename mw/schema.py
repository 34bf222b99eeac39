"""``mw schema``: the JSON Schema of ``Pulumi.<stack>.yaml``, so editors check a stack file while it is typed.

Save it once and name it in the stack file's first line, for yaml-language-server (VS Code's YAML extension and
other editors)::

    mw schema --output .vscode/pulumi-stack.schema.json
    # yaml-language-server: $schema=.vscode/pulumi-stack.schema.json      (first line of Pulumi.dev.yaml)

The schema is the one the program validates with (:mod:`mw_config.file_schema`): this project's
``maintenance-windows:*`` keys with their types, defaults, descriptions and AWS's limits, Pulumi's top-level
keys, and any other namespace left alone. What only the program can judge (rules across keys, such as a cutoff
shorter than the duration) is still ``mw plan``'s.

``--output FILE`` is checked before anything else, like ``mw schedule --output``: a ``.json`` file in an existing
directory that can be written (exit 2 with the path and the reason otherwise); it is written whole or not at
all. Without it the schema goes to standard output.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mw import _output
from mw_core.errors import MWError

SUFFIX = ".json"


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``mw schema`` to the ``mw`` command."""
    parser = commands.add_parser(
        "schema", help="the JSON Schema of Pulumi.<stack>.yaml, for editors (offline)",
        description="Print the JSON Schema of a whole stack file (Pulumi.<stack>.yaml): this project's "
                    "maintenance-windows:* keys with their types, defaults and AWS's limits, Pulumi's top-level "
                    "keys, other namespaces allowed. Name it in the stack file's first line for "
                    "yaml-language-server: # yaml-language-server: $schema=<file>")
    parser.add_argument("--output", type=Path, metavar="FILE",
                        help="write the schema to FILE (.json, in an existing directory) instead of standard output")
    parser.set_defaults(handler=_command)


def output_problem(path: Path) -> str | None:
    """Why the schema cannot be written to ``path`` (a ``.json`` file), or None when it can."""
    return _output.output_problem(path, (SUFFIX,))


def _command(args: argparse.Namespace) -> int:
    if args.output is not None:
        problem = output_problem(args.output)
        if problem is not None:
            raise MWError(f"--output {str(args.output)!r}: {problem}")
    # The models import the components, and so Pulumi: only this command pays for them, not `mw --help`.
    from mw_config.file_schema import stack_file_schema

    text = json.dumps(stack_file_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return 0
    _output.write_atomically(args.output, lambda out: out.write(text.encode()),
                             f"--output {str(args.output)!r}: cannot write it")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
