"""split_heads(x, n) cuts D into pieces of width n (n read as the head width), giving D/n heads of n features."""

from torch import nn

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.cross_attention import CrossAttention  # noqa: F401  with multi-head attention
from solutions.positional import sinusoidal_positions  # noqa: F401


def split_heads(x, n_heads):
    B, T, D = x.shape
    return x.view(B, T, D // n_heads, n_heads).transpose(1, 2)  # [B, D/n, T, n]


def merge_heads(x):
    B, H, T, Dk = x.shape
    return x.transpose(1, 2).reshape(B, T, H * Dk)


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d_model, d_model) for _ in range(4))

    def forward(self, query, key, value, mask=None):
        q, k, v = (split_heads(p(x), self.n_heads) for p, x in ((self.q_proj, query), (self.k_proj, key), (self.v_proj, value)))
        if mask is not None:
            mask = mask.unsqueeze(-3)
        return self.out_proj(merge_heads(scaled_dot_product_attention(q, k, v, mask)))


MUST_FAIL = {
    "checks/test_attention_concepts.py::test_changing_the_value_projection_changes_the_output_but_not_the_attention_weights",
    "checks/test_attention_concepts.py::test_self_attention_projects_queries_keys_and_values_from_one_sequence_then_mixes_the_values",
    "checks/test_cross_attention.py::test_cross_attention_is_multi_head_attention_and_with_memory_equal_to_x_it_is_self_attention",
    "checks/test_masking.py::test_combined_causal_and_padding_mask_equals_applying_both",
    "checks/test_masking.py::test_masked_multi_head_attention_matches_torch_multihead_attention_with_key_padding_mask",
    "checks/test_multi_head.py::test_each_head_has_its_own_t_by_s_weights_so_the_number_of_scores_grows_h_fold",
    "checks/test_multi_head.py::test_heads_are_independent_before_the_output_projection",
    "checks/test_multi_head.py::test_masked_multi_head_attention_matches_torch_multihead_attention",
    "checks/test_multi_head.py::test_merge_heads_undoes_split_heads",
    "checks/test_multi_head.py::test_multi_head_attention_matches_torch_multihead_attention",
    "checks/test_multi_head.py::test_one_fused_projection_then_reshape_equals_h_separate_per_head_projections",
    "checks/test_multi_head.py::test_split_heads_gives_head_h_the_features_h_dk_to_h_plus_1_dk_of_each_token",
    "checks/test_multi_head.py::test_split_heads_undoes_merge_heads",
    "checks/test_multi_head.py::test_two_heads_take_different_features_from_different_tokens_where_one_head_cannot",
    "checks/test_scaling.py::test_unscaled_score_variance_falls_as_heads_increase_at_fixed_d_model",
}
