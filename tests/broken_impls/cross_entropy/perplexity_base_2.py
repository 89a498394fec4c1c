"""Perplexity as 2 ** cross-entropy, with the cross-entropy in nats (the base must match the log's)."""

from solutions.cross_entropy import bits_per_byte, causal_lm_loss, cross_entropy  # noqa: F401


def perplexity(logits, target, ignore_index=-100):
    return 2 ** cross_entropy(logits, target, ignore_index)


MUST_FAIL = {
    "checks/test_cross_entropy.py::test_perplexity_is_exp_of_the_mean_cross_entropy_and_a_uniform_model_has_perplexity_v",
}
