"""Reading ``Pulumi.<stack>.yaml`` as the Pulumi CLI reads it, strictly and safely.

The CLI reads a stack file with Go's gopkg.in/yaml.v3 into ``workspace.ProjectStack``
(pulumi/pulumi ``sdk/go/common/workspace/project.go``, ``loaders.go``) and hands each ``config:``
value to the program as text: a scalar as written, anything else as JSON
(``sdk/go/common/resource/config/value.go``, ``unmarshalValue``: "First, try to unmarshal as a
string"). PyYAML reads YAML 1.1 and differs from yaml.v3 on plain scalars (``yes``/``on`` are
booleans, ``1:30`` is 90, ``1e3`` and ``0o17`` are text, timestamps become ``datetime``), keeps the
last of two equal keys and expands aliases without limit. So PyYAML (libyaml when present) only
parses here; :func:`load` composes the events into nodes and decodes them by yaml.v3's rules
(go-yaml/yaml v3 ``resolve.go``, ``decode.go``):

* plain scalars resolve as yaml.v3's ``resolve`` does; an unquoted timestamp under this project's
  namespace is an error (Pulumi hands the program a reformatted time, whose format depends on the
  Pulumi version, instead of what was written), elsewhere it stays the text as written;
* a key twice in one mapping is an error naming both lines (yaml.v3: "mapping key already defined");
* aliases expand under yaml.v3's limit (:data:`ALIAS_MIN_EXPANDED` ...), nesting under :data:`MAX_DEPTH`;
* top-level keys are ``ProjectStack``'s, config keys are ``<namespace>:<name>`` (the old
  ``<namespace>:config:<name>`` is read as ``<namespace>:<name>``, as ``config.ParseKey`` does), and a
  namespace close to the project's is an error with did-you-mean, since the program would ignore it.

Every problem names the file, line and column; nothing else happens once one is found.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import codecs
import difflib
import math
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from mw_core.errors import ConfigError, Problem
from mw_core.limits import describe_value as describe
from mw_core.problems import join

__all__ = ["ALIAS_MIN_DECODED", "ALIAS_MIN_EXPANDED", "ALIAS_RATIO_RANGE_HIGH", "ALIAS_RATIO_RANGE_LOW", "MAX_DEPTH",
           "NEAR_NAMESPACE_RATIO", "PULUMI_STACK_KEYS", "allowed_alias_ratio", "is_near_namespace", "load",
           "namespace_problems"]

# The keys of a stack file: the yaml tags of workspace.ProjectStack (pulumi/pulumi
# sdk/go/common/workspace/project.go). yaml.v3 drops any other key without a word.
PULUMI_STACK_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment", "mainEnvironment")

# How deep collections may nest, aliases expanded. A stack file of this project needs about 10 (a
# Lambda payload in a task in a window); yaml.v3's scanner stops at 10,000 (scannerc.go max_flow_level,
# max_indents), far beyond what Python's recursion limit lets any later reader of the values take.
MAX_DEPTH = 100

# yaml.v3's rule against alias bombs (decode.go, `unmarshal` and `allowedAliasRatio`): every node decoded
# counts once, and once more per alias it is reached through; decoding stops with "document contains
# excessive aliasing" when more than 100 came from aliases, more than 1,000 in all, and the share from
# aliases is above 99% (up to 400,000 in all), falling linearly to 10% (4,000,000 and more).
ALIAS_MIN_EXPANDED = 100
ALIAS_MIN_DECODED = 1000
ALIAS_RATIO_RANGE_LOW = 400_000
ALIAS_RATIO_RANGE_HIGH = 4_000_000

# How alike (difflib ratio, case ignored) a config namespace must be to the project's to be taken for a
# misspelling of it. Stricter than the did-you-mean of keys (0.6): other packages' namespaces (aws,
# pulumi, random, datadog, ...) score below 0.4 against "maintenance-windows"; a letter off above 0.9.
NEAR_NAMESPACE_RATIO = 0.8

_SCALAR, _SEQ, _MAP, _ALIAS = range(4)
_KINDS = {_SCALAR: "a text", _SEQ: "a list", _MAP: "a mapping"}
# Pulumi itself accepts such a file (a stack with no config); mw must not plan nothing without a word.
_EMPTY_TAIL = ("Pulumi accepts a stack without config, but mw would then plan, schedule and look up nothing "
               "without saying why; put this stack's {namespace}:* keys under `config:`")


def allowed_alias_ratio(decoded: int) -> float:
    """The largest share of ``decoded`` operations that may come from aliases (yaml.v3 ``allowedAliasRatio``)."""
    if decoded <= ALIAS_RATIO_RANGE_LOW:
        return 0.99
    if decoded >= ALIAS_RATIO_RANGE_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decoded - ALIAS_RATIO_RANGE_LOW) / (ALIAS_RATIO_RANGE_HIGH - ALIAS_RATIO_RANGE_LOW)


def is_near_namespace(candidate: str, namespace: str) -> bool:
    """Whether config namespace ``candidate`` looks like a misspelling of ``namespace``."""
    if candidate == namespace:
        return False
    if _squash(candidate) == _squash(namespace):  # maintenance_windows, MaintenanceWindows, ...
        return True
    return difflib.SequenceMatcher(None, candidate.lower(), namespace.lower()).ratio() >= NEAR_NAMESPACE_RATIO


def namespace_problems(keys: Iterable[str], namespace: str) -> list[Problem]:
    """A problem per config key whose namespace looks like a misspelling of ``namespace``, by key."""
    problems = []
    for key in sorted(keys):
        other, _, name = key.partition(":")
        if is_near_namespace(other, namespace):
            problems.append(Problem(key, _near_message(other, name, namespace)))
    return problems


def load(path: Path, namespace: str) -> dict[str, Any]:
    """The ``config:`` mapping of stack file ``path``, as Pulumi hands it on, or a ConfigError naming every problem.

    Keys are ``<namespace>:<name>``; a scalar value is its text as written (null is ``""``), any other
    value is what its JSON carries to the program (dicts, lists, str, int, float, bool, None).
    """
    source = f"stack file {path}"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([Problem("", f"no such stack file: {path}")], source) from None
    except OSError as err:
        raise ConfigError([Problem("", f"cannot read it: {err.strerror or err}")], source) from None
    problems: list[Problem] = []
    try:
        config = _Decoder(namespace, problems).document(_compose(_text(data)))
    except _Fatal as fatal:
        raise ConfigError([*problems, fatal.problem], source) from None
    ConfigError.check(problems, source)
    return config


# --------------------------------------------------------------------------------------------------
# Bytes to text to nodes


class _Fatal(Exception):
    """A problem after which reading cannot go on (bad bytes, bad YAML, a limit reached)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _text(data: bytes) -> str:
    """The file's text: UTF-8 (a byte-order mark dropped, as Pulumi's readFileStripUTF8BOM does), or UTF-16
    with its mark, as yaml.v3's reader detects it (readerc.go yaml_parser_determine_encoding)."""
    encoding, name = "utf-8", "UTF-8"
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16-le" if data.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
        name, data = "UTF-16", data[2:]
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        before = data[:err.start].decode(encoding, "replace")
        bad = " ".join(f"0x{b:02X}" for b in data[err.start:err.end][:4])
        raise _Fatal(Problem(_position(before, len(before)),
                             f"byte {bad} is not {name} text: Pulumi reads stack files as {name} (save the "
                             f"file as UTF-8)")) from None


