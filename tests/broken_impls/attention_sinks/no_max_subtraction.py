"""softmax_off_by_one as the formula reads, exp(x) / (1 + Σ exp(x)): overflows to NaN for large logits."""
from solutions.attention_sinks import sink_window_mask


def softmax_off_by_one(x, dim=-1):
    e = x.exp()
    return e / (1 + e.sum(dim=dim, keepdim=True))


MUST_FAIL = {
    "checks/test_attention_sinks.py::test_softmax_off_by_one_is_softmax_with_one_more_logit_at_zero",
}
