"""torch.multinomial called without `generator=`: the draws come from the global random state, so a seeded run cannot be repeated."""

import torch

from solutions.sampling import apply_temperature, top_k_filter, top_p_filter


def sample_next_token(logits, generator=None, temperature=1.0, top_k=None, top_p=None):
    if temperature == 0:
        return logits.argmax(-1)
    logits = apply_temperature(logits, temperature)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = logits.softmax(-1).reshape(-1, logits.size(-1))
    return torch.multinomial(probs, 1).reshape(logits.shape[:-1])  # forgot generator=generator


MUST_FAIL = {
    "checks/test_sampling.py::test_sampled_frequencies_match_the_filtered_renormalised_distribution",
}