def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    return f"line {line}, column {index - (text.rfind(chr(10), 0, index) + 1) + 1}"


class _Node:
    """One YAML node, as yaml.v3's parser makes it (decode.go ``parser``): kind, short tag, text, place."""

    __slots__ = ("column", "content", "kind", "line", "quoted", "simple", "tag", "target", "value")

    def __init__(self, kind: int, tag: str, value: str, quoted: bool, line: int, column: int) -> None:
        self.kind = kind
        self.tag = tag  # "" for none or the non-specific "!"
        self.value = value  # a scalar's text; an alias's anchor name
        self.quoted = quoted  # quoted, literal or folded: text whatever it reads like
        self.line = line
        self.column = column
        self.content: list[_Node] = [] if kind in (_MAP, _SEQ) else _LEAF
        self.target: _Node | None = None
        # Text that no rule of resolve() can touch (most of a stack file): decoding takes it as it is.
        self.simple = kind == _SCALAR and not tag and (quoted or (value != "" and value[0] not in _HINTS))


_LEAF: list[_Node] = []  # the content of every scalar and alias; never appended to


def _short_tag(tag: str | None) -> str:
    if not tag or tag == "!":
        return ""
    return "!!" + tag[len(_YAML_TAG):] if tag.startswith(_YAML_TAG) else tag


