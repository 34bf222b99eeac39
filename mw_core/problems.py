"""Problems with key paths: how every layer reports what is wrong, all at once, without raising early.

Pure standard library. Components check their own arguments with :func:`checker` and report paths in
their own (Python) terms; the config layer puts its key path in front with :func:`nest`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mw_core import limits
from mw_core.errors import Problem
from mw_core.limits import Limit, check

__all__ = ["MAX_TAGS", "checker", "join", "nest", "showable_key", "tag_problems"]


def join(path: str, key: str | int) -> str:
    """``join('windows', 0)`` is ``windows[0]``; ``join('windows[0]', 'name')`` is ``windows[0].name``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def nest(prefix: str, problems: Iterable[Problem]) -> list[Problem]:
    """Problems found relative to a part of the config, with that part's path in front."""
    return [Problem(join(prefix, p.path) if p.path else prefix, p.message) for p in problems]


def checker(problems: list[Problem]) -> Callable[[str, Limit, Any], None]:
    """``check(path, limit, value)`` appends a problem when a set value breaks an AWS limit.

    ``None`` (not set) and ``pulumi.Output`` values (known only at deploy time) are skipped.
    """

    def check_value(path: str, limit: Limit, value: Any) -> None:
        if value is None or type(value).__name__ == "Output":
            return
        problem = check(limit, value)
        if problem is not None:
            problems.append(Problem(path, problem))

    return check_value


# Most AWS resources take at most 50 tags: IAM (tagListType, max 50, in the IAM API model), S3 ("A tag set can
# contain as many as 50 tags", S3 User Guide, cost allocation tagging), CloudWatch Logs ("as many as 50 tags",
# TagResource) and SSM ("Most resources can have a maximum of 50 tags", AddTagsToResource).
MAX_TAGS = 50


def tag_problems(tags: Mapping[Any, Any] | None) -> list[Problem]:
    """What AWS would refuse in a resource's tags, with paths relative to its ``tags`` key.

    Each tag by :func:`mw_core.limits.tag_problems`: 1-128 character keys and 0-256 character values of letters,
    numbers, spaces and ``_ . : / = + - @`` (so no NUL or other control character), and no ``aws:`` prefix in
    any case, which AWS reserves for the tags it sets itself. At most :data:`MAX_TAGS` tags. A problem is
    reported at the tag (``tags.Env``) when its key can be shown in a key path, else at ``tags``.
    """
    if not tags:
        return []
    out: list[Problem] = []
    if len(tags) > MAX_TAGS:
        out.append(Problem("", f"{len(tags)} tags is too many (allowed: at most {MAX_TAGS})"))
    for key, problem in limits.tag_problems(dict(tags)):
        out.append(Problem(key, problem) if showable_key(key) else Problem("", f"tag key {problem}"))
    return out


def showable_key(key: Any) -> bool:
    """Whether a mapping key can stand in a key path (``tags.<key>``): printable and of a tag key's length."""
    return isinstance(key, str) and 0 < len(key) <= limits.TAG_KEY.max and key.isprintable()
