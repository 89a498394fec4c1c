"""Each head's scores are divided by √d_model instead of √Dk (an extra factor 1/√H)."""

import math

import torch
from torch import nn

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.cross_attention import CrossAttention  # noqa: F401  with multi-head attention
from solutions.positional import sinusoidal_positions  # noqa: F401
from solutions.multi_head import merge_heads, split_heads


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads, self.d_model = n_heads, d_model
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d_model, d_model) for _ in range(4))

    def forward(self, query, key, value, mask=None):
        q, k, v = (split_heads(p(x), self.n_heads) for p, x in ((self.q_proj, query), (self.k_proj, key), (self.v_proj, value)))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_model)  # should be √(d_model / n_heads)
        if mask is not None:
            scores = scores.masked_fill(~mask.unsqueeze(-3), float("-inf"))
            weights = torch.where(mask.unsqueeze(-3).any(-1, keepdim=True), scores.softmax(-1), 0.0)
        else:
            weights = scores.softmax(-1)
        return self.out_proj(merge_heads(weights @ v))


MUST_FAIL = {
    "checks/test_cross_attention.py::test_cross_attention_is_multi_head_attention_and_with_memory_equal_to_x_it_is_self_attention",
    "checks/test_masking.py::test_combined_causal_and_padding_mask_equals_applying_both",
    "checks/test_masking.py::test_masked_multi_head_attention_matches_torch_multihead_attention_with_key_padding_mask",
    "checks/test_multi_head.py::test_masked_multi_head_attention_matches_torch_multihead_attention",
    "checks/test_multi_head.py::test_multi_head_attention_matches_torch_multihead_attention",
    "checks/test_multi_head.py::test_one_fused_projection_then_reshape_equals_h_separate_per_head_projections",
}
