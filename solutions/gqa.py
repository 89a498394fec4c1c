"""Grouped-query attention (Ainslie et al. 2023) and multi-query attention (Shazeer 2019).

H query heads, Hkv key/value heads, G = H / Hkv query heads per group:

    head h = Attention(Q_h, K_{h // G}, V_{h // G})

Hkv = H is multi-head attention, Hkv = 1 multi-query attention. The K and V projections have
Hkv·Dk outputs instead of H·Dk, and so does every cached key and value: both shrink by H / Hkv.
The attention itself still scores every query head against every key, so its FLOPs do not
change. Sharing a head is the same as repeating it: each K/V head is used by G consecutive
query heads (repeat_interleave, not repeat, which would cycle through them).

Shapes: B batch, T positions, D = d_model, H query heads, Hkv key/value heads, Dk = D / H.
Mask: bool, True = may attend, broadcastable to [B, T, T] (module) or [B, H, T, S] (function).
"""

import torch
from torch import Tensor, nn

from solutions.attention import scaled_dot_product_attention
from solutions.multi_head import merge_heads, split_heads
from solutions.rope import apply_rope


# --8<-- [start:grouped_query_attention]
def grouped_query_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    """q [B, H, T, Dk], k [B, Hkv, S, Dk], v [B, Hkv, S, Dv] -> [B, H, T, Dv]."""
    H, Hkv = q.size(-3), k.size(-3)
    if H % Hkv:
        raise ValueError(f"{H} query heads cannot be split into groups over {Hkv} key/value heads")
    k = k.repeat_interleave(H // Hkv, dim=-3)  # heads 0,0,..,1,1,..: query head h reads h // G
    v = v.repeat_interleave(H // Hkv, dim=-3)
    return scaled_dot_product_attention(q, k, v, mask)
# --8<-- [end:grouped_query_attention]


# --8<-- [start:GroupedQueryAttention]
class GroupedQueryAttention(nn.Module):
    """x [B, T, D] -> [B, T, D] with n_kv_heads key/value heads shared by n_heads query heads."""

    def __init__(self, d_model: int, n_heads: int, n_kv_heads: int, bias: bool = False,
                 rope_base: float | None = None):
        super().__init__()
        # H * Dk = D. A D that H does not divide, or an H that Hkv does not divide, fails at the
        # first forward (split_heads, grouped_query_attention)
        Dk = d_model // n_heads
        self.n_heads, self.n_kv_heads, self.rope_base = n_heads, n_kv_heads, rope_base
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, n_kv_heads * Dk, bias=bias)  # H / Hkv times smaller
        self.v_proj = nn.Linear(d_model, n_kv_heads * Dk, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        q = split_heads(self.q_proj(x), self.n_heads)  # [B, H, T, Dk]
        k = split_heads(self.k_proj(x), self.n_kv_heads)  # [B, Hkv, T, Dk]
        v = split_heads(self.v_proj(x), self.n_kv_heads)  # [B, Hkv, T, Dk]
        if self.rope_base is not None:  # position enters q and k only
            positions = torch.arange(x.size(1))  # [T]; apply_rope moves them to x's device
            q, k = apply_rope(q, positions, self.rope_base), apply_rope(k, positions, self.rope_base)
        if mask is not None:
            mask = mask.unsqueeze(-3)  # [B, T, T] -> [B, 1, T, T]: one mask for every head
        return self.out_proj(merge_heads(grouped_query_attention(q, k, v, mask)))
# --8<-- [end:GroupedQueryAttention]
