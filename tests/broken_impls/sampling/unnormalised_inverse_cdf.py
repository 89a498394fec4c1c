"""Inverse-CDF sampling on exp(logits) without dividing by their sum: the cumulative 'probabilities' are not a CDF."""

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
    cdf = logits.exp().cumsum(-1)  # never divided by its last entry
    u = torch.rand(logits.shape[:-1] + (1,), generator=generator, dtype=cdf.dtype)
    return torch.searchsorted(cdf, u).squeeze(-1).clamp(max=logits.size(-1) - 1)


MUST_FAIL = {
    "checks/test_sampling.py::test_sampled_frequencies_match_the_filtered_renormalised_distribution",
}
