"""Claims about attention sinks and the off-by-one softmax (questions/efficiency/attention-sinks.yaml).

Oracles: the mask written out position by position from its definition; `F.softmax` and
`F.scaled_dot_product_attention` (the attention core, with the full causal cache as the
reference output); softmax₁ as `F.softmax` over the scores with one extra zero logit appended.
The sink example is constructed, not trained: every query shares a direction u and the first key
lies along it, so the first key takes most of every query's weight, as in trained LLMs.
"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch.testing import assert_close

from checks.strategies import randn, seeds, tensors

T, Dk, Dv, WINDOW = 48, 16, 8, 8  # the sink example: 48 positions, a cache of 8


def allowed(T: int, sinks: int, window: int) -> torch.Tensor:
    """The sink + window mask from its definition, one entry at a time."""
    return torch.tensor([[s <= t and (s < sinks or s > t - window) for s in range(T)] for t in range(T)])


def sink_example(seed: int):
    """q, k [1, T, Dk], v [1, T, Dv]: every query has a shared component along u, and key 0 lies on u."""
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(Dk, generator=g, dtype=torch.float64)
    u = 1.5 * Dk ** 0.5 * u / u.norm()
    q = torch.randn(1, T, Dk, generator=g, dtype=torch.float64) + u
    k = torch.randn(1, T, Dk, generator=g, dtype=torch.float64)
    k[:, 0] = u
    return q, k, torch.randn(1, T, Dv, generator=g, dtype=torch.float64)


def attend(q, k, v, mask):
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


@given(st.integers(1, 10), st.integers(0, 4), st.integers(1, 6))
def test_the_sink_window_mask_lets_query_t_read_the_first_sinks_keys_and_its_last_window_keys(impl, T, sinks, window):
    got = impl.sink_window_mask(T, sinks, window)
    expected = allowed(T, sinks, window)
    assert got.dtype == torch.bool and torch.equal(got, expected), (
        f"T={T}, sinks={sinks}, window={window}: got\n{got.int()}\nexpected (s <= t and (s < sinks or s > t - window))\n"
        f"{expected.int()}")


@given(tensors(3, 5, low=-1e4, high=1e4))
def test_softmax_weights_sum_to_one_whatever_the_scores_so_every_query_attends_somewhere(scores):
    total = F.softmax(scores, dim=-1).sum(dim=-1)
    assert_close(total, torch.ones_like(total), rtol=0, atol=1e-12)
    assert_close(F.softmax(scores - 1e3, dim=-1), F.softmax(scores, dim=-1), rtol=0, atol=1e-12)  # even all very low


@given(st.integers(1, 4), st.integers(2, 12), seeds)
def test_evicting_keys_moves_the_output_by_their_weight_times_the_gap_to_what_they_held(impl, sinks, window, seed):
    q, k, v = sink_example(seed)
    full_mask = allowed(T, T, T)
    p = F.softmax((q @ k.transpose(-2, -1) / Dk ** 0.5).masked_fill(~full_mask, float("-inf")), dim=-1)[0]  # [T, T]
    kept = allowed(T, sinks, window).double()
    evicted_weight = (p * (1 - kept)).sum(-1, keepdim=True)  # [T, 1]
    evicted_read = (p * (1 - kept)) @ v[0]  # Σ over evicted keys of p_s v_s
    windowed = attend(q, k, v, impl.sink_window_mask(T, sinks, window))[0]
    # softmax over the kept keys is p renormalised: full = (1 - evicted weight)·windowed + evicted read
    assert_close(attend(q, k, v, full_mask)[0], (1 - evicted_weight) * windowed + evicted_read, rtol=0, atol=1e-12,
                 msg=f"sinks={sinks}, window={window}: attention over the kept keys must be the full weights renormalised")


def relative_errors(impl, seed: int, sinks: int, window: int) -> torch.Tensor:
    """|out - full| / |full| for every query past the window, full = attention over the whole cache."""
    q, k, v = sink_example(seed)
    full = attend(q, k, v, allowed(T, T, T))
    out = attend(q, k, v, impl.sink_window_mask(T, sinks, window))
    return ((out - full).norm(dim=-1) / full.norm(dim=-1))[0, WINDOW:]


@given(seeds)
def test_keeping_one_sink_plus_a_window_reproduces_the_full_cache_far_better_than_the_window_alone(impl, seed):
    q, k, _ = sink_example(seed)
    p = F.softmax((q @ k.transpose(-2, -1) / Dk ** 0.5).masked_fill(~allowed(T, T, T), float("-inf")), dim=-1)
    window_alone = relative_errors(impl, seed, 0, WINDOW).mean()
    with_sink = relative_errors(impl, seed, 1, WINDOW - 1).mean()  # the same cache size: 8 positions
    # measured over seeds 0..499: key 0 holds >= 0.91 of the weight on average, the window alone is off
    # by >= 0.95 of the output's norm (median 1.19), and the ratio is at most 0.084 (median 0.020)
    assert p[0, WINDOW:, 0].mean() > 0.8, "the construction should make key 0 a sink"
    assert window_alone > 0.3, f"evicting the sink should move the outputs: mean relative error {window_alone:.3f}"
    assert with_sink < 0.2 * window_alone, (
        f"1 sink + {WINDOW - 1} recent keys: mean relative error {with_sink:.4f}; the window of {WINDOW} alone: "
        f"{window_alone:.4f}; keeping the sink should do at least 5 times better")


@given(tensors(3, 4), st.sampled_from([1.0, 100.0, 1e4]))
def test_softmax_off_by_one_is_softmax_with_one_more_logit_at_zero(impl, x, scale):
    x = x * scale
    got = impl.softmax_off_by_one(x, dim=-1)
    expected = F.softmax(torch.cat([x, torch.zeros(3, 1, dtype=x.dtype)], dim=-1), dim=-1)[:, :-1]
    assert torch.isfinite(got).all(), f"softmax₁ of logits up to {x.abs().max():.3g} must stay finite: {got}"
    assert_close(got, expected, rtol=0, atol=1e-12, msg="softmax₁(x)_i = exp(x_i) / (1 + Σ_j exp(x_j))")
    assert_close(impl.softmax_off_by_one(x.T, dim=0), expected.T, rtol=0, atol=1e-12, msg="along dim=0")


@pytest.mark.parametrize("shift", [0.0, 10.0, 40.0])
def test_with_softmax_off_by_one_a_query_whose_scores_are_all_very_negative_attends_to_nothing(impl, shift):
    scores, v = randn(5, 6, seed=0) - shift, randn(6, 3, seed=1)
    plain, one = F.softmax(scores, dim=-1), impl.softmax_off_by_one(scores, dim=-1)
    assert_close(plain.sum(-1), torch.ones(5, dtype=torch.float64), rtol=0, atol=1e-12)  # softmax: always 1
    total = one.sum(-1)
    # Σ_j exp(x_j) / (1 + Σ_j exp(x_j)) < exp(max x) · 6: below 1, and near 0 once every score is very negative
    bound = 6 * scores.max(-1).values.exp()
    assert (total < 1).all() and (total <= bound / (1 + bound) + 1e-15).all(), (
        f"scores shifted by -{shift}: softmax₁ weights sum to {total}, expected < 1 and <= {bound / (1 + bound)}")
    if shift >= 40:
        assert (one @ v).abs().max() < 1e-12, f"softmax₁ output {one @ v}: a query with no good key reads nothing"
