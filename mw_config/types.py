"""The value types of the stack config that plain ``str``/``list``/``dict`` do not say, as pydantic types.

YAML and the Pulumi CLI hand the program loosely typed values; each type here says what it accepts, what it turns
it into, and why it refuses the rest, in one problem naming the value (:func:`problem`). Strictness is the
models' (``strict=True``): ``'3'`` is no number and ``1`` no text, except where a type here says otherwise
(AWS's rate controls are text, and ``maxConcurrency: 1`` is what people write).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from mw_components.task import to_json
from pydantic import AfterValidator, PlainValidator, ValidationError, ValidationInfo, WithJsonSchema
from pydantic_core import InitErrorDetails, PydanticCustomError

from mw_core import arns, limits
from mw_core.errors import Problem
from mw_core.limits import describe_value as describe
from mw_core.problems import MAX_TAGS

PROBLEM = "problem"  # the error type of every problem this package raises itself


@dataclass(frozen=True)
class Expected:
    """What a value of this type looks like, in words (``a whole number of hours``), for a missing key."""

    text: str


def problem(message: str, path: str = "") -> PydanticCustomError:
    """One problem with the value being validated (``path`` below it, in Python terms: ``[0]``, ``bucket``)."""
    return PydanticCustomError(PROBLEM, "{message}", {"message": message, "path": path})


def problems_error(problems: list[Problem], value: Any = None) -> ValidationError:
    """Several problems at once, below the value being validated; pydantic puts the value's location in front."""
    return ValidationError.from_exception_data(PROBLEM, [
        InitErrorDetails(type=problem(p.message, p.path), loc=(), input=value) for p in problems])


def _whole(unit: str) -> Callable[[Any], int]:
    expected = "a whole number" + (f" of {unit}" if unit else "")

    def validate(value: Any) -> int:
        # YAML gives ints; a float with no fraction (JSON tools) is accepted, bools and strings are not.
        number = limits.whole(value)
        if number is None:
            raise problem(f"expected {expected}, got {describe(value)}")
        return number

    return validate


def whole(unit: str = "") -> Any:
    """A whole number (``unit``: hours, days, seconds), from an int or an integral float."""
    return Annotated[int, PlainValidator(_whole(unit), json_schema_input_type=int),
                     Expected("a whole number" + (f" of {unit}" if unit else ""))]


Hours = whole("hours")
Days = whole("days")
Seconds = whole("seconds")
Number = whole()

_YAML11_BOOLS = frozenset(("yes", "no", "on", "off", "y", "n"))


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    # The Pulumi CLI reads stack files as YAML 1.2 (Go's yaml.v3), where yes/no/on/off are text.
    hint = " (YAML 1.2 reads it as text; write true or false)" if str(value).lower() in _YAML11_BOOLS else ""
    raise problem(f"expected true or false, got {describe(value)}{hint}")


Flag = Annotated[bool, PlainValidator(_flag, json_schema_input_type=bool), Expected("true or false")]


def number_as_text(expected: str) -> Any:
    """Text AWS takes, where YAML's integers are welcome too (``maxConcurrency: 1``, ``documentVersion: 3``)."""

    def validate(value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str):
            return value
        raise problem(f"expected {expected}, got {describe(value)}")

    return Annotated[str, PlainValidator(validate, json_schema_input_type=str | int), Expected(expected)]


Rate = number_as_text("a number or a percentage like '10%'")
Version = number_as_text("a string")


def _strings(value: Any) -> tuple[str, ...]:
    """A list of strings; numbers are not coerced (an instance ID is never a number)."""
    if not isinstance(value, list):
        raise problem(f"expected a list of strings, got {describe(value)}")
    wrong = [Problem(f"[{i}]", f"expected a string, got {describe(item)}") for i, item in enumerate(value)
             if not isinstance(item, str)]
    if wrong:
        raise problems_error(wrong, value)
    return tuple(value)


