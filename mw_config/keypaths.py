"""From pydantic's errors to the config's problems: key paths in the YAML's camelCase, every problem at once.

Components report paths and name fields in Python terms (``tasks[0].max_concurrency``, ```instance_ids```); the
models' aliases are the one mapping to the YAML's keys (``tasks[0].maxConcurrency``, ``instanceIds``). A location
is walked from :class:`~mw_config.models.StackModel` through the models' fields: a field of a model is renamed to
its alias, a list index stays, the type tag of a task is dropped, and below a mapping (tags, parameters) keys
are data and stay as written. A top-level key named in a message gets its namespace
(``maintenance-windows:allowWildcards``).
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from mw_config.models import NAMESPACE, StackModel, TaskModel
from mw_config.types import PROBLEM, Expected
from mw_core.errors import Problem
from mw_core.limits import describe_value as describe

__all__ = ["key_path", "problems_of", "translate"]


@dataclass
class _Walk:
    """Where a walk through the models has got to."""

    types: list[Any]  # what the value there may be (members of a union, unwrapped)
    annotation: Any = None  # the field's annotation, metadata included
    models: list[type[BaseModel]] = field(default_factory=list)  # every model passed, outermost first
    segments: list[str | int] = field(default_factory=list)  # keys and indexes
    tag: str | None = None  # the task type passed last
    data: bool = False  # below a mapping: keys are data

    @property
    def path(self) -> str:
        out = ""
        for segment in self.segments:
            if segment == "":
                continue  # an empty key: the problem is said of the mapping that has it
            out = f"{out}[{segment}]" if isinstance(segment, int) else f"{out}.{segment}" if out else segment
        return out

    def at(self, key: str | int, *, by_name: bool = False) -> _Walk:
        """One step: ``key`` is an index, a field's alias (its name, ``by_name``), a task type, or a mapping's
        key."""
        if isinstance(key, int):
            items = [get_args(t)[0] for t in self.types if get_origin(t) in (list, tuple) and get_args(t)]
            return self._next(_members(*items), key, items[0] if items else None)
        if self.data:
            return self._next([], key)
        for model in self._models():
            for name, info in model.model_fields.items():
                if key == (name if by_name else info.alias or name):
                    annotation = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
                    return self._next(_members(info.annotation), info.alias or name, annotation, model)
        tagged = [m for m in self._models() if key in _tags(m)]
        if tagged:
            return _Walk(tagged, self.annotation, self.models, self.segments, key, self.data)
        if key == "[key]":  # pydantic's marker for a mapping's key
            return self
        values = [get_args(t)[1] for t in self.types if get_origin(t) is dict and get_args(t)]
        walk = self._next(_members(*values), key, values[0] if values else None)
        walk.data = not values or all(not _is_model(v) for v in walk.types)
        return walk

    def _next(self, found: list[Any], segment: str | int, annotation: Any = None,
              model: type[BaseModel] | None = None) -> _Walk:
        models = [*self.models, model] if model is not None and model not in self.models[-1:] else self.models
        return _Walk(found, annotation, models, [*self.segments, segment], self.tag, self.data)

    def _models(self) -> list[type[BaseModel]]:
        return [t for t in self.types if _is_model(t)]

    def python_path(self, path: str) -> _Walk:
        """Further down a path in Python terms (``tasks[0].max_concurrency``); below a mapping, as written."""
        walk = self
        rest = path
        while rest:
            if walk.data or (not walk._models() and any(get_origin(t) is dict for t in walk.types)):
                # A mapping's key, as written (it may hold dots), then maybe the indexes of its values.
                key, indexes = re.fullmatch(r"\.?(.*?)((?:\[\d+\])*)", rest, re.DOTALL).groups()  # type: ignore[union-attr]
                walk = walk._next([], key) if key else walk
                for index in re.findall(r"\d+", indexes):
                    walk = walk._next([], int(index))
                walk.data = True
                return walk
            match = re.match(r"\[(\d+)\]|\.?([^.\[]+)", rest)
            if match is None:
                return walk._next([], rest)
            walk = walk.at(int(match.group(1)) if match.group(1) is not None else match.group(2), by_name=True)
            rest = rest[match.end():]
        return walk


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _strip(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _members(*annotations: Any) -> list[Any]:
    """The types a value of ``annotations`` may have: unions opened, ``Annotated`` and ``None`` dropped."""
    out: list[Any] = []
    for annotation in annotations:
        tp = _strip(annotation)
        if get_origin(tp) in (Union, types.UnionType):
            out += _members(*get_args(tp))
        elif tp is not type(None):
            out.append(tp)
    return out


def _tags(model: type[BaseModel]) -> tuple[Any, ...]:
    """The values of a task model's ``type`` (its tag in a discriminated union)."""
    kind = model.model_fields.get("type")
    if kind is None or get_origin(_strip(kind.annotation)) is not Literal:
        return ()
    return get_args(_strip(kind.annotation))


