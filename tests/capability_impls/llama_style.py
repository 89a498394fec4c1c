"""A learner's code base in the style of LLaMA inference code (gpt-fast, llama.c ports), graded
through declared capabilities (checks/capabilities.py; tests/test_capabilities.py runs the
grouped-query, KV-cache and sliding-window checks on it).

- GroupedQueryAttention: always causal and takes no mask at all (`causal_only = True`,
  `mask_format = None`): forward(x) calls F.scaled_dot_product_attention with is_causal=True
  and enable_gqa=True, RoPE on q and k when rope_base is given. Its projections and sizes are
  the reference's (separate q/k/v, no biases by default, as LLaMA's).
- The KV cache, its masks and decode_step, and grouped_query_attention: the reference ones
  (solutions/), which read the module's projections: this file is about the module's calling
  convention, not a second cache.
"""

import torch
import torch.nn.functional as F
from torch import Tensor

from solutions import gqa
from solutions.gqa import grouped_query_attention  # noqa: F401  (the contract name, re-exported)
from solutions.kv_cache import (KVCache, RollingKVCache, causal_mask_lower_right,  # noqa: F401
                                decode_step, sliding_window_mask)
from solutions.rope import apply_rope


class GroupedQueryAttention(gqa.GroupedQueryAttention):
    """The reference's projections and sizes (q_proj, k_proj, v_proj, out_proj); its own forward."""

    causal_only = True
    mask_format = None

    def heads(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """q [B, H, T, Dk], k and v [B, Hkv, T, Dk], RoPE on q and k when rope_base is given."""
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.n_heads, -1).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.n_kv_heads, -1).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.n_kv_heads, -1).transpose(1, 2)
        if self.rope_base is not None:
            positions = torch.arange(T)
            q, k = apply_rope(q, positions, self.rope_base), apply_rope(k, positions, self.rope_base)
        return q, k, v

    def forward(self, x: Tensor) -> Tensor:
        B, T, D = x.shape
        out = F.scaled_dot_product_attention(*self.heads(x), is_causal=True, enable_gqa=True)
        return self.out_proj(out.transpose(1, 2).reshape(B, T, D))
