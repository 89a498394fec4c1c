"""Cross-attention takes its keys and values from the decoder states x instead of the encoder output: self-attention by mistake."""

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  with cross-attention
from solutions.positional import sinusoidal_positions  # noqa: F401


class CrossAttention(MultiHeadAttention):
    def forward(self, x, memory, mask=None):
        return super().forward(x, x, x)  # should be (x, memory, memory); the source mask no longer fits


MUST_FAIL = set()
