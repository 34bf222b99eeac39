"""maintenance-windows: AWS Systems Manager Maintenance Windows as a Pulumi program.

The ``mw`` package holds what is not a Pulumi component: the stack config schema,
the schedule semantics, AWS's limits, the offline engine stand-in and the ``mw`` command.
``mw.schedule``, ``mw.limits`` and ``mw.errors`` use only the standard library, so the
policy pack can import them without the program's dependencies.
"""

__version__ = "0.1.0"
