"""The decode step caches the latents but up-projects all of them to keys and values at every step."""
import math

import torch

from solutions.kv_cache import causal_mask_lower_right
from solutions.mla import LatentKVCache, MultiHeadLatentAttention
from solutions.multi_head import merge_heads, split_heads


def mla_decode_step(attn, x_new, cache):
    T, H = x_new.size(1), attn.n_heads
    q_r, k_r = attn.rope_parts(x_new, torch.arange(cache.seq_len, cache.seq_len + T))
    c, k_r = cache.update(attn.kv_down(x_new), k_r)
    k = split_heads(attn.k_up(c), H)  # every cached token rebuilt into H keys ...
    v = split_heads(attn.v_up(c), H)  # ... and H values
    q = torch.cat([split_heads(attn.q_proj(x_new), H), q_r], dim=-1)
    k = torch.cat([k, k_r[:, None].expand(-1, H, -1, -1)], dim=-1)
    scores = (q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))).masked_fill(
        ~causal_mask_lower_right(T, c.size(1)), float("-inf"))
    return attn.out_proj(merge_heads(scores.softmax(-1) @ v))


MUST_FAIL = {
    "checks/test_mla.py::test_an_absorbed_decode_step_costs_4_h_c_plus_2_h_r_flops_per_cached_token_never_up_projecting_the_cache",
}
