"""Autoregressive decoding with a KV cache.

Under a causal mask the key and value of position s depend only on positions <= s, so once
computed they never change. A decoder keeps them per layer and, for new positions, projects
only those, appends their keys and values, and attends from the new queries over the cache:
the outputs equal the full causal forward. Memory: 2·Hkv·Dk numbers per position per layer.

Several new positions at once (chunked prefill, checking drafted tokens) need the causal mask
aligned to the bottom-right: query i of T new ones sits at position S - T + i.

Sliding-window attention (Mistral) lets position t read only t - w < s <= t; a rolling cache
keeps only the last w positions, so its memory stops growing at w.
Shapes: B batch, Hkv key/value heads, T new positions, S cached positions, D = d_model.
"""

import torch
from torch import Tensor, nn

from solutions.gqa import grouped_query_attention
from solutions.multi_head import merge_heads, split_heads
from solutions.rope import apply_rope


# --8<-- [start:KVCache]
class KVCache:
    def __init__(self):
        self.k = self.v = None  # [B, Hkv, S, Dk], [B, Hkv, S, Dv]
        self.seq_len = 0

    def update(self, k_new: Tensor, v_new: Tensor) -> tuple[Tensor, Tensor]:
        self.k = k_new if self.k is None else torch.cat([self.k, k_new], dim=-2)  # along positions
        self.v = v_new if self.v is None else torch.cat([self.v, v_new], dim=-2)
        self.seq_len += k_new.size(-2)
        return self.k, self.v
# --8<-- [end:KVCache]


# --8<-- [start:RollingKVCache]
class RollingKVCache(KVCache):
    def __init__(self, window: int):
        super().__init__()
        self.window = window

    def update(self, k_new: Tensor, v_new: Tensor) -> tuple[Tensor, Tensor]:
        k, v = super().update(k_new, v_new)
        self.k, self.v = k[..., -self.window:, :], v[..., -self.window:, :]  # drop what fell out
        return self.k, self.v
# --8<-- [end:RollingKVCache]


# --8<-- [start:causal_mask_lower_right]
def causal_mask_lower_right(T: int, S: int) -> Tensor:
    """[T, S]: query i (at position S - T + i) sees keys 0 .. S - T + i."""
    return torch.ones(T, S, dtype=torch.bool).tril(diagonal=S - T)
# --8<-- [end:causal_mask_lower_right]


# --8<-- [start:sliding_window_mask]
def sliding_window_mask(T: int, window: int) -> Tensor:
    """[T, T]: query t sees keys t - window + 1 .. t."""
    return torch.ones(T, T, dtype=torch.bool).tril().triu(diagonal=1 - window)
# --8<-- [end:sliding_window_mask]


# --8<-- [start:decode_step]
def decode_step(attn: nn.Module, x_new: Tensor, cache: KVCache) -> Tensor:
    T = x_new.size(1)
    q = split_heads(attn.q_proj(x_new), attn.n_heads)  # [B, H, T, Dk]: new positions only
    k = split_heads(attn.k_proj(x_new), attn.n_kv_heads)  # [B, Hkv, T, Dk]
    v = split_heads(attn.v_proj(x_new), attn.n_kv_heads)
    if attn.rope_base is not None:  # the new positions come after the cached ones
        positions = torch.arange(cache.seq_len, cache.seq_len + T)  # apply_rope moves them to x's device
        q, k = apply_rope(q, positions, attn.rope_base), apply_rope(k, positions, attn.rope_base)
    k, v = cache.update(k, v)  # [B, Hkv, S, Dk]: cached, then new
    mask = causal_mask_lower_right(T, k.size(-2)).to(x_new.device)
    return attn.out_proj(merge_heads(grouped_query_attention(q, k, v, mask)))
# --8<-- [end:decode_step]
