"""The cache preallocates room for 4096 positions and keeps the whole buffer as `k` and `v`:
decoding is right, but the cache holds 4096 positions of memory from the first token on."""

import torch

from solutions.kv_cache import RollingKVCache, causal_mask_lower_right, decode_step, sliding_window_mask

# other components the checks of this one run with (correct ones)
from solutions.gqa import GroupedQueryAttention  # noqa: F401

MAX_LEN = 4096


class KVCache:
    def __init__(self):
        self.k = self.v = None
        self.seq_len = 0

    def update(self, k_new, v_new):
        if self.k is None:
            B, Hkv, _, Dk = k_new.shape
            self.k = k_new.new_zeros(B, Hkv, MAX_LEN, Dk)
            self.v = v_new.new_zeros(B, Hkv, MAX_LEN, v_new.size(-1))
        end = self.seq_len + k_new.size(-2)
        self.k[..., self.seq_len:end, :] = k_new
        self.v[..., self.seq_len:end, :] = v_new
        self.seq_len = end
        return self.k[..., :end, :], self.v[..., :end, :]


MUST_FAIL = {
    "checks/test_kv_cache.py::test_decoding_one_position_at_a_time_with_the_cache_equals_the_full_causal_forward",
    "checks/test_kv_cache.py::test_the_cache_of_llama_2_7b_takes_half_a_mebibyte_per_token_in_float16",
}
