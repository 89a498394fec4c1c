"""A fused QKV projection split in the wrong order: the first D output rows used as the keys, the next D as the queries."""

from torch import nn

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.multi_head import merge_heads, split_heads


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.qkv_proj = nn.Linear(d_model, 3 * d_model)  # the contract's layout: rows [W_Q; W_K; W_V]
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, query, key, value, mask=None):
        D = query.size(-1)
        w, b = self.qkv_proj.weight, self.qkv_proj.bias
        k = split_heads(nn.functional.linear(key, w[:D], b[:D]), self.n_heads)  # rows 0..D-1 are W_Q, not W_K
        q = split_heads(nn.functional.linear(query, w[D:2 * D], b[D:2 * D]), self.n_heads)
        v = split_heads(nn.functional.linear(value, w[2 * D:], b[2 * D:]), self.n_heads)
        if mask is not None:
            mask = mask.unsqueeze(-3)
        return self.out_proj(merge_heads(scaled_dot_product_attention(q, k, v, mask)))


MUST_FAIL = {
    "checks/test_multi_head.py::test_multi_head_attention_matches_torch_multihead_attention",
    "checks/test_multi_head.py::test_masked_multi_head_attention_matches_torch_multihead_attention",
    "checks/test_multi_head.py::test_one_fused_projection_then_reshape_equals_h_separate_per_head_projections",
    "checks/test_multi_head.py::test_two_heads_take_different_features_from_different_tokens_where_one_head_cannot",
    "checks/test_masking.py::test_combined_causal_and_padding_mask_equals_applying_both",
    "checks/test_attention_concepts.py::test_self_attention_projects_queries_keys_and_values_from_one_sequence_then_mixes_the_values",
}
