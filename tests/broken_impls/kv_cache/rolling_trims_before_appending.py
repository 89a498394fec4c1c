"""The rolling cache trims to `window` positions before appending the new one, so it holds and
returns window + 1 positions: each query reads one key too many."""

import torch

from solutions.kv_cache import KVCache, causal_mask_lower_right, decode_step, sliding_window_mask

# other components the checks of this one run with (correct ones)
from solutions.gqa import GroupedQueryAttention  # noqa: F401


class RollingKVCache(KVCache):
    def __init__(self, window):
        super().__init__()
        self.window = window

    def update(self, k_new, v_new):
        if self.k is not None:
            self.k, self.v = self.k[..., -self.window:, :], self.v[..., -self.window:, :]
        return super().update(k_new, v_new)


MUST_FAIL = {
    "checks/test_sliding_window.py::test_decoding_with_a_rolling_cache_equals_band_masked_attention_and_the_cache_never_outgrows_the_window",
    "checks/test_sliding_window.py::test_with_the_rolling_cache_each_query_scores_at_most_w_keys_so_the_flops_grow_linearly_in_t",
}
