"""Each head projects only its own d_model/H slice of the input (block-diagonal projections), instead of all of x."""

import torch
from torch import nn

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.cross_attention import CrossAttention  # noqa: F401  with multi-head attention
from solutions.positional import sinusoidal_positions  # noqa: F401
from solutions.multi_head import merge_heads, split_heads


def _per_slice(linear, x, H):
    """Head h sees input features h*Dk .. (h+1)*Dk - 1 only: the diagonal blocks of the weight."""
    D = x.size(-1)
    Dk = D // H
    blocks = [x[..., h * Dk:(h + 1) * Dk] @ linear.weight[h * Dk:(h + 1) * Dk, h * Dk:(h + 1) * Dk].T for h in range(H)]
    return torch.cat(blocks, dim=-1) + linear.bias


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d_model, d_model) for _ in range(4))

    def forward(self, query, key, value, mask=None):
        q, k, v = (split_heads(_per_slice(p, x, self.n_heads), self.n_heads)
                   for p, x in ((self.q_proj, query), (self.k_proj, key), (self.v_proj, value)))
        if mask is not None:
            mask = mask.unsqueeze(-3)
        return self.out_proj(merge_heads(scaled_dot_product_attention(q, k, v, mask)))


MUST_FAIL = {
    "checks/test_cross_attention.py::test_cross_attention_is_multi_head_attention_and_with_memory_equal_to_x_it_is_self_attention",
    "checks/test_masking.py::test_combined_causal_and_padding_mask_equals_applying_both",
    "checks/test_masking.py::test_masked_multi_head_attention_matches_torch_multihead_attention_with_key_padding_mask",
    "checks/test_multi_head.py::test_every_head_reads_all_d_model_input_features_not_a_slice_of_them",
    "checks/test_multi_head.py::test_masked_multi_head_attention_matches_torch_multihead_attention",
    "checks/test_multi_head.py::test_multi_head_attention_matches_torch_multihead_attention",
    "checks/test_multi_head.py::test_one_fused_projection_then_reshape_equals_h_separate_per_head_projections",
    "checks/test_multi_head.py::test_with_dk_d_over_h_multi_head_self_attention_costs_the_flops_of_one_full_width_head",
    "checks/test_multi_head.py::test_without_the_reduction_the_concatenation_is_h_times_d_model_wide_and_the_cost_grows_h_fold",
}
