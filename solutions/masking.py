"""Causal and padding masks: boolean, True = "query t may attend to key s".

A mask enters attention as softmax(Q Kᵀ / √Dk  with disallowed scores set to -inf):
exp(-inf) = 0, so a disallowed key gets weight exactly 0 and the others share the rest.

- causal_mask(T) [T, T]: query t sees keys 0..t, itself included (the diagonal is True).
  The decoder's self-attention uses it so that position t never reads a later token.
- padding_mask(is_pad) [B, 1, S]: key s is allowed iff it is a real token. The size-1
  axis broadcasts over the T queries: padding hides keys, not queries.

Both broadcast against [B, T, S] scores (and [B, H, T, S] once a head axis is added);
combine them with `&`: causal_mask(T) & padding_mask(is_pad) is [B, T, T].
Shapes: B batch, T queries, S keys (S = T in self-attention).
"""

import torch
from torch import Tensor


# --8<-- [start:causal_mask]
def causal_mask(T: int) -> Tensor:
    """Bool [T, T]: entry [t, s] is True iff s <= t (the lower triangle, diagonal included)."""
    return torch.ones(T, T, dtype=torch.bool).tril()  # tril keeps s <= t, zeroes s > t
# --8<-- [end:causal_mask]


# --8<-- [start:padding_mask]
def padding_mask(is_pad: Tensor) -> Tensor:
    """Bool [B, 1, S]: True where key s is a real token, for every query alike.

    is_pad must be bool: `~` on a 0/1 integer tensor is bitwise NOT (-1, -2), both nonzero,
    so such a "mask" would hide nothing."""
    return ~is_pad[:, None, :]  # [B, S] -> [B, 1, S]: one row, shared by all T queries
# --8<-- [end:padding_mask]
