"""Temperature applied to the probabilities after the softmax: torch.multinomial renormalises, so it does nothing."""

import torch

from solutions.sampling import apply_temperature, top_k_filter, top_p_filter  # noqa: F401


def sample_next_token(logits, generator=None, temperature=1.0, top_k=None, top_p=None):
    if temperature == 0:
        return logits.argmax(-1)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = logits.softmax(-1) / temperature  # should divide the logits, before the softmax
    V = logits.size(-1)
    return torch.multinomial(probs.reshape(-1, V), 1, generator=generator).reshape(logits.shape[:-1])


MUST_FAIL = {
    "checks/test_sampling.py::test_sampled_frequencies_match_the_filtered_renormalised_distribution",
}