_YAML_TAG = "tag:yaml.org,2002:"


def _compose(text: str) -> _Node | None:
    """The first document's root node, or None for an empty stream. Iterative: nesting costs no recursion."""
    import yaml  # only `mw` reads files; the program never does
    from yaml.events import (
        AliasEvent,
        DocumentEndEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
    )

    # libyaml's parser when PyYAML has it (the same events, several times faster); composing is ours.
    libyaml = bool(getattr(yaml, "__with_libyaml__", False))
    parser = (yaml.CBaseLoader if libyaml else yaml.BaseLoader)(text)
    anchors: dict[str, _Node] = {}
    open_nodes: list[_Node] = []
    root: _Node | None = None
    try:
        event = parser.get_event()  # stream start
        event = parser.get_event()
        if not isinstance(event, DocumentStartEvent):
            return None  # an empty stream: no document at all
        while True:
            event = parser.get_event()
            kind = type(event)
            if kind is ScalarEvent:
                mark = event.start_mark
                tag = event.tag
                node = _Node(_SCALAR, _short_tag(tag) if tag else "", event.value, bool(event.style), mark.line,
                             mark.column)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                mark = event.start_mark
                if len(open_nodes) >= MAX_DEPTH:
                    raise _Fatal(Problem(f"line {mark.line + 1}, column {mark.column + 1}",
                                         f"collections nest deeper than {MAX_DEPTH} levels; no stack file needs "
                                         "that many"))
                node = _Node(_MAP if kind is MappingStartEvent else _SEQ, _short_tag(event.tag), "", False,
                             mark.line, mark.column)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                open_nodes.pop()
                continue
            elif kind is AliasEvent:
                mark = event.start_mark
                node = _Node(_ALIAS, "", event.anchor, False, mark.line, mark.column)
                node.target = anchors.get(event.anchor)
                if node.target is None:
                    raise _Fatal(Problem(f"line {mark.line + 1}, column {mark.column + 1}",
                                         f"unknown anchor '{event.anchor}' referenced (an alias *name needs an "
                                         "&name before it)"))
            elif kind is DocumentEndEvent:
                break
            else:  # pragma: no cover - the parser yields nothing else inside a document
                continue
            if open_nodes:
                open_nodes[-1].content.append(node)
            else:
                root = node
            # yaml.v3 names the node before its content, so an alias inside its own anchor reaches it.
            if kind is not AliasEvent and event.anchor is not None:
                anchors[event.anchor] = node
            if node.kind == _MAP or node.kind == _SEQ:
                open_nodes.append(node)
        event = parser.get_event()
        if isinstance(event, DocumentStartEvent):
            mark = event.start_mark
            raise _Fatal(Problem(f"line {mark.line + 1}, column {mark.column + 1}",
                                 "a second YAML document: Pulumi reads only the first one of a stack file and "
                                 "ignores this one (remove the '---' or move its keys into the first)"))
    except yaml.MarkedYAMLError as err:
        raise _Fatal(_yaml_problem(err)) from None
    except yaml.reader.ReaderError as err:
        # libyaml counts UTF-8 bytes, PyYAML characters.
        index = len(text.encode("utf-8")[:err.position].decode("utf-8", "ignore")) if libyaml else err.position
        char = err.character if isinstance(err.character, int) else ord(str(err.character)[:1] or "?")
        raise _Fatal(Problem(_position(text, index), f"character U+{char:04X} is not allowed in YAML "
                                                     f"({err.reason})")) from None
    except yaml.YAMLError as err:
        raise _Fatal(Problem("", f"not valid YAML: {err}")) from None
    finally:
        parser.dispose()
    return root


