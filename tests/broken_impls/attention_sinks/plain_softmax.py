"""softmax_off_by_one forgets the extra zero logit: it is the plain softmax, whose weights always sum to 1."""
from solutions.attention_sinks import sink_window_mask


def softmax_off_by_one(x, dim=-1):
    return x.softmax(dim=dim)


MUST_FAIL = {
    "checks/test_attention_sinks.py::test_softmax_off_by_one_is_softmax_with_one_more_logit_at_zero",
    "checks/test_attention_sinks.py::test_with_softmax_off_by_one_a_query_whose_scores_are_all_very_negative_attends_to_nothing",
}
