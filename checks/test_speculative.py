"""Claims about speculative decoding (questions/llm/speculative-decoding.yaml): the accept/reject rule
min(1, p/q) with resampling from norm(max(0, p − q)) reproduces the target distribution exactly,
the acceptance rate is Σ min(p, q), and one target pass yields (1 − α^(γ+1)) / (1 − α) tokens on
average.

Oracles: the definitions min(1, p/q) and max(0, p − q) / Σ; an exact enumeration of every draft and
every accept/reject branch (below, built on the implementation's own acceptance probabilities and
residual); checks/oracles/chi_square.py for the frequency tests. Hugging Face's _speculative_sampling
passes the sampling checks (tests/test_adapter_hf_generation.py).
"""

import math
from functools import cache

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch.testing import assert_close

from checks.oracles.chi_square import chi_square_quantile, chi_square_statistic
from checks.oracles.decoding import random_model
from checks.strategies import seeds


def _distribution(V: int, seed: int, zeros: bool) -> torch.Tensor:
    """A random probability vector over V tokens; with `zeros`, about a third of it exactly 0."""
    g = torch.Generator().manual_seed(seed)
    probs = (torch.randn(V, generator=g, dtype=torch.float64) * 1.5).softmax(-1)
    if zeros:
        probs = probs * (torch.rand(V, generator=g) > 1 / 3)
        probs[int(torch.randint(V, (1,), generator=g))] += 0.1  # never all zero
        probs = probs / probs.sum()
    return probs


pairs = st.tuples(st.integers(2, 8), seeds, seeds, st.booleans(), st.booleans())


@given(pairs)
def test_a_drafted_token_is_accepted_with_probability_min_of_1_and_target_over_draft(impl, pair):
    V, sp, sq, zp, zq = pair
    p, q = _distribution(V, sp, zp), _distribution(V, sq, zq)
    a = impl.acceptance_probability(p, q)
    drafted = q > 0
    assert_close(a[drafted], torch.minimum(torch.ones_like(p), p / q)[drafted], rtol=1e-12, atol=1e-12,
                 msg=f"acceptance probabilities {a.tolist()} for p = {p.tolist()}, q = {q.tolist()}: expected min(1, p/q)")
    assert (a[~drafted] == 1).all(), (
        f"acceptance probabilities {a[~drafted].tolist()} where q = 0: the contract says 1 (min(1, p/0), never drafted)")


@given(pairs)
def test_a_rejected_position_is_resampled_from_the_normalised_excess_of_target_over_draft(impl, pair):
    V, sp, sq, zp, zq = pair
    p, q = _distribution(V, sp, zp), _distribution(V, sq, zq)
    excess = (p - q).clamp(min=0)
    assume(excess.sum() > 1e-9)  # p = q: nothing is ever rejected, the residual is never used
    # a batch of two rows, [2, V]: (p, q) and the other way round (whose excess has the same total)
    r = impl.residual_distribution(torch.stack([p, q]), torch.stack([q, p]))
    expected = torch.stack([excess / excess.sum(), (q - p).clamp(min=0) / excess.sum()])
    assert_close(r, expected, rtol=1e-12, atol=1e-12,
                 msg=f"residuals {r.tolist()} of the rows (p, q) and (q, p), expected max(0, p - q) / its sum, row by "
                     f"row: {expected.tolist()}")


@given(pairs)
def test_one_speculative_step_outputs_each_token_with_exactly_the_target_probability(impl, pair):
    # P(out = x) = q(x) a(x)  [drafted and accepted]  +  (1 - α) r(x)  [some draft rejected, x resampled]
    V, sp, sq, zp, zq = pair
    p, q = _distribution(V, sp, zp), _distribution(V, sq, zq)
    accepted = q * impl.acceptance_probability(p, q)
    alpha = accepted.sum()
    out = accepted + (1 - alpha) * impl.residual_distribution(p, q) if 1 - alpha > 1e-12 else accepted
    assert_close(out, p, rtol=1e-12, atol=1e-12,
                 msg=f"one step outputs {out.tolist()}; the target is {p.tolist()}")


@given(pairs)
def test_the_acceptance_rate_is_the_overlap_of_target_and_draft(impl, pair):
    V, sp, sq, zp, zq = pair
    p, q = _distribution(V, sp, zp), _distribution(V, sq, zq)
    alpha = (q * impl.acceptance_probability(p, q)).sum()
    assert_close(alpha, torch.minimum(p, q).sum(), rtol=1e-12, atol=1e-12)
    assert_close(alpha, 1 - (p - q).abs().sum() / 2, rtol=1e-12, atol=1e-12)  # 1 - total variation distance


