"""The projections never get a bias ("LLaMA has none"), whatever `bias` says: the layer cannot
load the weights of a multi-head attention layer that has biases."""

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
        self.q_proj = nn.Linear(d_model, n_heads * Dk, bias=False)
        self.k_proj = nn.Linear(d_model, n_kv_heads * Dk, bias=False)
        self.v_proj = nn.Linear(d_model, n_kv_heads * Dk, bias=False)
        self.out_proj = nn.Linear(n_heads * Dk, d_model, bias=False)

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
    "checks/test_gqa.py::test_with_as_many_kv_heads_as_query_heads_the_module_is_multi_head_attention",
    "checks/test_gqa.py::test_the_module_equals_multi_head_attention_with_each_kv_head_repeated_for_its_group",
}
