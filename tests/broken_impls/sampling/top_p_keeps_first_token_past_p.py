"""Top-p that stops only once the kept mass exceeds p: at a prefix of mass exactly p it keeps one token too many."""

from solutions.sampling import apply_temperature, sample_next_token, top_k_filter  # noqa: F401


def top_p_filter(logits, p):
    sorted_probs, order = logits.softmax(-1).sort(-1, descending=True)
    before = sorted_probs.cumsum(-1) - sorted_probs
    drop_sorted = before > p  # should be >=: a prefix of mass exactly p is already enough
    drop_sorted[..., 0] = False
    return logits.masked_fill(drop_sorted.scatter(-1, order, drop_sorted), float("-inf"))


MUST_FAIL = {
    "checks/test_sampling.py::test_top_p_at_a_prefix_of_mass_exactly_p_keeps_that_prefix_and_no_more",
}
