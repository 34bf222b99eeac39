"""Entry point of the maintenance-windows policy pack: builds the PolicyPack, which then serves gRPC
until the Pulumi engine stops it. The rules live in ``mw_policies`` so they can be imported and tested
without starting a server.
"""

import sys
from pathlib import Path

# The rules share mw.limits and mw.schedule (pure standard library) with the program. The CLI runs this
# pack from its own directory (runpy puts policies/ on sys.path, not the repository root), so add the
# repository root, the pack directory's parent, for `import mw` to work inside this repository.
_REPO_ROOT = str(Path(__file__).resolve().parent.parent)
if _REPO_ROOT not in sys.path:
    sys.path.insert(1, _REPO_ROOT)

from mw_policies import ALL_POLICIES, PACK_NAME  # noqa: E402
from mw_policies._servicer import install  # noqa: E402
from pulumi_policy import PolicyPack  # noqa: E402

# Same results as pulumi-policy's own servicer, a quarter of the time per resource (mw_policies/_servicer.py).
install()

PolicyPack(
    name=PACK_NAME,
    policies=ALL_POLICIES,
    description="Checks AWS Systems Manager maintenance windows, their targets, tasks, schedules and IAM roles, and "
    "the output bucket, topic, log group and patch baselines they use, against AWS's limits and this project's "
    "security, retention and rate-control rules.",
)
