"""An offline stand-in for the Pulumi engine: run a program against recording mocks, and serve a policy pack.

:mod:`mw_engine.engine` runs a Pulumi program in-process and records every ``RegisterResource`` in wire form;
:mod:`mw_engine.analyzer` starts a policy pack as the Pulumi CLI does and talks the Analyzer protocol to it.
``mw plan`` is built on both.
"""
