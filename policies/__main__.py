"""Entry point of the maintenance-windows policy pack: builds the PolicyPack, which then serves gRPC
until the Pulumi engine stops it. The rules live in ``mw_policies`` so they can be imported and tested
without starting a server; they import ``mw_core``, which the project's virtualenv provides in the repository
and the built pack (``tools/build_pack.py``) carries next to them.
"""

from mw_policies import ALL_POLICIES, PACK_NAME
from mw_policies._servicer import install
from mw_policies._typed import DEFAULT_LEVEL
from pulumi_policy import PolicyPack

# Same results as pulumi-policy's own servicer, a quarter of the time per resource (mw_policies/_servicer.py).
install()

PolicyPack(
    name=PACK_NAME,
    policies=ALL_POLICIES,
    enforcement_level=DEFAULT_LEVEL,
    description="Checks AWS Systems Manager maintenance windows, their targets, tasks, schedules and IAM roles, and "
    "the output bucket, topic, log group and patch baselines they use, against AWS's limits and this project's "
    "security, retention and rate-control rules.",
)
