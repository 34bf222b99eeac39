"""Which instances a window target selects, as far as can be known offline: can two targets meet?

Pure standard library: ``mw schedule`` and the policy pack's ``stack-window-overlap`` rule both use it.
:func:`target_conditions` reads a target once; :func:`conditions_may_intersect` then compares two read
targets in time proportional to their keys, so a stack's targets are read once however many pairs meet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["conditions_may_intersect", "target_conditions", "wire_targets_may_intersect"]

# Wire keys whose values say exactly which resources a target selects. `tag-key` (presence of a key,
# whatever its value) and anything else (`WindowTargetIds` of task targets, keys added by AWS later)
# never prove two targets apart, so they are not read.
_ID_KEYS = frozenset({"InstanceIds", "resource-groups:Name", "resource-groups:ResourceTypeFilters"})


def wire_targets_may_intersect(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]) -> bool:
    """Whether two window targets, in AWS's wire form, can select the same instance.

    ``a`` and ``b`` are ``Targets`` lists: ``[{"key": "tag:Env", "values": ["prod"]}, ...]``. Pairs in
    one list are ANDed, the values of one pair ORed. The rule: the two may intersect unless some key
    that **both** constrain has no value in common. Keys read:

    * ``tag:<Key>``: ``{Env: prod}`` and ``{Env: prod, Role: web}`` may intersect (an instance tagged
      Env=prod, Role=web is in both); so may ``{Env: prod}`` and ``{Role: web}`` (no shared key: one
      instance can carry both tags); ``{Env: prod}`` and ``{Env: dev}`` cannot. Keys and values are
      case-sensitive, as in EC2.
    * ``InstanceIds``: two ID lists intersect only when they share an ID.
    * ``resource-groups:Name``: two groups intersect only when the name is the same (a group is taken
      as its own set; AWS would let two groups share members, which cannot be seen offline), and
      ``resource-groups:ResourceTypeFilters``, when both give one, must share a type.
    * ``tag-key`` never separates two targets (an instance can have any key), nor does any other key.

    Mixed modes (tags vs. IDs, tags vs. a group, IDs vs. a group) share no key, so they **may**
    intersect: which tags an instance carries, or which instances a group holds, is AWS state this
    cannot see, and a warning is cheaper than a missed conflict. A pair whose values are not a
    non-empty list of strings (unknown during a preview, or malformed) constrains nothing, so a list
    with nothing readable may intersect anything. A list whose own conditions contradict (the same
    key twice with no common value) selects nothing and intersects nothing.
    """
    return conditions_may_intersect(target_conditions(a), target_conditions(b))


def target_conditions(targets: Any) -> dict[str, frozenset[str]]:
    """A ``Targets`` list read once: key -> the values an instance may have for it (pairs with one key ANDed)."""
    out: dict[str, frozenset[str]] = {}
    if not isinstance(targets, (list, tuple)):
        return out  # unknown during a preview
    for pair in targets:
        if not isinstance(pair, Mapping):
            continue
        key, values = pair.get("key"), pair.get("values")
        if not isinstance(key, str) or not (key.startswith("tag:") or key in _ID_KEYS):
            continue
        if not isinstance(values, (list, tuple)) or not values or not all(isinstance(v, str) for v in values):
            continue
        allowed = frozenset(values)
        out[key] = out[key] & allowed if key in out else allowed
    return out


def conditions_may_intersect(left: Mapping[str, frozenset[str]], right: Mapping[str, frozenset[str]]) -> bool:
    """:func:`wire_targets_may_intersect` on targets already read by :func:`target_conditions`."""
    if any(not values for values in (*left.values(), *right.values())):
        return False
    return all(left[key] & right[key] for key in left.keys() & right.keys())
