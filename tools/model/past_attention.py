"""Attention over a cached past without copying it (docs/model-folder.md, onnx.cache): what both
exporters write, qwen2_bidir.attend_over_past in torch and build_onnx.attend_over_past in graph nodes.

Queries come as q [b, kv heads, rows, head dim], scaled by 1/sqrt(head dim), where a key head's
rows are its query group's heads one after another (rows = group * s), so no key or value is
copied per head.  The past's keys and values [b, kv, p, hd] are read where they lie: the scores
against them are reduced to their log-sum-exp, which enters the softmax over this call's keys as
the score of one more key (PastKeys.past_key; q carries the log-sum-exp as a column).  That key's
probability is the past's share of the attention and weighs the past's own softmax average, so the
result is the softmax over all p + s keys, to rounding.

This call's masking bias rides in its keys too (a column against a column of 1s in q), so a full
pass (p = 0) costs one matrix product, one softmax over [rows, s + 1] and no other pass over the
scores.  In onnxruntime a row reduced over an empty past comes out as an empty column (not -inf
or 0), so each such reduction is joined with a full column (PastKeys.floor, zero) before use.
"""
from typing import Any, NamedTuple

# The past's log-sum-exp where it has no mass (no past, or all of it masked): finite like the
# masking bias (-1e9), so that no score becomes NaN.
NO_PAST = -1e9


class PastKeys(NamedTuple):
    """What each layer's attention over its past shares, built once a forward (tensors or graph values)."""
    bias: Any  # [b, 1, 1, p]: the masking bias over the past's keys
    key_tail: Any  # [b, kv, s, 2]: appended to this call's keys: (0, the key's masking bias)
    past_key: Any  # [b, kv, 1, hd + 2]: the key that stands for the whole past: (0, ..., 0, 1, 0)
    zero_value: Any  # [b, kv, 1, hd]: that key's value; the past's values are added apart
    zero: Any  # [b, kv, rows, 1]: a column of 0s
    floor: Any  # the same of NO_PAST
    one: Any  # the same of 1s
