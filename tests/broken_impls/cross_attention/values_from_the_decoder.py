"""Cross-attention scores the encoder keys but reads the values from the decoder states (only defined when T = S)."""

import torch

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  with cross-attention
from solutions.positional import sinusoidal_positions  # noqa: F401


class CrossAttention(MultiHeadAttention):
    def forward(self, x, memory, mask=None):
        if x.size(1) != memory.size(1):
            raise RuntimeError(f"values from x need T == S, got T={x.size(1)}, S={memory.size(1)}")
        return super().forward(x, memory, x, mask)  # should be (x, memory, memory)


MUST_FAIL = set()
