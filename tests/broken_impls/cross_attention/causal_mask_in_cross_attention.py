"""Cross-attention applies the decoder's causal mask: target position t may only read source positions <= t."""

import torch

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  with cross-attention
from solutions.positional import sinusoidal_positions  # noqa: F401


class CrossAttention(MultiHeadAttention):
    def forward(self, x, memory, mask=None):
        T, S = x.size(1), memory.size(1)
        causal = torch.ones(T, S, dtype=torch.bool).tril()  # copied from the self-attention sub-layer
        return super().forward(x, memory, memory, causal if mask is None else mask & causal)


MUST_FAIL = set()
