"""GPT-2-style attention that declares causal_only but forgets the causal mask: it applies only the mask it is given."""

import torch
from torch import nn

from solutions.attention import attention_weights, scaled_dot_product_attention  # noqa: F401  the other components,
from solutions.masking import causal_mask, padding_mask  # noqa: F401  correct, for the checks that combine them
from solutions.multi_head import merge_heads, split_heads


class MultiHeadAttention(nn.Module):
    causal_only = True  # the declaration says so, the forward does not

    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.qkv_proj = nn.Linear(d_model, 3 * d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, x, mask=None):
        q, k, v = (split_heads(y, self.n_heads) for y in self.qkv_proj(x).chunk(3, dim=-1))
        if mask is not None:
            mask = mask.unsqueeze(-3)  # [B, 1, T, S]
        heads = scaled_dot_product_attention(q, k, v, mask)  # no torch.ones(T, T).tril() anywhere
        return self.out_proj(merge_heads(heads))


MUST_FAIL = {
    "checks/test_multi_head.py::test_multi_head_attention_matches_torch_multihead_attention",
    "checks/test_multi_head.py::test_masked_multi_head_attention_matches_torch_multihead_attention",
    "checks/test_multi_head.py::test_one_fused_projection_then_reshape_equals_h_separate_per_head_projections",
    "checks/test_masking.py::test_causal_output_at_t_depends_on_every_token_up_to_t_and_on_none_after",
    "checks/test_masking.py::test_causal_output_at_t_ignores_tokens_after_t",
    "checks/test_masking.py::test_combined_causal_and_padding_mask_equals_applying_both",
    "checks/test_masking.py::test_parallel_causal_forward_equals_step_by_step_decoding_on_the_same_prefix",
    "checks/test_attention_concepts.py::test_self_attention_projects_queries_keys_and_values_from_one_sequence_then_mixes_the_values",
}
