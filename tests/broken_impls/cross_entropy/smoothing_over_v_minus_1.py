"""Label smoothing with 1 - eps on the target and eps spread over the V - 1 other classes (fairseq's convention, not PyTorch's)."""

from solutions.cross_entropy import bits_per_byte, causal_lm_loss, perplexity  # noqa: F401


def cross_entropy(logits, target, ignore_index=-100, label_smoothing=0.0):
    log_probs = logits.log_softmax(-1)
    V = logits.size(-1)
    scored = target != ignore_index
    t = target.clamp(min=0)[:, None]
    nll = -log_probs.gather(-1, t)[:, 0]
    others = -(log_probs.sum(-1) - log_probs.gather(-1, t)[:, 0]) / (V - 1)  # eps / (V - 1) off the target
    loss = (1 - label_smoothing) * nll + label_smoothing * others
    return (loss * scored).sum() / scored.sum()


MUST_FAIL = {
    "checks/test_cross_entropy.py::test_cross_entropy_matches_torch_cross_entropy_with_ignore_index_and_label_smoothing",
    "checks/test_cross_entropy.py::test_label_smoothing_is_minimised_where_the_model_predicts_the_smoothed_target_spread_over_all_v_classes",
}
