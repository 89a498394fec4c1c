"""The shared rope key is expanded to every head before it is cached: H·d_rope numbers per token, not d_rope."""
import math

import torch

from solutions.kv_cache import causal_mask_lower_right
from solutions.mla import LatentKVCache, MultiHeadLatentAttention
from solutions.multi_head import merge_heads, split_heads


def mla_decode_step(attn, x_new, cache):
    T, H, C = x_new.size(1), attn.n_heads, attn.d_latent
    q_r, k_r = attn.rope_parts(x_new, torch.arange(cache.seq_len, cache.seq_len + T, device=x_new.device))
    k_r = k_r.repeat(1, 1, H)  # [B, T, H * d_rope]: one copy per head, cached as such
    c, k_r = cache.update(attn.kv_down(x_new), k_r)
    k_r = split_heads(k_r, H)  # [B, H, S, d_rope]
    q = split_heads(attn.q_proj(x_new), H)
    scores = (q @ attn.k_up.weight.view(H, -1, C)) @ c[:, None].transpose(-2, -1) + q_r @ k_r.transpose(-2, -1)
    scores = (scores / math.sqrt(q.size(-1) + attn.d_rope)).masked_fill(
        ~causal_mask_lower_right(T, c.size(1)).to(x_new.device), float("-inf"))
    return attn.out_proj(merge_heads(scores.softmax(-1) @ c[:, None] @ attn.v_up.weight.view(H, -1, C).transpose(-2, -1)))


MUST_FAIL = {
    "checks/test_mla.py::test_the_latent_cache_holds_d_latent_plus_d_rope_numbers_per_token_against_2_h_dk_for_multi_head",
}