def _expected(annotation: Any) -> str:
    """A value of ``annotation`` in words: ``a whole number of hours``, ``a list of strings``."""
    for meta in get_args(annotation)[1:] if get_origin(annotation) is Annotated else ():
        if isinstance(meta, Expected):
            return meta.text
    members = _members(annotation)
    if len(members) != 1:
        return " or ".join(dict.fromkeys(_expected(m) for m in members)) or "a value"
    tp = members[0]
    if tp is str:
        return "a string"
    if get_origin(tp) in (list, tuple):
        item = _members(*get_args(tp)[:1])
        return "a list of strings" if item == [str] else "a list"
    if get_origin(tp) is Literal:
        return "one of " + ", ".join(map(str, get_args(tp)))
    return "a mapping" if _is_model(tp) or get_origin(tp) is dict else "a value"


def key_path(loc: tuple[Any, ...], path: str = "", root: type[BaseModel] = StackModel) -> str:
    """The YAML key path of a pydantic location (aliases) and a Python path below it."""
    return _walk(loc, root).python_path(path).path


def _walk(loc: tuple[Any, ...], root: type[BaseModel]) -> _Walk:
    walk = _Walk([root], root, [root])
    for key in loc:
        walk = walk.at(key)
    return walk


def translate(message: str, walk: _Walk, root: type[BaseModel] = StackModel) -> str:
    """A message in Python terms with the YAML's names: ```instance_ids``` -> ``instanceIds``, a top-level key
    with its namespace, a path from the top (```windows[0].name```) as a key path."""

    def name(match: re.Match[str]) -> str:
        text = match.group(1)
        if "." in text or "[" in text:
            return _Walk([root], root, [root]).python_path(text).path
        for model in [*walk._models(), *reversed(walk.models)]:
            found = model.model_fields.get(text)
            if found is not None:
                alias = found.alias or text
                return f"{NAMESPACE}:{alias}" if model is root else alias
        return text

    # Values are shown as Python writes them ('x', "it's"): what is inside is the user's and stays as written.
    values: list[str] = []

    def hide(match: re.Match[str]) -> str:
        values.append(match.group())
        return f"\0{len(values) - 1}\0"

    hidden = _QUOTED.sub(hide, message)
    return re.sub(r"\0(\d+)\0", lambda m: values[int(m.group(1))], re.sub(r"`([^`\s]+)`", name, hidden))


_QUOTED = re.compile(r"(?<!\w)'(?:[^'\\]|\\.)*'" r'|(?<!\w)"(?:[^"\\]|\\.)*"')


def problems_of(err: ValidationError, root: type[BaseModel] = StackModel) -> list[Problem]:
    """Every problem of ``err`` with its key path, each once, in the order found."""
    return list(dict.fromkeys(_problems(err, root)))


def _problems(err: ValidationError, root: type[BaseModel]) -> Iterator[Problem]:
    for e in err.errors(include_url=False):
        loc, kind, value, ctx = tuple(e["loc"]), e["type"], e.get("input"), e.get("ctx") or {}
        if kind == PROBLEM:
            walk = _walk(loc, root).python_path(ctx.get("path", ""))
            yield Problem(walk.path, translate(ctx["message"], walk, root))
        elif kind == "extra_forbidden":
            yield _unknown_key(_walk(loc[:-1], root), str(loc[-1]))
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            union = _walk(loc, root)
            allowed = ", ".join(t for m in union._models() for t in _tags(m))
            walk = union.at("type")
            given = value.get("type") if isinstance(value, dict) else None
            yield Problem(walk.path, f"required key is missing (expected one of {allowed})" if given is None else
                          f"{describe(given)} is not allowed (allowed: {allowed})")
        else:
            walk = _walk(loc, root)
            yield Problem(walk.path, _message(kind, value, walk, e["msg"]))


def _message(kind: str, value: Any, walk: _Walk, fallback: str) -> str:
    expected = _expected(walk.annotation)
    if kind == "missing":
        task = f" for a {walk.tag} task" if walk.tag is not None else ""
        return f"required key is missing{task} (expected {expected})"
    if kind == "literal_error":
        return f"{describe(value)} is not allowed (allowed: {expected.removeprefix('one of ')})"
    if kind.endswith("_type") or kind in ("model_attributes_type", "dict_type", "list_type"):
        if kind in ("model_type", "model_attributes_type", "dict_type"):
            expected = "a mapping"
        return f"expected {expected}, got {describe(value)}"
    return f"{fallback} (got {describe(value)})"


def _unknown_key(parent: _Walk, key: str) -> Problem:
    """An unknown key, with the closest allowed one; a task's key of another type says which type takes it."""
    models = parent._models()
    allowed = [info.alias or name for m in models for name, info in m.model_fields.items()]
    path = parent._next([], key).path  # as written, whatever it looks like ("[key]" too)
    if parent.tag is not None and models and issubclass(models[0], TaskModel):
        own = [a for a in allowed if a not in _aliases(TaskModel)]
        owners = [t for m in TaskModel.__subclasses__() for t in _tags(m) if key in _aliases(m)]
        if owners:
            return Problem(path, f"not allowed on a {parent.tag} task (it belongs to {' and '.join(owners)} tasks; "
                                 f"{parent.tag} takes: {', '.join(own)})")
    hint = difflib.get_close_matches(key, allowed, n=1)
    suggestion = f"did you mean {hint[0]!r}? " if hint else ""
    return Problem(path, f"unknown key ({suggestion}allowed: {', '.join(allowed)})")


def _aliases(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]
