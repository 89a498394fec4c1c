"""The accept/reject coins drawn with torch.rand(B, γ) and no `generator=`: right in distribution, but a seeded run cannot be repeated."""

import torch
import torch.nn.functional as F

from solutions.speculative import acceptance_probability, residual_distribution


def speculative_sample(draft_tokens, draft_probs, target_probs, generator=None):
    B, gamma = draft_tokens.shape
    p, q, x = target_probs[:, :gamma], draft_probs, draft_tokens[..., None]
    accept = acceptance_probability(p.gather(-1, x), q.gather(-1, x))[..., 0]
    u = torch.rand(B, gamma, dtype=accept.dtype)  # forgot generator=generator
    n = (u <= accept).long().cumprod(-1).sum(-1)
    fallback = torch.cat([residual_distribution(p, q), target_probs[:, gamma:]], dim=1)
    rows = torch.arange(B)
    out = F.pad(draft_tokens, (0, 1))
    out[rows, n] = torch.multinomial(fallback[rows, n], 1, generator=generator)[:, 0]
    return out.masked_fill(torch.arange(gamma + 1) > n[:, None], -1)


MUST_FAIL = {
    "checks/test_speculative.py::test_each_token_emitted_by_speculative_sampling_follows_the_target_distribution",
    "checks/test_speculative.py::test_tokens_per_target_pass_average_one_minus_alpha_to_the_gamma_plus_one_over_one_minus_alpha",
}
