"""The decode step rotates the new queries and rope keys at positions 0.., not after the cached ones."""
import math

import torch

from solutions.kv_cache import causal_mask_lower_right
from solutions.mla import LatentKVCache, MultiHeadLatentAttention
from solutions.multi_head import merge_heads, split_heads


def mla_decode_step(attn, x_new, cache):
    T, H, C = x_new.size(1), attn.n_heads, attn.d_latent
    q_r, k_r = attn.rope_parts(x_new, torch.arange(T))  # forgot cache.seq_len
    c, k_r = cache.update(attn.kv_down(x_new), k_r)
    q = split_heads(attn.q_proj(x_new), H)
    scores = (q @ attn.k_up.weight.view(H, -1, C)) @ c[:, None].transpose(-2, -1) + q_r @ k_r[:, None].transpose(-2, -1)
    scores = (scores / math.sqrt(q.size(-1) + attn.d_rope)).masked_fill(
        ~causal_mask_lower_right(T, c.size(1)), float("-inf"))
    return attn.out_proj(merge_heads(scores.softmax(-1) @ c[:, None] @ attn.v_up.weight.view(H, -1, C).transpose(-2, -1)))


MUST_FAIL = {
    "checks/test_mla.py::test_absorbed_decoding_from_the_latent_cache_equals_the_explicit_causal_forward",
}
