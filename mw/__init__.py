"""The ``mw`` command: ``mw plan``, ``mw schedule``, ``mw history`` and ``mw schema``, on top of every other layer.

Layers, each its own package, dependencies pointing one way:
``mw_core`` (standard library) <- ``mw_components`` (``components/``) <- ``mw_config`` <- ``mw_program``
(``__main__.py``) <- ``mw_engine`` and ``mw``. The policy pack (``policies/``) uses ``mw_core`` only.
"""

__version__ = "0.1.0"
