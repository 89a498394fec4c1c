"""The module defines out_proj (W_O) but forward returns the concatenated heads without applying it."""

from torch import nn

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.cross_attention import CrossAttention  # noqa: F401  with multi-head attention
from solutions.positional import sinusoidal_positions  # noqa: F401
from solutions.multi_head import merge_heads, split_heads


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d_model, d_model) for _ in range(4))

    def forward(self, query, key, value, mask=None):
        q, k, v = (split_heads(p(x), self.n_heads) for p, x in ((self.q_proj, query), (self.k_proj, key), (self.v_proj, value)))
        if mask is not None:
            mask = mask.unsqueeze(-3)
        return merge_heads(scaled_dot_product_attention(q, k, v, mask))  # forgot self.out_proj


MUST_FAIL = {
    "checks/test_attention_concepts.py::test_changing_the_value_projection_changes_the_output_but_not_the_attention_weights",
    "checks/test_attention_concepts.py::test_self_attention_projects_queries_keys_and_values_from_one_sequence_then_mixes_the_values",
    "checks/test_cross_attention.py::test_cross_attention_is_multi_head_attention_and_with_memory_equal_to_x_it_is_self_attention",
    "checks/test_masking.py::test_combined_causal_and_padding_mask_equals_applying_both",
    "checks/test_masking.py::test_masked_multi_head_attention_matches_torch_multihead_attention_with_key_padding_mask",
    "checks/test_multi_head.py::test_masked_multi_head_attention_matches_torch_multihead_attention",
    "checks/test_multi_head.py::test_multi_head_attention_matches_torch_multihead_attention",
    "checks/test_multi_head.py::test_one_fused_projection_then_reshape_equals_h_separate_per_head_projections",
    "checks/test_multi_head.py::test_output_is_the_sum_over_heads_of_each_head_through_its_own_block_of_w_o",
    "checks/test_multi_head.py::test_with_dk_d_over_h_multi_head_self_attention_costs_the_flops_of_one_full_width_head",
    "checks/test_multi_head.py::test_without_the_reduction_the_concatenation_is_h_times_d_model_wide_and_the_cost_grows_h_fold",
}
