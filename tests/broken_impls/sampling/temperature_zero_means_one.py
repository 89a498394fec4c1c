"""`temperature = temperature or 1.0`: 0 is falsy, so temperature 0 samples at temperature 1 instead of being greedy."""

import torch

from solutions.sampling import apply_temperature, top_k_filter, top_p_filter


def sample_next_token(logits, generator=None, temperature=1.0, top_k=None, top_p=None):
    temperature = temperature or 1.0  # meant as "default to 1", but 0.0 is falsy too
    logits = apply_temperature(logits, temperature)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = logits.softmax(-1).reshape(-1, logits.size(-1))
    return torch.multinomial(probs, 1, generator=generator).reshape(logits.shape[:-1])


MUST_FAIL = {
    "checks/test_sampling.py::test_as_temperature_goes_to_zero_sampling_becomes_greedy_and_as_it_grows_uniform",
    "checks/test_sampling.py::test_greedy_decoding_with_a_bounded_context_repeats_itself_within_v_to_the_k_steps",
}
