"""The Pulumi program: stack config -> service role, PassRole policy, windows and the stack's shared resources.

``__main__.py`` calls :func:`main`; tests and ``mw plan`` run that same file under the engine stand-in.
"""

from mw_program.program import deploy, main, read_config

__all__ = ["deploy", "main", "read_config"]
