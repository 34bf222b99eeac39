"""The stack config schema: a ``Pulumi.<stack>.yaml`` file read as Pulumi reads it, into component args.

:func:`load_stack_file` reads the file (:mod:`mw_config.stackfile`); :func:`parse` validates the
``maintenance-windows:*`` keys into a :class:`StackConfig` of component args (:mod:`mw_config.schema`), with the
pydantic models of :mod:`mw_config.models` (types, defaults and limits, once) and every problem's key path from
:mod:`mw_config.keypaths`. :mod:`mw_config.file_schema` is the same schema as JSON Schema, for editors.
"""

from mw_config.schema import (
    NAMESPACE,
    TOP_KEYS,
    Account,
    StackConfig,
    load_stack_file,
    namespaced,
    parse,
    parse_stack,
)

__all__ = ["NAMESPACE", "TOP_KEYS", "Account", "StackConfig", "load_stack_file", "namespaced", "parse", "parse_stack"]
