"""Whether a command can write the file a user named (``--output``), asked before any work is done."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from mw_core.errors import MWError


def output_problem(path: str | Path, suffixes: Sequence[str]) -> str | None:
    """Why a file cannot be written to ``path``, or None when it can; nothing is left behind.

    In order: the suffix must be one of ``suffixes``; ``path`` must not be a directory; a file
    must be creatable in its directory (a probe file is created there and removed, so a missing,
    read-only or non-directory parent is caught with the OS's reason, ``strerror``); an existing
    file must be writable.
    """
    target = Path(path)
    if target.suffix.lower() not in suffixes:
        return f"suffix {target.suffix!r} is not supported; allowed: {', '.join(suffixes)}"
    if target.is_dir():
        return os.strerror(errno.EISDIR)
    try:
        handle, probe = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".probe")
    except OSError as err:
        return f"cannot create a file in directory {str(target.parent)!r}: {err.strerror}"
    os.close(handle)
    os.unlink(probe)
    if target.exists():
        try:
            with open(target, "r+b"):  # opens for writing without truncating
                pass
        except OSError as err:
            return f"cannot overwrite it: {err.strerror}"
    return None


def write_atomically(target: Path, draw: Callable[[BinaryIO], object], failure: str) -> None:
    """Run ``draw`` into a temporary file next to ``target``, then move it over ``target``.

    On any failure (a full disk, an interrupt) the temporary file is removed and ``target`` is untouched; an
    OSError becomes an MWError ``"<failure>: <the OS's reason>"``.
    """
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise MWError(f"{failure}: {err.strerror or err}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            draw(stream)
        # mkstemp makes the file private (0600); give it the mode a plain new file would get.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException as err:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise MWError(f"{failure}: {err.strerror or err}") from None
        raise
