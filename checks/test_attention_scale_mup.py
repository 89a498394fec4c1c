"""Claims about 1/d_k against 1/√d_k when queries and keys are correlated, μP's attention scale
(questions/attention/one-over-dk-vs-one-over-sqrt-dk.yaml).

Oracles: the moments of q·k for k = ρq + √(1 − ρ²)z with q, z independent standard normal
(mean ρ·d_k, variance (1 + ρ²)·d_k, derived in the question), and `torch.softmax`.

Statistical checks: plain functions seeded from `stat_seed` (checks/conftest.py); each threshold
sits >= 5 standard errors from the value expected, the SE worked out in a comment.
"""

import math

import pytest
import torch

DKS = (16, 64, 256, 1024)
RHOS = torch.linspace(0, 0.7, 8, dtype=torch.float64)  # a fixed "trained" query-key correlation per key


def correlated_scores(stat_seed: int, d_k: int, n: int, rhos: torch.Tensor) -> torch.Tensor:
    """[n, len(rhos)] raw scores q·k_j with k_j = ρ_j q + √(1 − ρ_j²) z_j: n queries, one key per ρ_j."""
    g = torch.Generator().manual_seed(10_000 * stat_seed + d_k)
    q = torch.randn(n, 1, d_k, generator=g).double()
    z = torch.randn(n, len(rhos), d_k, generator=g).double()
    k = rhos[:, None] * q + (1 - rhos[:, None] ** 2).sqrt() * z
    return (q * k).sum(-1)


@pytest.mark.statistical
def test_for_correlated_queries_and_keys_the_logit_grows_like_dk_so_1_over_dk_keeps_it_fixed(stat_seed):
    rho, n = 0.5, 2_000
    for d_k in DKS:
        s = correlated_scores(stat_seed, d_k, n, torch.tensor([rho], dtype=torch.float64))[:, 0]
        # q·k/d_k has mean ρ and sd √((1 + ρ²)/d_k): SE of its mean √((1 + ρ²)/(d_k n)) <= 0.0063
        se = math.sqrt((1 + rho ** 2) / (d_k * n))
        by_dk = (s / d_k).mean().item()
        assert abs(by_dk - rho) <= 5 * se, f"d_k={d_k}: mean q·k/d_k = {by_dk:.4f}, expected ρ = {rho} (width-independent)"
        by_sqrt = (s / math.sqrt(d_k)).mean().item()  # = ρ√d_k: 1/√d_k leaves it growing
        assert abs(by_sqrt / math.sqrt(d_k) - rho) <= 5 * se, f"d_k={d_k}: mean q·k/√d_k = {by_sqrt:.2f}, expected ρ√d_k"
        # variance (1 + ρ²)·d_k; the sample variance's relative SE is √((κ - 1)/n) ≈ √(2.5/2000) = 0.035 (κ ≈ 3.5
        # at d_k = 16, nearer 3 above), so ±0.2 is > 5 SE
        ratio = s.var().item() / ((1 + rho ** 2) * d_k)
        assert abs(ratio - 1) <= 0.2, f"d_k={d_k}: Var(q·k) / ((1 + ρ²) d_k) = {ratio:.3f}, expected 1"


@pytest.mark.statistical
def test_with_1_over_dk_correlated_keys_get_the_same_weights_at_every_width_while_1_over_sqrt_dk_sharpens_to_one_hot(stat_seed):
    n = 500
    limit = RHOS.softmax(-1)[-1].item()  # softmax(ρ): the width-independent pattern 1/d_k tends to (0.173 on ρ = 0.7)
    by_sqrt = []
    for d_k in DKS:
        s = correlated_scores(stat_seed, d_k, n, RHOS)
        w_dk = (s / d_k).softmax(-1)[:, -1].mean().item()
        # the logits' noise has sd √((1 + ρ²)/d_k) <= 0.3, so one query's weight on the top key has sd <= 0.06:
        # SE of the mean over 500 queries <= 0.003; ±0.02 is > 5 SE plus Jensen's bias at d_k = 16 (<= 0.004 measured)
        assert abs(w_dk - limit) <= 0.02, f"d_k={d_k}: with 1/d_k the mean weight on the key with ρ = 0.7 is {w_dk:.3f}, expected {limit:.3f}"
        by_sqrt.append((s / math.sqrt(d_k)).softmax(-1)[:, -1].mean().item())
    # with 1/√d_k the logit gaps are 0.1·√d_k: at stat_seed 0 the weight on the top key is 0.31, 0.50, 0.74, 0.93.
    # One query's weight has sd <= 0.3, SE of the mean <= 0.014: each threshold and step is > 5 SE away
    assert by_sqrt[0] < 0.4 and by_sqrt[-1] > 0.85, f"with 1/√d_k the weight on the top key should sharpen: {by_sqrt}"
    assert all(b - a > 0.1 for a, b in zip(by_sqrt, by_sqrt[1:])), f"... at every width step: {by_sqrt}"
