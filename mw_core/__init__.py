"""Core knowledge about AWS Systems Manager maintenance windows, in the standard library only.

- :mod:`mw_core.limits`: AWS's limits for every field the project sends (checked against botocore's models);
- :mod:`mw_core.arns`: partitions, regions, account IDs, ARNs and how far a granted ARN reaches;
- :mod:`mw_core.schedule`: cron/rate/at semantics, time zones, offsets, openings;
- :mod:`mw_core.targets`: whether two window targets can select the same instance;
- :mod:`mw_core.problems` and :mod:`mw_core.errors`: problems with key paths, and the one exception family.

Every other layer builds on this one; it imports nothing outside the standard library, so the policy pack
can carry a copy of it (``make pack``).
"""
