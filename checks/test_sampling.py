"""Claims about choosing the next token (questions/training/decoding-parameters.yaml): temperature,
top-k, top-p, sampling from the renormalised distribution, and greedy decoding as the
temperature-0 limit, which must loop when the context is bounded.

Oracles: checks/oracles/sampling.py (the filtered distributions, computed without sorting) and
checks/oracles/chi_square.py (the frequency test). Hugging Face's TemperatureLogitsWarper,
TopKLogitsWarper and TopPLogitsWarper pass these checks (tests/test_adapter_hf_generation.py).
"""

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch.testing import assert_close

from checks.oracles.chi_square import chi_square_quantile, chi_square_statistic
from checks.oracles.sampling import filtered_probs, temperature_probs, top_k_probs, top_p_probs
from checks.strategies import randn, seeds

NEG_INF = float("-inf")


def _kept(filtered: torch.Tensor) -> torch.Tensor:
    return filtered != NEG_INF


@given(seeds, st.sampled_from([0.1, 0.5, 2.0, 10.0]))
def test_temperature_divides_the_logits_so_the_most_likely_token_never_changes(impl, seed, tau):
    logits = randn(3, 9, seed=seed)
    ours = impl.apply_temperature(logits, tau)
    assert_close(ours, logits / tau, rtol=1e-12, atol=0, msg=f"apply_temperature(logits, {tau}) is not logits / {tau}")
    assert torch.equal(ours.argmax(-1), logits.argmax(-1))


def test_as_temperature_goes_to_zero_sampling_becomes_greedy_and_as_it_grows_uniform(impl):
    logits = torch.tensor([[2.0, 1.0, 0.5, -1.0], [0.3, -0.2, 1.7, 1.6]], dtype=torch.float64)
    cold = impl.apply_temperature(logits, 1e-3).softmax(-1)
    assert_close(cold, torch.nn.functional.one_hot(logits.argmax(-1), 4).double(), rtol=0, atol=1e-12)
    hot = impl.apply_temperature(logits, 1e6).softmax(-1)
    assert_close(hot, torch.full((2, 4), 0.25, dtype=torch.float64), rtol=0, atol=1e-5)
    entropy = [-(q * q.log()).sum(-1) for q in (impl.apply_temperature(logits, t).softmax(-1)
                                                for t in (0.25, 0.5, 1.0, 2.0, 4.0))]
    assert all((a < b).all() for a, b in zip(entropy, entropy[1:])), "entropy must rise with the temperature"
    # temperature 0 is the limit itself: the argmax, every time, whatever the generator
    for seed in range(5):
        greedy = impl.sample_next_token(logits, torch.Generator().manual_seed(seed), temperature=0.0)
        assert torch.equal(greedy, logits.argmax(-1)), (
            f"sample_next_token(temperature=0) gave {greedy.tolist()}, the argmax is {logits.argmax(-1).tolist()}")


@given(st.integers(2, 9), st.integers(1, 9), seeds)
def test_top_k_keeps_the_k_largest_logits_unchanged_and_sets_the_rest_to_minus_infinity(impl, V, k, seed):
    k = min(k, V)
    logits = randn(2, V, seed=seed) * 3  # continuous values: no ties
    ours = impl.top_k_filter(logits, k)
    kept = _kept(ours)
    assert (kept.sum(-1) == k).all(), f"top_k_filter(k={k}) kept {kept.sum(-1).tolist()} tokens per row"
    assert torch.equal(kept, top_k_probs(logits.softmax(-1), k) > 0), "kept tokens are not the k largest"
    assert torch.equal(ours[kept], logits[kept]), "kept logits must be unchanged"
    assert torch.equal(impl.top_k_filter(logits, 1).argmax(-1), logits.argmax(-1))  # top-1 is greedy


def test_top_k_keeps_every_token_tied_with_the_kth_largest_so_token_order_does_not_matter(impl):
    logits = torch.tensor([3.0, 1.0, 0.0, 1.0, 1.0, -2.0], dtype=torch.float64)
    kept = _kept(impl.top_k_filter(logits, 2))
    assert kept.tolist() == [True, True, False, True, True, False], (
        f"top_k_filter(k=2) kept {kept.tolist()}; the contract (Hugging Face's TopKLogitsWarper) keeps every token "
        f"tied with the 2nd largest logit 1.0, so that the kept set does not depend on token ids")
    for seed in range(5):
        perm = torch.randperm(6, generator=torch.Generator().manual_seed(seed))
        assert torch.equal(_kept(impl.top_k_filter(logits[perm], 2)), kept[perm])


@given(st.integers(2, 12), st.sampled_from([0.1, 0.5, 0.8, 0.9, 0.95, 1.0]), seeds)
def test_top_p_keeps_the_smallest_prefix_whose_mass_reaches_p_the_crossing_token_included(impl, V, p, seed):
    logits = randn(V, seed=seed) * 2
    probs = logits.softmax(-1)
    ranked = probs.sort(descending=True).values
    assume((ranked.cumsum(-1)[:-1] - p).abs().min() > 1e-9)  # no proper prefix's mass within rounding of p
    ours = impl.top_p_filter(logits, p)
    kept = _kept(ours)
    n = int(kept.sum())
    assert torch.equal(kept, top_p_probs(probs, p) > 0), (
        f"top_p_filter(p={p}) kept {n} tokens of mass {probs[kept].sum():.4f}; the smallest prefix reaching p has "
        f"{int((top_p_probs(probs, p) > 0).sum())} (the token that crosses p belongs to it)")
    assert ranked[:n].sum() >= p - 1e-12 and (n == 1 or ranked[: n - 1].sum() < p)
    assert torch.equal(ours[kept], logits[kept])
    assert_close(ours.softmax(-1), probs * kept / probs[kept].sum())  # renormalised over the nucleus


