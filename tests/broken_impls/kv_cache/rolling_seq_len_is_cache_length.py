"""The rolling cache reports the number of positions it holds as seq_len: once the window is
full, every new token gets the same RoPE position."""

import torch

from solutions.kv_cache import KVCache, causal_mask_lower_right, decode_step, sliding_window_mask

# other components the checks of this one run with (correct ones)
from solutions.gqa import GroupedQueryAttention  # noqa: F401


class RollingKVCache:
    def __init__(self, window):
        self.window = window
        self.k = self.v = None

    @property
    def seq_len(self):
        return 0 if self.k is None else self.k.size(-2)

    def update(self, k_new, v_new):
        k = k_new if self.k is None else torch.cat([self.k, k_new], dim=-2)
        v = v_new if self.v is None else torch.cat([self.v, v_new], dim=-2)
        self.k, self.v = k[..., -self.window:, :], v[..., -self.window:, :]
        return self.k, self.v


MUST_FAIL = {
    "checks/test_sliding_window.py::test_decoding_with_a_rolling_cache_equals_band_masked_attention_and_the_cache_never_outgrows_the_window",
}