def _yaml_problem(err: Any) -> Problem:
    mark, context, context_mark = err.problem_mark, err.context, err.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    message = f"not valid YAML: {err.problem or err.context}"
    if err.problem and context:
        started = (f" at line {context_mark.line + 1}, column {context_mark.column + 1}"
                   if context_mark is not None and (context_mark.line, context_mark.column) != (mark.line, mark.column)
                   else "")
        message += f" ({context}{started})"
    return Problem(where, message)


# --------------------------------------------------------------------------------------------------
# Scalars, by yaml.v3's resolve.go


class _TagError(Exception):
    """An explicit tag the text cannot have (yaml.v3: "cannot decode !!str `abc` as a !!int")."""


_RESOLVABLE = frozenset({"", "!!str", "!!bool", "!!int", "!!float", "!!null", "!!timestamp"})
_HINTS = {**dict.fromkeys("0123456789", "D"), "+": "S", "-": "S", ".": ".", **dict.fromkeys("yYnNtTfFoO~", "M")}
# Only these words are booleans and nulls in yaml.v3: yes/no/on/off/y/n are text (YAML 1.2).
_WORDS: dict[str, tuple[str, Any]] = {
    **{w: ("!!bool", True) for w in ("true", "True", "TRUE")},
    **{w: ("!!bool", False) for w in ("false", "False", "FALSE")},
    **{w: ("!!null", None) for w in ("", "~", "null", "Null", "NULL")},
    **{w: ("!!float", math.nan) for w in (".nan", ".NaN", ".NAN")},
    **{w: ("!!float", math.inf) for w in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{w: ("!!float", -math.inf) for w in ("-.inf", "-.Inf", "-.INF")},
    "<<": ("!!merge", "<<"),
}
# strconv.ParseInt(s, 0, 64) after yaml.v3 drops "_": 0x.., 0o.., 0b.., a leading 0 is octal (YAML 1.1's 017).
_GO_INT = re.compile(r"([-+]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|(0[0-7]*)|([1-9][0-9]*))")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")  # resolve.go yamlStyleFloat
_DOT_FLOAT = re.compile(r"\.[0-9](_?[0-9])*([eE][-+]?[0-9](_?[0-9])*)?")  # strconv.ParseFloat of ".5", ".5e3"
# The layouts of resolve.go allowedTimestampFormats: "2006-1-2T15:4:5.999999999Z07:00" (T or t),
# "2006-1-2 15:4:5.999999999" and "2006-1-2"; Go's time.Parse takes one or two digits for 1, 2, 15, 4, 5.
_TIMESTAMP = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:"
                        r"[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?(?:Z|[-+]([0-9]{2}):([0-9]{2}))"
                        r"| ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?)?")


def _resolve(tag: str, text: str) -> tuple[str, Any]:
    """``(tag, value)`` of a scalar that is not quoted, as yaml.v3's ``resolve(tag, in)``."""
    if tag not in _RESOLVABLE:
        return tag, text  # !!binary, local tags (!foo): the text itself
    rtag, value = ("!!str", text) if tag == "!!str" else _resolve_plain(text, tag in ("", "!!timestamp"))
    if tag in ("", rtag, "!!str"):
        return rtag, value
    if tag == "!!float" and rtag == "!!int":
        return "!!float", float(value)
    raise _TagError(f"cannot decode {rtag} `{text}` as a {tag}")


def _resolve_plain(text: str, timestamps: bool) -> tuple[str, Any]:
    hint = _HINTS.get(text[0]) if text else "N"
    if hint is None:
        return "!!str", text
    word = _WORDS.get(text)
    if word is not None:
        return word
    if hint == ".":
        if _DOT_FLOAT.fullmatch(text) and not math.isinf(number := float(text)):
            return "!!float", number
    elif hint in "DS":
        if timestamps and _is_timestamp(text):
            return "!!timestamp", text
        plain = text.replace("_", "")
        integer = _go_int(plain)
        if integer is not None:
            return "!!int", integer
        if _YAML_FLOAT.fullmatch(plain) and not math.isinf(number := float(plain)):
            return "!!float", number  # strconv.ParseFloat refuses what overflows; then it is text
    return "!!str", text


