"""Bits per byte computed as the mean loss per token in bits: divides by the token count, not the byte count."""

import math

from solutions.cross_entropy import causal_lm_loss, cross_entropy, perplexity  # noqa: F401


def bits_per_byte(logits, target, n_bytes, ignore_index=-100):
    return cross_entropy(logits, target, ignore_index) / math.log(2)  # bits per token


MUST_FAIL = {
    "checks/test_cross_entropy.py::test_bits_per_byte_is_the_total_loss_in_bits_over_the_number_of_bytes",
    "checks/test_cross_entropy.py::test_bits_per_byte_agrees_across_tokenizers_while_perplexity_per_token_does_not",
}