def test_top_p_at_a_prefix_of_mass_exactly_p_keeps_that_prefix_and_no_more(impl):
    # Uniform over 8 tokens: every prefix mass j/8 is exact in binary floating point.
    logits = torch.zeros(8, dtype=torch.float64)
    for j in range(1, 9):
        n = int(_kept(impl.top_p_filter(logits, j / 8)).sum())
        assert n == j, (f"top_p_filter(p={j}/8) on 8 equally likely tokens kept {n}; the first {j} reach p exactly, "
                        f"and the contract (Hugging Face's TopPLogitsWarper) stops there: mass >= p, not > p")


SETTINGS = [  # (temperature, top_k, top_p)
    (1.0, None, None), (0.5, None, None), (2.0, 5, None), (1.0, None, 0.8), (0.7, 6, 0.9)]


@pytest.mark.statistical
@pytest.mark.parametrize("temperature, top_k, top_p", SETTINGS)
def test_sampled_frequencies_match_the_filtered_renormalised_distribution(impl, stat_seed, temperature, top_k, top_p):
    # N = 20000 draws per setting; a dropped token must never appear, and Pearson's X² over the kept
    # tokens must stay below the chi-square quantile of upper tail 1e-6 (33.4 at 4 degrees of freedom,
    # 10 standard deviations above its mean; see checks/oracles/chi_square.py).
    # The logits come as [2, N/2, 8] (the contract's [..., V]); the defaults (temperature 1, no filter)
    # are left to the signature in the first setting. Every draw comes from the generator: the same
    # seed gives the same tokens whatever the global random state.
    N = 20_000
    logits = torch.tensor([2.0, 1.5, 1.0, 0.5, 0.0, -0.5, -1.0, -2.0], dtype=torch.float64)
    expected = filtered_probs(logits, temperature, top_k, top_p)
    given_args = {name: value for name, value, default in (("temperature", temperature, 1.0), ("top_k", top_k, None),
                                                           ("top_p", top_p, None)) if value != default}
    runs = []
    for global_seed in (1, 2):
        with torch.random.fork_rng(devices=[]):  # another global random state each time
            torch.manual_seed(global_seed)
            runs.append(impl.sample_next_token(logits.expand(2, N // 2, 8), torch.Generator().manual_seed(stat_seed),
                                               **given_args))
    draws = runs[0]
    assert draws.shape == (2, N // 2), f"logits [2, {N // 2}, 8] gave draws of shape {tuple(draws.shape)}"
    assert torch.equal(runs[0], runs[1]), (
        "two runs with the same generator seed drew different tokens: some draw ignores `generator`")
    counts = torch.bincount(draws.flatten(), minlength=8).double()
    dropped = counts[expected == 0]
    assert dropped.sum() == 0, f"dropped tokens were sampled {dropped.tolist()} times"
    df = int((expected > 0).sum()) - 1
    x2, limit = chi_square_statistic(counts, expected), chi_square_quantile(df)
    assert x2 < limit, (f"X² = {x2:.1f} > {limit:.1f} ({df} d.o.f.): frequencies {(counts / N).tolist()} vs "
                        f"the renormalised distribution {expected.tolist()}")


def _kgram_greedy(impl, V: int, k: int, steps: int, seed: int) -> list[int]:
    """Greedy decoding through impl.sample_next_token(temperature=0) of a random k-gram model (the next
    token's logits depend only on the last k tokens), from the context (0, ..., 0)."""
    table = randn(V ** k, V, seed=seed) * 3  # row = the context read as a base-V number
    seq = [0] * k
    for _ in range(steps):
        row = sum(tok * V ** i for i, tok in enumerate(seq[-k:]))
        nxt = impl.sample_next_token(table[row], torch.Generator().manual_seed(len(seq)), temperature=0.0)  # [V] -> []
        assert int(nxt) == int(table[row].argmax()), "temperature 0 must pick the argmax"
        seq.append(int(nxt))
    return seq


@pytest.mark.parametrize("V, k", [(50, 1), (6, 2)])
def test_greedy_decoding_with_a_bounded_context_repeats_itself_within_v_to_the_k_steps(impl, V, k):
    # Pigeonhole: the state (last k tokens) takes at most V^k values and determines the next one, so a
    # state recurs within V^k steps and from there the output cycles forever.
    steps = 3 * V ** k
    seq = _kgram_greedy(impl, V, k, steps, seed=V + k)
    states = [tuple(seq[t - k + 1: t + 1]) for t in range(k - 1, len(seq))]
    first_seen, start, period = {}, None, None
    for t, s in enumerate(states):
        if s in first_seen:
            start, period = first_seen[s], t - first_seen[s]
            break
        first_seen[s] = t
    assert start is not None and start + period <= V ** k, f"no state repeated within V^k = {V ** k} steps"
    tail = states[start:]
    assert all(tail[i] == tail[i + period] for i in range(len(tail) - period)), "greedy output is not periodic"
    assert period < V ** k

