"""Helpers and property sets for the policy pack's tests (tests/test_policy_*.py)."""