@given(st.integers(2, 8), seeds, seeds)
def test_with_a_greedy_target_a_draft_is_accepted_exactly_when_it_is_the_targets_argmax(impl, V, sp, sq):
    # Temperature 0: p is one-hot at the target's argmax, and the rule becomes "keep the drafts while
    # they match the target's greedy choices; at the first mismatch, emit the target's choice".
    # Two rounds of γ = 3 drafts: one drafts the target's choices throughout (then the bonus token is
    # the target's next choice too), the other gets the second one wrong.
    choices = torch.randint(V, (4,), generator=torch.Generator().manual_seed(sp))  # the target's argmax at 0..3
    targets = torch.nn.functional.one_hot(choices, V).double().expand(2, 4, V)
    drafts = torch.stack([choices[:3], choices[:3]])
    drafts[1, 1] = (choices[1] + 1) % V
    q_rows = torch.stack([_distribution(V, sq + i, False) for i in range(3)]).expand(2, 3, V)
    out = impl.speculative_sample(drafts, q_rows, targets, torch.Generator().manual_seed(sq))
    expected = torch.stack([choices, torch.cat([choices[:2], torch.tensor([-1, -1])])])
    assert torch.equal(out, expected), (
        f"with a greedy target choosing {choices.tolist()} and drafts {drafts.tolist()}, speculative_sample gave "
        f"{out.tolist()}; expected {expected.tolist()}: the matching drafts, then the target's own choice, then -1")
    best = int(choices[0])
    p = torch.nn.functional.one_hot(torch.tensor(best), V).double()
    q = _distribution(V, sq, False)
    assert torch.equal(impl.acceptance_probability(p, q), p), "only the target's argmax may be accepted"
    assert_close(impl.residual_distribution(p, q), p, rtol=0, atol=1e-12,
                 msg="after a mismatch the emitted token must be the target's argmax")


def _models(seed: int):
    """Context-dependent target p(. | prefix) and draft q(. | prefix) over V = 3 tokens."""
    target, draft = random_model(3, seed), random_model(3, seed + 7919, scale=1.0)
    return (lambda s: target(list(s)).exp()), (lambda s: draft(list(s)).exp())


def _first_tokens(impl, p, q, gamma: int, m: int) -> dict[tuple[int, ...], float]:
    """Exact distribution of the first m tokens that speculative decoding emits (rounds of gamma drafts,
    repeated until m tokens are out), enumerating every draft and every accept/reject branch, with the
    implementation's acceptance probabilities and residual distributions."""

    @cache
    def one_round(prefix: tuple[int, ...]) -> dict[tuple[int, ...], float]:
        out: dict[tuple[int, ...], float] = {}

        def walk(drafted: tuple[int, ...], prob: float):
            s = prefix + drafted
            if len(drafted) == gamma:  # every draft accepted: a bonus token from the target
                for x, px in enumerate(p(s).tolist()):
                    out[drafted + (x,)] = out.get(drafted + (x,), 0.0) + prob * px
                return
            qs, ps = q(s), p(s)
            a, r = impl.acceptance_probability(ps, qs), impl.residual_distribution(ps, qs)
            for x in range(len(qs)):
                pq = prob * qs[x].item()
                if pq == 0:
                    continue
                walk(drafted + (x,), pq * a[x].item())  # drafted x, accepted
                for y, ry in enumerate(r.tolist()):  # drafted x, rejected: resample, round over
                    out[drafted + (y,)] = out.get(drafted + (y,), 0.0) + pq * (1 - a[x].item()) * ry
        walk((), 1.0)
        return out

    @cache
    def first(prefix: tuple[int, ...], n: int) -> dict[tuple[int, ...], float]:
        dist: dict[tuple[int, ...], float] = {}
        for seq, prob in one_round(prefix).items():
            if len(seq) >= n:
                dist[seq[:n]] = dist.get(seq[:n], 0.0) + prob
            else:
                for rest, pr in first(prefix + seq, n - len(seq)).items():
                    dist[seq + rest] = dist.get(seq + rest, 0.0) + prob * pr
        return dist

    return first((0,), m)


@pytest.mark.parametrize("seed", range(3))
def test_speculative_decoding_emits_sequences_with_exactly_the_target_models_probabilities(impl, seed):
    # V = 3, 2 drafts per round, every sequence of 3 tokens: 27 probabilities, each equal to the
    # target's own p(y1) p(y2 | y1) p(y3 | y1 y2), with a draft that disagrees with the target.
    p, q = _models(seed)
    dist = _first_tokens(impl, p, q, gamma=2, m=3)
    for y1 in range(3):
        for y2 in range(3):
            for y3 in range(3):
                target = (p((0,))[y1] * p((0, y1))[y2] * p((0, y1, y2))[y3]).item()
                got = dist.get((y1, y2, y3), 0.0)
                assert math.isclose(got, target, rel_tol=1e-9, abs_tol=1e-12), (
                    f"speculative decoding emits {(y1, y2, y3)} with probability {got:.6f}; the target model "
                    f"gives it {target:.6f}")


