"""The window keeps t - window <= s, one key more than `window` (the sinks are right)."""
import torch

from solutions.attention_sinks import softmax_off_by_one


def sink_window_mask(T, sinks, window):
    t, s = torch.arange(T)[:, None], torch.arange(T)[None, :]
    return (s <= t) & ((s < sinks) | (s >= t - window))


MUST_FAIL = {
    "checks/test_attention_sinks.py::test_the_sink_window_mask_lets_query_t_read_the_first_sinks_keys_and_its_last_window_keys",
    "checks/test_attention_sinks.py::test_evicting_keys_moves_the_output_by_their_weight_times_the_gap_to_what_they_held",
}
