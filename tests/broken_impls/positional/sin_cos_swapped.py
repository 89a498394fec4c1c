"""Even dimensions get the cosine and odd ones the sine."""

import torch

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  with positions
from solutions.cross_attention import CrossAttention  # noqa: F401


def sinusoidal_positions(T, D, dtype=torch.float32):
    t = torch.arange(T, dtype=torch.float64)[:, None]
    w = 10000.0 ** (-torch.arange(0, D, 2, dtype=torch.float64) / D)
    pe = torch.empty(T, D, dtype=torch.float64)
    pe[:, 0::2] = (t * w).cos()  # should be sin
    pe[:, 1::2] = (t * w).sin()
    return pe.to(dtype)


MUST_FAIL = set()
