"""The "cache" keeps the layer's inputs and re-projects all of them at every step: the outputs
are right, but each step redoes the K/V projections of the whole prefix."""

import torch

from solutions.gqa import grouped_query_attention
from solutions.kv_cache import RollingKVCache, causal_mask_lower_right, sliding_window_mask
from solutions.multi_head import merge_heads, split_heads
from solutions.rope import apply_rope

# other components the checks of this one run with (correct ones)
from solutions.gqa import GroupedQueryAttention  # noqa: F401


class KVCache:
    def __init__(self):
        self.x = self.k = self.v = None
        self.seq_len = 0

    def update(self, k_new, v_new):  # what decode_step does not use: it recomputes everything
        self.k = k_new if self.k is None else torch.cat([self.k, k_new], dim=-2)
        self.v = v_new if self.v is None else torch.cat([self.v, v_new], dim=-2)
        self.seq_len += k_new.size(-2)
        return self.k, self.v


def decode_step(attn, x_new, cache):
    T = x_new.size(1)
    cache.x = x_new if cache.x is None else torch.cat([cache.x, x_new], dim=1)
    S = cache.x.size(1)
    q = split_heads(attn.q_proj(x_new), attn.n_heads)
    k = split_heads(attn.k_proj(cache.x), attn.n_kv_heads)  # the whole prefix, again
    v = split_heads(attn.v_proj(cache.x), attn.n_kv_heads)
    if attn.rope_base is not None:
        q = apply_rope(q, torch.arange(S - T, S, device=x_new.device), attn.rope_base)
        k = apply_rope(k, torch.arange(S, device=x_new.device), attn.rope_base)
    cache.k, cache.v, cache.seq_len = k, v, S
    mask = causal_mask_lower_right(T, S).to(x_new.device)
    return attn.out_proj(merge_heads(grouped_query_attention(q, k, v, mask)))


MUST_FAIL = {
    "checks/test_kv_cache.py::test_a_cached_step_costs_4d2_plus_4_hkv_dk_d_plus_4td_flops_per_attention_layer_against_8td2_plus_4t2d_to_recompute",
    "checks/test_kv_cache.py::test_a_decode_step_does_about_one_flop_per_byte_read_at_batch_1_so_it_is_memory_bound",
}