def _go_int(plain: str) -> int | None:
    """strconv.ParseInt(plain, 0, 64), else ParseUint (no sign): None when neither takes it."""
    match = _GO_INT.fullmatch(plain)
    if match is None:
        return None
    sign, hexa, octal, binary, legacy_octal, decimal = match.groups()
    if hexa:
        value = int(hexa, 16)
    elif octal or legacy_octal:
        value = int(octal or legacy_octal, 8)
    elif binary:
        value = int(binary, 2)
    else:
        value = int(decimal)
    if sign == "-":
        value = -value
    if -(2 ** 63) <= value < 2 ** 63 or (not sign and value < 2 ** 64):
        return value
    return None


def _is_timestamp(text: str) -> bool:
    """Whether Go's time.Parse takes ``text`` in one of yaml.v3's timestamp layouts (dates must exist)."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return False
    year, month, day, *clock = (int(g) if g is not None else None for g in match.groups())
    assert year is not None and month is not None and day is not None
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return False
    hour, minute, second, zone_hour, zone_minute = clock[:5] if clock[0] is not None else (*clock[5:8], None, None)
    if hour is not None and (hour > 23 or (minute or 0) > 59 or (second or 0) > 59):
        return False
    return zone_hour is None or (zone_hour <= 24 and (zone_minute or 0) <= 60)


def _go_float(value: float) -> str:
    """fmt's %v of a float64 (strconv 'g', shortest digits, exponent from 1e+06 and below 1e-04)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    neg = "-" if sign else ""
    if value == 0:
        return neg + "0"
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    point = len(text) + exponent
    power = point - 1
    if power < -4 or power >= 6:
        mantissa = text[0] + (f".{text[1:]}" if len(text) > 1 else "")
        return f"{neg}{mantissa}e{'-' if power < 0 else '+'}{abs(power):02d}"
    if point <= 0:
        return f"{neg}0.{'0' * -point}{text}"
    if point >= len(text):
        return neg + text + "0" * (point - len(text))
    return f"{neg}{text[:point]}.{text[point:]}"


