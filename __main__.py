"""maintenance-windows: the Pulumi program (`pulumi up` runs this file from the repository root).

Everything is driven by the stack's `maintenance-windows:*` config; see README.md.
"""

import pulumi

from mw_core.errors import MWError
from mw_program import main

try:
    main()
except MWError as err:
    # A user's mistake: pulumi prints a RunError's message alone, without a Python traceback.
    raise pulumi.RunError(str(err)) from err
