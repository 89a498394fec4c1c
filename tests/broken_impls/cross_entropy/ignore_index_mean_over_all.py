"""Ignored targets contribute 0 to the sum but are still counted: the mean is over all N tokens."""

from solutions.cross_entropy import bits_per_byte, causal_lm_loss, perplexity  # noqa: F401


def cross_entropy(logits, target, ignore_index=-100, label_smoothing=0.0):
    log_probs = logits.log_softmax(-1)
    scored = target != ignore_index
    nll = -log_probs.gather(-1, target.clamp(min=0)[:, None])[:, 0]
    loss = (1 - label_smoothing) * nll - label_smoothing * log_probs.mean(-1)
    return (loss * scored).mean()  # divides by N, not by the number of scored targets


MUST_FAIL = {
    "checks/test_cross_entropy.py::test_cross_entropy_matches_torch_cross_entropy_with_ignore_index_and_label_smoothing",
    "checks/test_cross_entropy.py::test_ignored_targets_drop_out_of_the_sum_and_of_the_count",
}
