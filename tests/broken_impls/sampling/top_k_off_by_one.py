"""Top-k thresholded at sorted[..., k] instead of sorted[..., k - 1]: it keeps k + 1 tokens."""

import torch

from solutions.sampling import apply_temperature, top_p_filter


def top_k_filter(logits, k):
    sorted_logits = logits.sort(-1, descending=True).values
    kth = sorted_logits[..., min(k, logits.size(-1) - 1)].unsqueeze(-1)  # index k is the (k+1)-th largest
    return logits.masked_fill(logits < kth, float("-inf"))


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
    "checks/test_sampling.py::test_top_k_keeps_the_k_largest_logits_unchanged_and_sets_the_rest_to_minus_infinity",
    "checks/test_sampling.py::test_sampled_frequencies_match_the_filtered_renormalised_distribution",
}
