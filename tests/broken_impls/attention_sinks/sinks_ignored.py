"""The sink + window mask keeps only the window: the sinks argument is never used."""
import torch

from solutions.attention_sinks import softmax_off_by_one


def sink_window_mask(T, sinks, window):
    return torch.ones(T, T, dtype=torch.bool).tril().triu(diagonal=1 - window)


MUST_FAIL = {
    "checks/test_attention_sinks.py::test_the_sink_window_mask_lets_query_t_read_the_first_sinks_keys_and_its_last_window_keys",
    "checks/test_attention_sinks.py::test_evicting_keys_moves_the_output_by_their_weight_times_the_gap_to_what_they_held",
    "checks/test_attention_sinks.py::test_keeping_one_sink_plus_a_window_reproduces_the_full_cache_far_better_than_the_window_alone",
}
