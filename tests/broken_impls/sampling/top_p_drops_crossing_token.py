"""Top-p that drops every token whose cumulative mass exceeds p, the token that crosses p included."""

from solutions.sampling import apply_temperature, sample_next_token, top_k_filter  # noqa: F401


def top_p_filter(logits, p):
    sorted_probs, order = logits.softmax(-1).sort(-1, descending=True)
    drop_sorted = sorted_probs.cumsum(-1) > p  # the crossing token goes too: the kept mass is < p
    drop_sorted[..., 0] = False
    return logits.masked_fill(drop_sorted.scatter(-1, order, drop_sorted), float("-inf"))


MUST_FAIL = {
    "checks/test_sampling.py::test_top_p_keeps_the_smallest_prefix_whose_mass_reaches_p_the_crossing_token_included",
}
