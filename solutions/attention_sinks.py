"""Attention sinks (StreamingLLM, Xiao et al. 2023) and the off-by-one softmax.

Softmax weights are positive and sum to 1, so a query with nothing relevant to read must still
put its mass somewhere; trained models park it on the first tokens (they are visible to every
query). A sliding-window cache that evicts those tokens removes that mass: the softmax
renormalises over the window and the output moves. Keeping `sinks` first positions plus the
last `window` keeps it: query t may read key s iff s <= t and (s < sinks or t - window < s).

The off-by-one softmax (softmax₁) adds a zero logit that no value sits behind:

    softmax₁(x)_i = exp(x_i) / (1 + Σ_j exp(x_j))

so the weights sum to less than 1, and a query whose scores are all very negative attends to
(almost) nothing. Computed stably with m = max(0, max_j x_j): exp(x_i - m) / (exp(-m) + Σ exp(x_j - m)).
"""

import torch
from torch import Tensor


# --8<-- [start:sink_window_mask]
def sink_window_mask(T: int, sinks: int, window: int) -> Tensor:
    """Bool [T, T]: the first `sinks` positions and the last `window` ones, never the future."""
    t = torch.arange(T)[:, None]  # query positions, a column
    s = torch.arange(T)[None, :]  # key positions, a row
    return (s <= t) & ((s < sinks) | (s > t - window))
# --8<-- [end:sink_window_mask]


# --8<-- [start:softmax_off_by_one]
def softmax_off_by_one(x: Tensor, dim: int = -1) -> Tensor:
    """softmax with an extra zero logit: exp(x_i) / (1 + Σ exp(x_j)); weights sum to < 1."""
    m = x.amax(dim=dim, keepdim=True).clamp(min=0)  # the zero logit takes part in the max
    e = (x - m).exp()
    return e / ((-m).exp() + e.sum(dim=dim, keepdim=True))
# --8<-- [end:softmax_off_by_one]
