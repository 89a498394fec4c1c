"""Scaled dot-product attention, written out by hand.

    Attention(Q, K, V) = softmax(Q Kᵀ / √Dk) V

Shapes: q [..., T, Dk], k [..., S, Dk], v [..., S, Dv]; any leading dimensions (batch,
heads) pass through. T is the number of queries, S the number of keys.

Mask convention (as in torch's SDPA): a bool mask broadcastable to [..., T, S], True
where query t MAY attend to key s. A query with no allowed key gets all-zero weights and
a zero output: it has nothing to read, and NaN would poison every later layer.
"""

import math

import torch
from torch import Tensor


# --8<-- [start:attention_weights]
def attention_weights(q: Tensor, k: Tensor, mask: Tensor | None = None) -> Tensor:
    """Row t is a probability distribution over the S keys (all zeros if none is allowed)."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # [..., T, Dk] @ [..., Dk, S]
    if mask is None:
        return scores.softmax(dim=-1)
    scores = scores.masked_fill(~mask, float("-inf"))  # exp(-inf) = 0: no weight at all
    weights = scores.softmax(dim=-1)  # a row that is all -inf comes out NaN ...
    return torch.where(mask.any(dim=-1, keepdim=True), weights, 0.0)  # ... so zero it
# --8<-- [end:attention_weights]


# --8<-- [start:scaled_dot_product_attention]
def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """Each output row is a weighted average of the rows of v."""
    return attention_weights(q, k, mask) @ v  # [..., T, S] @ [..., S, Dv] -> [..., T, Dv]
# --8<-- [end:scaled_dot_product_attention]
