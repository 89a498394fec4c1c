"""The padding mask is True at the pads (PyTorch's key_padding_mask convention) instead of True at real tokens."""

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  correct, for the checks
from solutions.cross_attention import CrossAttention  # noqa: F401  that combine them with masks
from solutions.positional import sinusoidal_positions  # noqa: F401
from solutions.masking import causal_mask  # noqa: F401  the component's other name, correct


def padding_mask(is_pad):
    return is_pad[:, None, :]  # should be ~is_pad


MUST_FAIL = set()
