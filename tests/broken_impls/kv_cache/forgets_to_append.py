"""The cache is overwritten instead of appended to: each step attends to its own key and value only."""

from solutions.kv_cache import RollingKVCache, causal_mask_lower_right, decode_step, sliding_window_mask

# other components the checks of this one run with (correct ones)
from solutions.gqa import GroupedQueryAttention  # noqa: F401
from solutions.feed_forward import FeedForward  # noqa: F401


class KVCache:
    def __init__(self):
        self.k = self.v = None
        self.seq_len = 0

    def update(self, k_new, v_new):
        self.k, self.v = k_new, v_new  # should be torch.cat([self.k, k_new], dim=-2)
        self.seq_len += k_new.size(-2)
        return self.k, self.v


MUST_FAIL = {
    "checks/test_kv_cache.py::test_decoding_one_position_at_a_time_with_the_cache_equals_the_full_causal_forward",
    "checks/test_kv_cache.py::test_prefilling_in_chunks_of_any_size_equals_the_full_causal_forward",
    "checks/test_kv_cache.py::test_a_cached_step_costs_4d2_plus_4_hkv_dk_d_plus_4td_flops_per_attention_layer_against_8td2_plus_4t2d_to_recompute",
    "checks/test_kv_cache.py::test_with_a_4d_ffn_a_cached_decoder_layer_step_costs_24d2_plus_4td_flops",
}
