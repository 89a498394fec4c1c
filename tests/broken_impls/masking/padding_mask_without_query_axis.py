"""The padding mask is returned as [B, S], without the size-1 query axis that broadcasts over the T queries."""

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  correct, for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with masks
from solutions.positional import sinusoidal_positions  # noqa: F401
from solutions.masking import causal_mask  # noqa: F401  the component's other name, correct


def padding_mask(is_pad):
    return ~is_pad  # [B, S]: against [B, T, S] scores it lines B up with T


MUST_FAIL = set()
