"""The step attends over the cache before appending the new key and value: after the first
step, a position never sees itself."""

import torch

from solutions.gqa import grouped_query_attention
from solutions.kv_cache import KVCache, RollingKVCache, causal_mask_lower_right, sliding_window_mask
from solutions.multi_head import merge_heads, split_heads
from solutions.rope import apply_rope

# other components the checks of this one run with (correct ones)
from solutions.gqa import GroupedQueryAttention  # noqa: F401


def decode_step(attn, x_new, cache):
    T = x_new.size(1)
    q = split_heads(attn.q_proj(x_new), attn.n_heads)
    k = split_heads(attn.k_proj(x_new), attn.n_kv_heads)
    v = split_heads(attn.v_proj(x_new), attn.n_kv_heads)
    if attn.rope_base is not None:
        positions = torch.arange(cache.seq_len, cache.seq_len + T, device=x_new.device)
        q, k = apply_rope(q, positions, attn.rope_base), apply_rope(k, positions, attn.rope_base)
    past_k, past_v = (k, v) if cache.k is None else (cache.k, cache.v)  # the past, "then" add the new ones
    mask = causal_mask_lower_right(T, past_k.size(-2)).to(x_new.device) if past_k.size(-2) >= T else None
    out = grouped_query_attention(q, past_k, past_v, mask)
    cache.update(k, v)
    return attn.out_proj(merge_heads(out))


MUST_FAIL = {
    "checks/test_kv_cache.py::test_decoding_one_position_at_a_time_with_the_cache_equals_the_full_causal_forward",
}
