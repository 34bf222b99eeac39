"""The stack config schema: a ``Pulumi.<stack>.yaml`` file read as Pulumi reads it, into component args.

:func:`load_stack_file` reads the file (:mod:`mw_config.stackfile`); :func:`parse` validates the
``maintenance-windows:*`` keys into a :class:`StackConfig` of component args (:mod:`mw_config.schema`).
"""

from mw_config.schema import NAMESPACE, TOP_KEYS, StackConfig, load_stack_file, namespaced, parse

__all__ = ["NAMESPACE", "TOP_KEYS", "StackConfig", "load_stack_file", "namespaced", "parse"]