def _string_or_strings(value: Any) -> tuple[str, ...]:
    """One string or a list of them (``Operation: Install``); a YAML number is text (``Version: 2``)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, bool) or value is None:
        raise problem(f"expected a string or a list of strings, got {describe(value)}")
    if isinstance(value, (int, float)):
        return (str(value),)  # YAML turns `Version: 2` into an int; AWS takes every parameter as a string
    return _strings(value)


StringOrStrings = Annotated[tuple[str, ...], PlainValidator(_string_or_strings,
                                                             json_schema_input_type=str | float | list[str]),
                            Expected("a string or a list of strings")]


def _one_or_more(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else _strings(value)


OneOrMore = Annotated[tuple[str, ...], PlainValidator(_one_or_more, json_schema_input_type=str | list[str]),
                      Expected("a string or a list of strings")]


def _mapping_of(convert: Callable[[Any], Any]) -> Callable[[Any], dict[str, Any]]:
    def validate(value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise problem(f"expected a mapping, got {describe(value)}")
        out: dict[str, Any] = {}
        wrong: list[Problem] = []
        for key, item in value.items():
            try:
                out[str(key)] = convert(item)
            except PydanticCustomError as err:
                wrong.append(Problem(str(key), err.context["message"] if err.context else err.message()))
            except ValidationError as err:
                wrong += [Problem(f"{key}{(e.get('ctx') or {}).get('path', '')}", e["msg"]) for e in err.errors()]
        if wrong:
            raise problems_error(wrong, value)
        return out

    return validate


def _tag_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise problem(f"expected a string, got {describe(value)} (quote it in YAML)")


Tags = Annotated[dict[str, str], PlainValidator(_mapping_of(_tag_value)),
                 WithJsonSchema({"type": "object", "maxProperties": MAX_TAGS,
                                 "propertyNames": {"minLength": limits.TAG_KEY.min, "maxLength": limits.TAG_KEY.max},
                                 "additionalProperties": {"type": "string", "maxLength": limits.TAG_VALUE.max}}),
                 Expected("a mapping of tag keys to values")]
ValuesByName = Annotated[dict[str, tuple[str, ...]],
                         PlainValidator(_mapping_of(_string_or_strings),
                                        json_schema_input_type=dict[str, str | float | list[str]]),
                         Expected("a mapping of names to a value or a list of values")]


def _json_text(value: Any) -> str:
    """Lambda payload / Step Functions input: JSON text, or a mapping sent as JSON."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError as err:
            raise problem(f"{describe(value)} is not JSON ({err.msg}); give a mapping or JSON text") from None
        return value
    if isinstance(value, (Mapping, list)):
        return to_json(value)
    raise problem(f"expected a mapping or JSON text, got {describe(value)}")


JsonText = Annotated[str, PlainValidator(_json_text, json_schema_input_type=str | dict[str, Any] | list[Any]),
                     Expected("a mapping or JSON text")]


def _client_context(value: Any) -> str:
    """Lambda ClientContext is base64-encoded JSON; a mapping is encoded here."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return base64.b64encode(to_json(value).encode()).decode()
    raise problem(f"expected a mapping or base64 text, got {describe(value)}")


ClientContext = Annotated[str, PlainValidator(_client_context, json_schema_input_type=str | dict[str, Any]),
                          Expected("a mapping or base64 text")]


def _region(region: str) -> str:
    # The regions of every partition botocore knows (mw_core.arns.REGIONS), so eusc-de-east-1 and cn-north-1 too.
    found = arns.region_problem(region)
    if found is not None:
        raise problem(found)
    return region


Region = Annotated[str, AfterValidator(_region), WithJsonSchema({"type": "string", "enum": sorted(arns.REGIONS)}),
                   Expected("an AWS region such as us-east-1")]


def switch(model: type) -> Any:
    """``false`` (off), ``true`` (on, as the stack provides it) or a mapping validated as ``model``."""

    def validate(value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, Mapping):
            return model.model_validate(value, context=info.context)  # type: ignore[attr-defined]
        raise problem(f"expected true, false or a mapping, got {describe(value)}")

    return Annotated[bool | model, PlainValidator(validate, json_schema_input_type=bool | model),  # type: ignore[valid-type]
                     Expected("true, false or a mapping")]
