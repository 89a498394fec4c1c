"""Every dimension d gets sin(t / 10000^(2d/D)), with no cosines (the formula one source prints)."""

import torch

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  with positions
from solutions.cross_attention import CrossAttention  # noqa: F401


def sinusoidal_positions(T, D, dtype=torch.float32):
    t = torch.arange(T, dtype=torch.float64)[:, None]
    d = torch.arange(D, dtype=torch.float64)
    return torch.sin(t / 10000 ** (2 * d / D)).to(dtype)


MUST_FAIL = set()
