"""The table is returned as an nn.Parameter, so it requires grad and an optimiser would train it."""

import torch
from torch import nn

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.multi_head import MultiHeadAttention, merge_heads, split_heads  # noqa: F401  with positions
from solutions.cross_attention import CrossAttention  # noqa: F401
from solutions.positional import sinusoidal_positions as _fixed_table


def sinusoidal_positions(T, D, dtype=torch.float32):
    return nn.Parameter(_fixed_table(T, D, dtype))  # should be a plain tensor (a buffer in a module)


MUST_FAIL = {
    "checks/test_positional.py::test_sinusoidal_table_is_a_constant_with_nothing_to_train",
}
