"""Temperature that multiplies the logits: a 'low' temperature flattens the distribution instead of sharpening it."""

import torch

from solutions.sampling import top_k_filter, top_p_filter


def apply_temperature(logits, temperature):
    return logits * temperature


def sample_next_token(logits, generator=None, temperature=1.0, top_k=None, top_p=None):
    if temperature == 0:
        return logits.argmax(-1)
    logits = apply_temperature(logits, temperature)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = logits.softmax(-1).reshape(-1, logits.size(-1))
    return torch.multinomial(probs, 1, generator=generator).reshape(logits.shape[:-1])


MUST_FAIL = {
    "checks/test_sampling.py::test_temperature_divides_the_logits_so_the_most_likely_token_never_changes",
    "checks/test_sampling.py::test_as_temperature_goes_to_zero_sampling_becomes_greedy_and_as_it_grows_uniform",
    "checks/test_sampling.py::test_sampled_frequencies_match_the_filtered_renormalised_distribution",
}
