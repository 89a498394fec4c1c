"""Cross-entropy as log of the softmax written out, without subtracting the row's maximum: exp overflows."""

import torch

from solutions.cross_entropy import bits_per_byte, causal_lm_loss, perplexity  # noqa: F401


def cross_entropy(logits, target, ignore_index=-100, label_smoothing=0.0):
    probs = logits.exp() / logits.exp().sum(-1, keepdim=True)  # exp(1000) = inf, inf / inf = nan
    log_probs = probs.log()
    scored = target != ignore_index
    nll = -log_probs.gather(-1, target.clamp(min=0)[:, None])[:, 0]
    loss = (1 - label_smoothing) * nll - label_smoothing * log_probs.mean(-1)
    return torch.where(scored, loss, 0.0).sum() / scored.sum()


MUST_FAIL = {
    "checks/test_cross_entropy.py::test_cross_entropy_is_finite_and_exact_for_huge_logits_and_in_float16",
    "checks/test_cross_entropy.py::test_cross_entropy_is_unchanged_by_adding_the_same_constant_to_every_logit",
}