def _go_key(value: Any) -> str:
    """A decoded key as Pulumi turns it into text (``fmt.Sprintf("%v", key)``, value.go interfaceMapToStringMap)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _go_float(value)


# --------------------------------------------------------------------------------------------------
# Nodes to values, by yaml.v3's decode.go and Pulumi's config.Value


class _Decoder:
    """Decodes the root node into the ``config:`` mapping, collecting problems; counts as yaml.v3 counts."""

    def __init__(self, namespace: str, problems: list[Problem]) -> None:
        self.namespace = namespace
        self.problems = problems
        self.decoded = 0
        self.expanded = 0
        self.alias_depth = 0
        self.expanding: set[int] = set()
        self.ours = False  # decoding a value of a `<namespace>:` key

    # ---- the document and its config

    def document(self, root: _Node | None) -> dict[str, Any]:
        if root is None or (root.kind == _SCALAR and not root.quoted and not root.tag
                            and _resolve_plain(root.value, False)[0] == "!!null"):
            raise _Fatal(Problem("", "the stack file is empty (or holds only comments): it has no `config:`. "
                                     + _EMPTY_TAIL.format(namespace=self.namespace)))
        self.count(root)
        if root.kind != _MAP:
            raise _Fatal(Problem(self.where(root, ()), "expected a mapping with a 'config' key, got "
                                                       f"{self.describe(root)}"))
        self.check_unique(root, ())
        config: dict[str, Any] | None = None
        config_node: _Node | None = None
        for key_node, value_node in zip(root.content[::2], root.content[1::2], strict=True):
            key = self.key(key_node, (), nested=False)
            if key is None:
                continue
            if key == "config":
                config_node = value_node
                config = self.config(value_node)
            elif key not in PULUMI_STACK_KEYS:
                hint = difflib.get_close_matches(key, PULUMI_STACK_KEYS, n=1)
                suggestion = f"did you mean '{hint[0]}'? " if hint else ""
                self.problems.append(Problem(self.where(key_node, (key,)), f"unknown top-level key ({suggestion}"
                                             f"a stack file has {', '.join(PULUMI_STACK_KEYS)}; Pulumi ignores "
                                             "any other key, so its content would be lost)"))
        if config_node is None:
            self.problems.append(Problem(self.where(root, ()), "the stack file has no `config:`. "
                                         + _EMPTY_TAIL.format(namespace=self.namespace)))
        elif _is_empty(config_node):
            self.problems.append(Problem(self.where(config_node, ("config",)), "`config:` is empty. "
                                         + _EMPTY_TAIL.format(namespace=self.namespace)))
        return config or {}

    def config(self, node: _Node) -> dict[str, Any] | None:
        self.count(node)
        if node.kind == _ALIAS:
            return self.alias(node, ("config",), 2, lambda target, _path, _depth: self.config(target))
        if node.kind == _MAP:
            return self.mapping(node, ("config",), 2, level="config")
        if node.kind == _SCALAR and self.scalar(node, ("config",)) is None:
            return None
        self.problems.append(Problem(self.where(node, ("config",)), f"expected a mapping, got {self.describe(node)}"))
        return None

    def config_key(self, key: str, node: _Node) -> str | None:
        """``<namespace>:<name>`` for a config key (config.ParseKey), or None with a problem."""
        parts = key.split(":")
        if len(parts) == 3 and parts[1] == "config":
            parts = [parts[0], parts[2]]  # the old <namespace>:config:<name>
        if len(parts) != 2 or not parts[0] or not parts[1]:
            self.problems.append(Problem(self.where(node, ("config", key)),
                                         f"{describe(key)} is not a config key: Pulumi takes <namespace>:<name>, "
                                         f"like aws:region or {self.namespace}:windows"))
            return None
        if is_near_namespace(parts[0], self.namespace):
            self.problems.append(Problem(self.where(node, ("config", key)),
                                         _near_message(parts[0], parts[1], self.namespace)))
        return f"{parts[0]}:{parts[1]}"

    # ---- nodes

    def count(self, node: _Node, path: tuple[Any, ...] = ()) -> None:
        """yaml.v3's decode count and its alias rule (decode.go ``unmarshal``)."""
        self.decoded += 1
        if self.alias_depth:
            self.count_expanded(node, path)

    def count_expanded(self, node: _Node, path: tuple[Any, ...]) -> None:
        """A node decoded again through an alias: stop when aliases have expanded too far."""
        self.expanded += 1
        if (self.expanded > ALIAS_MIN_EXPANDED and self.decoded > ALIAS_MIN_DECODED
                    and self.expanded / self.decoded > allowed_alias_ratio(self.decoded)):
                raise _Fatal(Problem(self.where(node, path), f"document contains excessive aliasing: aliases expand to "
                                                           f"{self.expanded} of the {self.decoded} values read so "
                                                           "far, past the limit Pulumi's YAML reader (yaml.v3) "
                                                           "sets against alias bombs"))

    def alias(self, node: _Node, path: tuple[Any, ...], depth: int,
              decode: Callable[[_Node, tuple[Any, ...], int], Any]) -> Any:
        if id(node) in self.expanding:
            raise _Fatal(Problem(self.where(node, path), f"anchor '{node.value}' value contains itself"))
        assert node.target is not None
        self.expanding.add(id(node))
        self.alias_depth += 1
        try:
            return decode(node.target, path, depth)
        finally:
            self.alias_depth -= 1
            self.expanding.discard(id(node))

    def value(self, node: _Node, path: tuple[Any, ...], depth: int, top: bool = False) -> Any:
        """A node's value; ``top`` for a config key's own value, which Pulumi keeps as text when it is a scalar."""
        self.decoded += 1  # self.count(node, path), inlined: it runs for every node
        if self.alias_depth:
            self.count_expanded(node, path)
        if node.simple:
            return node.value
        kind = node.kind
        if kind == _SCALAR:
            return self.text(node, path) if top else self.scalar(node, path)
        if kind == _ALIAS:
            return self.alias(node, path, depth, lambda target, at, deep: self.value(target, at, deep, top))
        if depth >= MAX_DEPTH:
            raise _Fatal(Problem(self.where(node, path), f"collections nest deeper than {MAX_DEPTH} levels (aliases "
                                                         "expanded); no stack file needs that many"))
        if kind == _SEQ:
            return [self.value(child, (*path, index), depth + 1) for index, child in enumerate(node.content)]
        return self.mapping(node, path, depth + 1, level="nested")

    def mapping(self, node: _Node, path: tuple[Any, ...], depth: int, level: str) -> dict[str, Any]:
        """A mapping's entries; ``level`` "config" reads keys as config keys and values as top-level values."""
        self.check_unique(node, path)
        out: dict[str, Any] = {}
        keys: dict[str, _Node] = {}
        merge: _Node | None = None
        top = level == "config"
        content = node.content
        for index in range(0, len(content), 2):
            key_node, value_node = content[index], content[index + 1]
            if key_node.value == "<<" and _is_merge(key_node):
                merge = value_node  # yaml.v3 merges the last `<<` after the mapping's own keys
                continue
            key = self.key(key_node, path, nested=not top)
            if key is not None and top:
                key = self.config_key(key, key_node)
            if key is None:
                continue
            first = keys.get(key)
            if first is not None and (first.kind, first.value) != (key_node.kind, key_node.value):
                self.problems.append(Problem(self.where(key_node, (*path, key)),
                                             f"{key_node.value!r} is the same key as {first.value!r} (line "
                                             f"{first.line + 1}) once read: both are {key!r}"))
            keys.setdefault(key, key_node)
            if top:
                self.ours = key.partition(":")[0] == self.namespace
            out[key] = self.value(value_node, (*path, key), depth, top=top)
        if merge is not None:
            self.merge(merge, out, path, depth, level)
        return out

    def merge(self, node: _Node, out: dict[str, Any], path: tuple[Any, ...], depth: int, level: str) -> None:
        """``<<: *base`` or ``<<: [*a, *b]``: the keys not given yet, the first source winning (decode.go ``merge``)."""
        for source in node.content if node.kind == _SEQ else [node]:
            target = source.target if source.kind == _ALIAS else source
            if target is None or target.kind != _MAP:
                raise _Fatal(Problem(self.where(source, path), "map merge requires map or sequence of maps as the "
                                                               "value"))
            self.count(source)
            merged = (self.alias(source, path, depth, lambda mapping, at, deep: self.mapping(mapping, at, deep, level))
                      if source.kind == _ALIAS else self.mapping(source, path, depth, level))
            for key, value in merged.items():
                out.setdefault(key, value)

    def check_unique(self, node: _Node, path: tuple[Any, ...]) -> None:
        """yaml.v3 refuses a mapping that has a key twice, as written (decode.go ``mapping``, uniqueKeys)."""
        seen: dict[tuple[int, str], _Node] = {}
        for key_node in node.content[::2]:
            if key_node.kind != _SCALAR and key_node.kind != _ALIAS:
                continue
            first = seen.setdefault((key_node.kind, key_node.value), key_node)
            if first is not key_node:
                shown = key_node.value if key_node.kind == _SCALAR else f"*{key_node.value}"
                self.problems.append(Problem(self.where(key_node, (*path, shown)),
                                             f"duplicate key {shown!r}: it is already at line {first.line + 1}. "
                                             "Pulumi refuses a stack file with a key twice in one mapping (a "
                                             "reader that takes it keeps only the last)"))

    def key(self, node: _Node, path: tuple[Any, ...], nested: bool) -> str | None:
        """A mapping key as text: as written for the stack file's own and config keys (Go strings), else the
        decoded value as Pulumi prints it. None, with a problem, for a key that cannot be one."""
        self.count(node, path)
        if node.simple:
            return node.value
        if node.kind == _ALIAS:
            return self.alias(node, path, 0, lambda target, at, _depth: self.key(target, at, nested))
        if node.kind != _SCALAR:
            self.problems.append(Problem(self.where(node, path), f"a key must be a text, got {self.describe(node)}"))
            return None
        if not nested:
            text = self.text(node, path)
            if text == "" and not node.quoted and not node.tag:
                self.problems.append(Problem(self.where(node, path), "a key must be a text, got null"))
                return None
            return text
        tag, value = self.resolved(node, path)
        return node.value if tag == "!!timestamp" else _go_key(value)

    def resolved(self, node: _Node, path: tuple[Any, ...]) -> tuple[str, Any]:
        """``(tag, value)`` of a scalar node; a tag the text cannot have is a problem (its text is kept)."""
        if node.tag == "!!str" or (node.quoted and not node.tag):
            return "!!str", node.value
        try:
            tag, value = _resolve(node.tag, node.value)
        except _TagError as err:
            self.problems.append(Problem(self.where(node, path), str(err)))
            return "!!str", node.value
        if tag == "!!binary":
            try:
                data = base64.b64decode(node.value.replace("\n", "").replace("\r", ""), validate=True)
            except (binascii.Error, ValueError):
                self.problems.append(Problem(self.where(node, path), "!!binary value contains invalid base64 data"))
                return "!!str", node.value
            # A Go string of those bytes; JSON carries invalid UTF-8 as U+FFFD.
            return "!!binary", data.decode("utf-8", "replace")
        return tag, value

    def scalar(self, node: _Node, path: tuple[Any, ...]) -> Any:
        """A scalar inside a config value: what its JSON carries to the program."""
        tag, value = self.resolved(node, path)
        if tag == "!!timestamp":
            if self.ours:
                self.problems.append(Problem(self.where(node, path),
                                             f"{node.value!r} is an unquoted YAML timestamp: Pulumi reads it as a "
                                             "time and hands the program a reformatted text (which differs "
                                             f"between Pulumi versions), not what is written; quote it: "
                                             f"'{node.value}'"))
            return node.value
        if tag == "!!float" and not math.isfinite(value):
            self.problems.append(Problem(self.where(node, path), f"{node.value} is not a number JSON can carry, so "
                                                                 "Pulumi cannot hand it to the program; quote it "
                                                                 "for the text"))
            return node.value
        if tag == "!!float" and value.is_integer() and abs(value) < 1e21:
            return int(value)  # Go's encoding/json writes it without a point, so the program reads an int
        return value

    def text(self, node: _Node, path: tuple[Any, ...]) -> str:
        """A scalar read into a Go string: its text as written (null is ""), binary decoded."""
        tag, value = self.resolved(node, path)
        if tag == "!!binary":
            return str(value)
        return "" if tag == "!!null" else node.value

    # ---- messages

    def describe(self, node: _Node) -> str:
        if node.kind == _SCALAR:
            if node.simple or node.quoted:
                return describe(node.value)
            try:
                return describe(_resolve(node.tag, node.value)[1])
            except _TagError:
                return describe(node.value)
        if node.kind == _ALIAS and node.target is not None:
            return self.describe(node.target)
        return f"{_KINDS[node.kind]} of {len(node.content) // (2 if node.kind == _MAP else 1)}"

    def where(self, node: _Node, path: tuple[Any, ...]) -> str:
        place = f"line {node.line + 1}, column {node.column + 1}"
        shown = self.render(path)
        return f"{shown} ({place})" if shown else place

    def render(self, path: tuple[Any, ...]) -> str:
        """``windows[0].startDate`` under this project's namespace, ``config.aws:region`` elsewhere."""
        if not path:
            return ""
        if path[0] != "config" or len(path) == 1:
            out = str(path[0])
            rest = path[1:]
        else:
            namespace, _, name = str(path[1]).partition(":")
            out = name if namespace == self.namespace and name else f"config.{path[1]}"
            rest = path[2:]
        for part in rest:
            out = join(out, part)
        return out


def _is_empty(node: _Node) -> bool:
    """A null or an empty mapping, through an alias."""
    if node.kind == _ALIAS and node.target is not None:
        node = node.target
    if node.kind == _MAP:
        return not node.content
    return (node.kind == _SCALAR and not node.quoted and node.tag in ("", "!!null")
            and _resolve_plain(node.value, False)[0] == "!!null")


def _is_merge(node: _Node) -> bool:
    """yaml.v3 ``isMerge``: a plain ``<<`` key (or one tagged !!merge)."""
    return node.kind == _SCALAR and node.value == "<<" and not node.quoted and node.tag in ("", "!!merge")


def _squash(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _near_message(namespace: str, name: str, project: str) -> str:
    return (f"namespace {namespace!r} is not this project's: did you mean '{project}:{name}'? (the program reads "
            f"only {project}:* keys, so this one would be ignored; keys of other namespaces, such as aws:region, "
            "stay allowed)")
