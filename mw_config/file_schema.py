"""The JSON Schema of a whole ``Pulumi.<stack>.yaml``, for editors that check the file while it is typed.

yaml-language-server (VS Code's YAML extension, and others) validates a YAML file against the schema named in a
first-line comment: ``# yaml-language-server: $schema=<path or URL>``. :func:`stack_file_schema` is the stack
file as the Pulumi CLI reads it (:mod:`mw_config.stackfile`): Pulumi's own top-level keys, ``config:`` required,
this project's ``maintenance-windows:*`` keys as :class:`~mw_config.models.StackModel` takes them (no unknown
key under this namespace), and any other namespace (``aws:region``) left alone.
"""

from __future__ import annotations

from typing import Any

from mw_config.models import StackModel
from mw_config.schema import NAMESPACE
from mw_config.stackfile import PULUMI_STACK_KEYS

__all__ = ["DIALECT", "stack_file_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# Pulumi's own top-level keys (workspace.ProjectStack) and their types; `environment` takes more than one form.
_STACK_KEY_SCHEMAS: dict[str, dict[str, Any]] = {
    "config": {},
    "secretsprovider": {"type": "string", "description": "The stack's secrets provider (pulumi stack init)."},
    "encryptedkey": {"type": "string", "description": "The data key of a cloud secrets provider, encrypted."},
    "encryptionsalt": {"type": "string", "description": "The salt of the passphrase secrets provider."},
    "environment": {"description": "Pulumi ESC environments the stack imports."},
    "mainEnvironment": {"description": "The Pulumi ESC environment the stack's config lives in."},
}


def stack_file_schema() -> dict[str, Any]:
    """The schema of ``Pulumi.<stack>.yaml`` (JSON Schema draft 2020-12)."""
    model = StackModel.model_json_schema(by_alias=True, mode="validation")
    definitions = model.pop("$defs", {})
    keys = {f"{NAMESPACE}:{key}": schema for key, schema in model["properties"].items()}
    prefix = f"{NAMESPACE}:"  # letters and "-": the same in every regular expression dialect
    config = {
        "type": "object",
        "description": f"The stack's config. {model.get('description', '')} Keys of other namespaces (aws:region) "
                       "are not this project's and are not checked here.",
        "properties": keys,
        # Under this project's namespace only its own keys (or Pulumi's old `<namespace>:config:<key>` form).
        "propertyNames": {"anyOf": [{"enum": list(keys)}, {"not": {"pattern": f"^{prefix}"}},
                                    {"pattern": f"^{prefix}config:"}]},
    }
    properties = {key: dict(_STACK_KEY_SCHEMAS.get(key, {})) for key in PULUMI_STACK_KEYS}
    properties["config"] = config
    return {
        "$schema": DIALECT,
        "title": f"Pulumi stack file of {NAMESPACE} (Pulumi.<stack>.yaml)",
        "type": "object",
        "properties": properties,
        "required": ["config"],
        "additionalProperties": False,
        "$defs": definitions,
    }
