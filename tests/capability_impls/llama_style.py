"""A learner's code base in the style of LLaMA inference code (gpt-fast, llama.c ports), graded
through declared capabilities (checks/capabilities.py; tests/test_capabilities.py runs the
grouped-query, KV-cache and sliding-window checks on it).

- GroupedQueryAttention: always causal and takes no mask at all (`causal_only = True`,
  `mask_format = None`): forward(x) calls F.scaled_dot_product_attention with is_causal=True
  and enable_gqa=True, RoPE on q and k when rope_base is given. Separate q/k/v projections,
  no biases by default, as LLaMA's.
- The KV cache, its masks and decode_step, and grouped_query_attention: the reference ones
  (solutions/), which read the module's projections: this file is about the module's calling
  convention, not a second cache.
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from solutions.gqa import grouped_query_attention  # noqa: F401  (the contract name, re-exported)
from solutions.kv_cache import (KVCache, RollingKVCache, causal_mask_lower_right,  # noqa: F401
                                decode_step, sliding_window_mask)
from solutions.rope import apply_rope


class GroupedQueryAttention(nn.Module):
    causal_only = True
    mask_format = None

    def __init__(self, d_model: int, n_heads: int, n_kv_heads: int, bias: bool = False,
                 rope_base: float | None = None):
        super().__init__()
        Dk = d_model // n_heads
        self.n_heads, self.n_kv_heads, self.rope_base = n_heads, n_kv_heads, rope_base
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, n_kv_heads * Dk, bias=bias)
        self.v_proj = nn.Linear(d_model, n_kv_heads * Dk, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        B, T, D = x.shape
        q = self.q_proj(x).view(B, T, self.n_heads, -1).transpose(1, 2)  # [B, H, T, Dk]
        k = self.k_proj(x).view(B, T, self.n_kv_heads, -1).transpose(1, 2)  # [B, Hkv, T, Dk]
        v = self.v_proj(x).view(B, T, self.n_kv_heads, -1).transpose(1, 2)
        if self.rope_base is not None:
            positions = torch.arange(T)
            q, k = apply_rope(q, positions, self.rope_base), apply_rope(k, positions, self.rope_base)
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        return self.out_proj(out.transpose(1, 2).reshape(B, T, D))
