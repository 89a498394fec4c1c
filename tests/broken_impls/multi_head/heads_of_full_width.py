"""Every head keeps the full width d_model (no division by H): the projections are d_model x H*d_model."""

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
        wide = n_heads * d_model  # each head d_model wide
        self.q_proj, self.k_proj, self.v_proj = (nn.Linear(d_model, wide) for _ in range(3))
        self.out_proj = nn.Linear(wide, d_model)

    def forward(self, query, key, value, mask=None):
        q, k, v = (split_heads(p(x), self.n_heads) for p, x in ((self.q_proj, query), (self.k_proj, key), (self.v_proj, value)))
        if mask is not None:
            mask = mask.unsqueeze(-3)
        return self.out_proj(merge_heads(scaled_dot_product_attention(q, k, v, mask)))


MUST_FAIL = {
    "checks/test_multi_head.py::test_with_dk_d_over_h_multi_head_has_the_parameters_of_one_full_width_head",
    "checks/test_multi_head.py::test_with_dk_d_over_h_multi_head_self_attention_costs_the_flops_of_one_full_width_head",
    "checks/test_multi_head.py::test_without_the_reduction_the_concatenation_is_h_times_d_model_wide_and_the_cost_grows_h_fold",
}