def _rows(gamma: int, V: int, seed: int):
    """A different target row p_i and draft row q_i at every position: p [γ + 1, V], q [γ, V]."""
    g = torch.Generator().manual_seed(seed)
    p = (torch.randn(gamma + 1, V, generator=g, dtype=torch.float64) * 0.8).softmax(-1)
    q = (torch.randn(gamma, V, generator=g, dtype=torch.float64) * 0.8).softmax(-1)
    return p, q


def _rounds(impl, p, q, n: int, seed: int) -> list[torch.Tensor]:
    """n rounds of impl.speculative_sample in one batch, each with fresh drafts x_i ~ q_i; returns the
    tokens each round emits."""
    gamma, V = q.shape
    runs = []
    for global_seed in (1, 2):  # every draw comes from the generator: the global random state must not matter
        g = torch.Generator().manual_seed(seed)
        drafts = torch.multinomial(q.repeat(n, 1), 1, replacement=True, generator=g).view(n, gamma)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(global_seed)
            runs.append(impl.speculative_sample(drafts, q.expand(n, gamma, V), p.expand(n, gamma + 1, V), g))
    out = runs[0]
    assert out.shape == (n, gamma + 1), f"speculative_sample returned shape {tuple(out.shape)}"
    assert torch.equal(runs[0], runs[1]), "two runs with the same generator seed differ: some draw ignores `generator`"
    emitted = out >= 0
    assert (emitted.long().cumprod(-1) == emitted).all(), "emitted tokens must come first, then -1"
    assert (out[~emitted] == -1).all(), f"the places left over must hold -1, found {out[~emitted].unique().tolist()}"
    return [row[row >= 0] for row in out]


@pytest.mark.statistical
def test_each_token_emitted_by_speculative_sampling_follows_the_target_distribution(impl, stat_seed):
    # 2000 rounds, γ = 3, V = 5, a different target and draft at each position. The i-th emitted token
    # (in the rounds that emit one) must follow p_i: Pearson's X² below the chi-square quantile of upper
    # tail 1e-6 with 4 degrees of freedom (33.4, 10 standard deviations above its mean of 4).
    # (About 2000, 1500, 670 and 530 rounds reach positions 0..3, every expected count is >= 14.)
    gamma, V = 3, 5
    p, q = _rows(gamma, V, seed=11)
    outs = _rounds(impl, p, q, 2000, stat_seed)
    limit = chi_square_quantile(V - 1)
    for i in range(gamma + 1):
        tokens = torch.tensor([int(o[i]) for o in outs if len(o) > i])
        counts = torch.bincount(tokens, minlength=V).double()
        x2 = chi_square_statistic(counts, p[i])
        assert x2 < limit, (f"emitted token {i}: X² = {x2:.1f} > {limit:.1f} over {len(tokens)} rounds; frequencies "
                            f"{(counts / len(tokens)).tolist()}, target {p[i].tolist()}")


@pytest.mark.statistical
def test_tokens_per_target_pass_average_one_minus_alpha_to_the_gamma_plus_one_over_one_minus_alpha(impl, stat_seed):
    # Same target p and (uniform) draft q at every position: each draft is accepted with probability
    # α = Σ min(p, q) = 0.65, so the round emits L = k + 1 tokens with P = α^k (1 - α) for k < γ, and γ + 1
    # with P = α^γ. E[L] = Σ_{k=0..γ} α^k = (1 - α^(γ+1)) / (1 - α) = 2.347 for γ = 3; the sample mean of
    # 2000 rounds has SE = sqrt(Var L / 2000) = 0.027, and must fall within 5 SE of it.
    gamma, n = 3, 2000
    p = torch.tensor([0.5, 0.25, 0.15, 0.07, 0.03], dtype=torch.float64).expand(gamma + 1, 5).contiguous()
    q = torch.full((gamma, 5), 0.2, dtype=torch.float64)
    alpha = torch.minimum(p[0], q[0]).sum().item()
    law = torch.tensor([alpha ** k * (1 - alpha) for k in range(gamma)] + [alpha ** gamma], dtype=torch.float64)
    lengths = torch.arange(1, gamma + 2, dtype=torch.float64)
    mean = (law * lengths).sum().item()
    assert math.isclose(mean, (1 - alpha ** (gamma + 1)) / (1 - alpha), rel_tol=1e-12)
    se = math.sqrt(((law * lengths ** 2).sum().item() - mean ** 2) / n)
    got = sum(len(o) for o in _rounds(impl, p, q, n, stat_seed)) / n
    assert abs(got - mean) < 5 * se, (f"{got:.3f} tokens per round on average; with α = {alpha:.3f} and γ = {gamma} "
                                      f"expected (1 - α^(γ+1)) / (1 - α) = {mean:.3f} ± {5 * se:.3f} (5 SE)")
