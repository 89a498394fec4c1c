"""RoPE is applied to the queries only ("position goes into what is asked"): the keys carry no
position, so scores depend on the query's absolute position instead of the offset."""

import torch
from torch import nn

from solutions.gqa import grouped_query_attention
from solutions.multi_head import merge_heads, split_heads
from solutions.rope import apply_rope


class GroupedQueryAttention(nn.Module):
    def __init__(self, d_model, n_heads, n_kv_heads, bias=False, rope_base=None):
        super().__init__()
        Dk = d_model // n_heads
        self.n_heads, self.n_kv_heads, self.rope_base = n_heads, n_kv_heads, rope_base
        self.q_proj = nn.Linear(d_model, n_heads * Dk, bias=bias)
        self.k_proj = nn.Linear(d_model, n_kv_heads * Dk, bias=bias)
        self.v_proj = nn.Linear(d_model, n_kv_heads * Dk, bias=bias)
        self.out_proj = nn.Linear(n_heads * Dk, d_model, bias=bias)

    def forward(self, x, mask=None):
        q = split_heads(self.q_proj(x), self.n_heads)
        k = split_heads(self.k_proj(x), self.n_kv_heads)
        v = split_heads(self.v_proj(x), self.n_kv_heads)
        if self.rope_base is not None:
            q = apply_rope(q, torch.arange(x.size(1)), self.rope_base)
        mask = None if mask is None else mask.unsqueeze(-3)
        return self.out_proj(merge_heads(grouped_query_attention(q, k, v, mask)))


MUST_FAIL = {
    "checks/test_gqa.py::test_with_rope_the_module_rotates_queries_and_keys_after_projecting_them_and_leaves_values_alone",
}
