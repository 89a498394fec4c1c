"""The causal mask is built with triu: query t may attend to keys s >= t, the future instead of the past."""

import torch

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  correct, for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with masks
from solutions.positional import sinusoidal_positions  # noqa: F401
from solutions.masking import padding_mask  # noqa: F401  the component's other name, correct


def causal_mask(T):
    return torch.ones(T, T, dtype=torch.bool).triu()


MUST_FAIL = set()
