"""K/V heads are shared with `repeat` (cycling 0, 1, 0, 1, ...) instead of `repeat_interleave`
(0, 0, 1, 1, ...): query head h reads K/V head h % Hkv instead of h // (H / Hkv)."""

import torch
from torch import nn

from solutions.attention import scaled_dot_product_attention
from solutions.multi_head import merge_heads, split_heads
from solutions.rope import apply_rope


def grouped_query_attention(q, k, v, mask=None):
    G = q.size(-3) // k.size(-3)
    return scaled_dot_product_attention(q, k.repeat(1, G, 1, 1), v.repeat(1, G, 1, 1), mask)


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
            positions = torch.arange(x.size(1))
            q, k = apply_rope(q, positions, self.rope_base), apply_rope(k, positions, self.rope_base)
        mask = None if mask is None else mask.unsqueeze(-3)
        return self.out_proj(merge_heads(grouped_query_attention(q, k, v, mask)))


MUST_FAIL = {
    "checks/test_gqa.py::test_grouped_query_attention_equals_torch_sdpa_with_enable_gqa",
    "checks/test_gqa.py::test_the_module_equals_multi_head_attention_with_each_kv_head_repeated_for_its_group",
}
