"""Runs the released program (``released_program.py``) as ``__main__.py`` did before issue 16."""

import pulumi
from released_program import main

from mw_core.errors import MWError

try:
    main()
except MWError as err:
    raise pulumi.RunError(str(err)) from err
