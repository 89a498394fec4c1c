"""Acceptance probability min(1, q/p) instead of min(1, p/q): draft-favoured tokens are kept, target-favoured ones rejected."""

import torch

from solutions.speculative import residual_distribution


def acceptance_probability(p, q):
    return torch.where(p > 0, (q / p).clamp(max=1.0), 1.0)  # the ratio upside down


def speculative_sample(draft_tokens, draft_probs, target_probs, generator=None):
    B, gamma = draft_tokens.shape
    x = draft_tokens[..., None]
    accept = acceptance_probability(target_probs[:, :gamma].gather(-1, x), draft_probs.gather(-1, x))[..., 0]
    u = torch.rand(B, gamma, generator=generator, dtype=accept.dtype)
    n = (u <= accept).long().cumprod(-1).sum(-1)
    rows = torch.arange(B)
    p_n, q_n = target_probs[rows, n], draft_probs[rows, n.clamp(max=gamma - 1)]
    last = torch.where((n < gamma)[:, None], residual_distribution(p_n, q_n), p_n)
    out = torch.where(torch.arange(gamma) < n[:, None], draft_tokens, -1)
    out = torch.cat([out, torch.full((B, 1), -1)], dim=1)
    out[rows, n] = torch.multinomial(last, 1, generator=generator)[:, 0]
    return out


MUST_FAIL = {
    "checks/test_speculative.py::test_with_a_greedy_target_a_draft_is_accepted_exactly_when_it_is_the_targets_argmax",
    "checks/test_speculative.py::test_a_drafted_token_is_accepted_with_probability_min_of_1_and_target_over_draft",
    "checks/test_speculative.py::test_one_speculative_step_outputs_each_token_with_exactly_the_target_probability",
    "checks/test_speculative.py::test_the_acceptance_rate_is_the_overlap_of_target_and_draft",
    "checks/test_speculative.py::test_speculative_decoding_emits_sequences_with_exactly_the_target_models_probabilities",
    "checks/test_speculative.py::test_each_token_emitted_by_speculative_sampling_follows_the_target_distribution",
    "checks/test_speculative.py::test_tokens_per_target_pass_average_one_minus_alpha_to_the_gamma_plus_one_over_one_minus_alpha",
}
