"""n_kv_heads is accepted and ignored: K and V keep one head per query head, so nothing is
saved, neither parameters nor cache (it is plain multi-head attention)."""

import torch
from torch import nn

from solutions.gqa import grouped_query_attention
from solutions.multi_head import merge_heads, split_heads
from solutions.rope import apply_rope

# other components the checks of this one run with (correct ones)
from solutions.kv_cache import KVCache, decode_step  # noqa: F401


class GroupedQueryAttention(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads, bias=False, rope_base=None):
        super().__init__()
        self.n_heads, self.n_kv_heads, self.rope_base = n_heads, n_heads, rope_base  # "the same as MHA"
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, x, mask=None):
        q = split_heads(self.q_proj(x), self.n_heads)
        k = split_heads(self.k_proj(x), self.n_kv_heads)
        v = split_heads(self.v_proj(x), self.n_kv_heads)
        if self.rope_base is not None:
            positions = torch.arange(x.size(1))
            q, k = apply_rope(q, positions, self.rope_base), apply_rope(k, positions, self.rope_base)
        mask = None if mask is None else mask.unsqueeze(-3)
        return self.out_proj(merge_heads(grouped_query_attention(q, k, v, mask)))


MUST_FAIL = {
    "checks/test_gqa.py::test_the_module_equals_multi_head_attention_with_each_kv_head_repeated_for_its_group",
    "checks/test_gqa.py::test_kv_projection_parameters_shrink_by_h_over_hkv_and_nothing_else_changes",
    "checks/test_gqa.py::test_the_kv_cache_shrinks_by_h_over_hkv",
    "checks/test_gqa.py::test_grouping_leaves_the_attention_flops_unchanged_only_the_kv_projections_shrink",
    "checks/test_gqa.py::test_llama_2_70b_caches_1_34_gb_per_4k_token_sequence_against_10_7_gb_with_a_kv_head_per_query_head",
}
