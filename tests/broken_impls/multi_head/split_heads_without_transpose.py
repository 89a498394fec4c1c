"""Heads are split with x.view(B, H, T, Dk) (and merged back with the matching view), without the transpose."""

from torch import nn

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.cross_attention import CrossAttention  # noqa: F401  with multi-head attention
from solutions.positional import sinusoidal_positions  # noqa: F401


def split_heads(x, n_heads):
    B, T, D = x.shape
    return x.view(B, n_heads, T, D // n_heads)  # right shape, wrong contents


def merge_heads(x):
    B, H, T, Dk = x.shape
    return x.view(B, T, H * Dk)  # undoes the view above, so the round trip looks fine


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
    "checks/test_attention_concepts.py::test_an_output_depends_on_tokens_that_its_layers_weights_give_zero",
    "checks/test_attention_concepts.py::test_each_query_position_computed_alone_gives_its_row_of_the_all_positions_output",
    "checks/test_attention_concepts.py::test_without_a_mask_every_self_attention_output_depends_on_every_input_position",
    "checks/test_cross_attention.py::test_cross_attention_is_multi_head_attention_and_with_memory_equal_to_x_it_is_self_attention",
    "checks/test_masking.py::test_causal_output_at_t_depends_on_every_token_up_to_t_and_on_none_after",
    "checks/test_masking.py::test_changing_an_earlier_token_changes_later_outputs_even_under_the_causal_mask",
    "checks/test_masking.py::test_changing_padded_tokens_changes_no_output_at_real_positions",
    "checks/test_masking.py::test_combined_causal_and_padding_mask_equals_applying_both",
    "checks/test_masking.py::test_masked_multi_head_attention_matches_torch_multihead_attention_with_key_padding_mask",
    "checks/test_masking.py::test_parallel_causal_forward_equals_step_by_step_decoding_on_the_same_prefix",
    "checks/test_masking.py::test_with_left_padding_position_ids_must_count_from_each_sequences_first_real_token",
    "checks/test_multi_head.py::test_each_head_has_its_own_t_by_s_weights_so_the_number_of_scores_grows_h_fold",
    "checks/test_multi_head.py::test_heads_are_independent_before_the_output_projection",
    "checks/test_multi_head.py::test_masked_multi_head_attention_matches_torch_multihead_attention",
    "checks/test_multi_head.py::test_multi_head_attention_matches_torch_multihead_attention",
    "checks/test_multi_head.py::test_one_fused_projection_then_reshape_equals_h_separate_per_head_projections",
    "checks/test_multi_head.py::test_reshaping_to_b_h_t_dk_without_the_transpose_mixes_tokens_within_a_head",
    "checks/test_multi_head.py::test_split_heads_gives_head_h_the_features_h_dk_to_h_plus_1_dk_of_each_token",
    "checks/test_positional.py::test_mean_pooled_self_attention_output_is_permutation_invariant",
    "checks/test_positional.py::test_self_attention_without_positions_is_permutation_equivariant",
}
