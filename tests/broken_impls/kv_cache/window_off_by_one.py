"""The sliding window admits t - window <= s <= t: window + 1 keys per query, one too many."""

import torch

from solutions.kv_cache import KVCache, RollingKVCache, causal_mask_lower_right, decode_step

# other components the checks of this one run with (correct ones)
from solutions.gqa import GroupedQueryAttention  # noqa: F401
from solutions.attention import scaled_dot_product_attention  # noqa: F401


def sliding_window_mask(T, window):
    t, s = torch.arange(T)[:, None], torch.arange(T)[None, :]
    return (s <= t) & (s >= t - window)


MUST_FAIL = {
    "checks/test_sliding_window.py::test_windowed_attention_is_a_different_function_from_full_causal_attention_not_an_exact_shortcut",
    "checks/test_sliding_window.py::test_the_window_lets_position_t_see_itself_and_the_w_minus_1_positions_before_it",
    "checks/test_sliding_window.py::test_band_masked_attention_equals_attention_over_each_querys_own_slice_of_keys",
    "checks/test_sliding_window.py::test_decoding_with_a_rolling_cache_equals_band_masked_attention_and_the_cache_never_outgrows_the_window",
    "checks/test_sliding_window.py::test_stacked_windowed_layers_see_l_times_w_minus_1_positions_back",
}
