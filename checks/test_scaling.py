"""Claims about the 1/√d_k scaling (questions/attention/why-scale-by-sqrt-dk.yaml).

The statistical checks draw one large seeded sample each, so they are deterministic;
their thresholds sit many standard errors away from the measured values (each comment
gives both), so a different seed or torch version cannot flip them.
"""

import math
from functools import cache

import torch
from hypothesis import given
from hypothesis import strategies as st

from checks.strategies import randn

N = 10_000  # (q, k) pairs per d_k: 5 SE of a sample variance is then 7-8 %
DKS = (16, 64, 256, 1024)


@cache  # shared by the checks below: drawing the samples is most of their cost
def _dot_products(d_k: int) -> torch.Tensor:
    """N samples of q·k with q, k having independent N(0, 1) entries (seed = d_k)."""
    q, k = randn(2, N, d_k, seed=d_k)
    return (q * k).sum(dim=-1)


def _standard_error_of_variance(d_k: int) -> float:
    """SE of the sample variance of q·k/√d_k: √((κ - 1)/N), with kurtosis κ = 3 + 6/d_k
    (a sum of d_k products of independent standard normals, each of kurtosis 9)."""
    return math.sqrt((2 + 6 / d_k) / N)


def test_dot_product_of_unit_variance_vectors_has_mean_zero_and_variance_dk():
    for d_k in DKS:
        s = _dot_products(d_k)
        se = _standard_error_of_variance(d_k)
        assert abs(s.var().item() / d_k - 1) <= 5 * se, f"d_k={d_k}: Var(q·k)={s.var():.1f}, expected {d_k}"
        assert abs(s.mean().item()) / math.sqrt(d_k) <= 5 / math.sqrt(N), f"d_k={d_k}: mean {s.mean():.3f}"


def test_dividing_by_sqrt_dk_brings_the_score_variance_back_to_one():
    for d_k in DKS:
        scaled = _dot_products(d_k) / math.sqrt(d_k)
        tolerance = 5 * _standard_error_of_variance(d_k)  # 5 SE: about 0.07-0.08 at N = 10,000
        assert abs(scaled.var().item() - 1) <= tolerance, f"d_k={d_k}: Var(q·k/√d_k)={scaled.var():.4f}"


def test_only_the_factor_one_over_sqrt_dk_gives_unit_variance():
    d_k = 64
    s = _dot_products(d_k)
    variance = {name: (s * c).var().item() for name, c in
                [("x d_k", d_k), ("/ d_k", 1 / d_k), ("/ √d_k", d_k**-0.5)]}
    tolerance = 5 * _standard_error_of_variance(d_k)  # relative SE of a sample variance
    assert abs(variance["/ √d_k"] - 1) <= tolerance, variance
    assert abs(variance["x d_k"] / d_k**3 - 1) <= tolerance, variance  # the garbled "scaled by d_k": d_k³
    assert abs(variance["/ d_k"] * d_k - 1) <= tolerance, variance  # dividing by d_k: 1/d_k


def test_unscaled_score_variance_falls_as_heads_increase_at_fixed_d_model():
    # the variance follows the per-head width d_k = d_model / H, not the number of heads
    d_model = 512
    for heads in (2, 8, 32):  # d_k = 256, 64, 16
        d_k = d_model // heads
        s = _dot_products(d_k)
        se = _standard_error_of_variance(d_k)
        assert abs(s.var().item() / d_k - 1) <= 5 * se, f"H={heads}: Var={s.var():.1f}, expected {d_k}"


@cache
def _queries_and_keys(d_k: int, trials: int = 200, keys: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """`trials` independent queries [trials, 1, d_k], each with its own `keys` keys [trials, keys, d_k]."""
    return randn(trials, 1, d_k, seed=d_k), randn(trials, keys, d_k, seed=d_k + 1)


def _weights(impl, d_k: int, scaled: bool) -> torch.Tensor:
    q, k = _queries_and_keys(d_k)
    if not scaled:
        q = q * math.sqrt(d_k)  # cancels the implementation's 1/√d_k: raw q·k logits
    return impl.attention_weights(q, k)  # [trials, 1, keys]


def _largest_weight(impl, d_k: int, scaled: bool) -> float:
    """Mean over the trials of the largest attention weight of one query over its keys."""
    return _weights(impl, d_k, scaled).max(dim=-1).values.mean().item()


SATURATION_DKS = (16, 64, 256, 1024)


def test_without_scaling_the_softmax_saturates_as_dk_grows(impl):
    # Measured (seeded): 0.57, 0.78, 0.89, 0.95. A largest weight lies in [0, 1], so the
    # mean of 200 has SE <= 0.5/√200 = 0.035; the steps between d_k values are >= 0.06.
    means = [_largest_weight(impl, d_k, scaled=False) for d_k in SATURATION_DKS]
    assert all(a < b for a, b in zip(means, means[1:])), f"largest weight not increasing: {means}"
    assert means[-1] > 0.85, f"at d_k=1024 the softmax should be near one-hot: {means}"


def test_with_scaling_the_softmax_does_not_saturate_as_dk_grows(impl):
    # Measured (seeded): about 0.11 for every d_k, against 1/64 = 0.016 for uniform weights.
    # The bound 0.2 is > 10 SE (SE <= 0.035, in practice ~0.003) above every measured value.
    means = [_largest_weight(impl, d_k, scaled=True) for d_k in SATURATION_DKS]
    assert all(m < 0.2 for m in means), f"scaled attention saturates: {means}"


def _softmax_jacobian_norm(p: torch.Tensor) -> torch.Tensor:
    """‖diag(p) - p pᵀ‖_F, the size of the softmax's Jacobian at output p, per row."""
    p2 = (p**2).sum(-1)
    return (p2 - 2 * (p**3).sum(-1) + p2**2).clamp(min=0).sqrt()


@given(st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_softmax_jacobian_norm_formula_matches_autograd(n, seed):
    x = torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    jacobian = torch.autograd.functional.jacobian(lambda z: z.softmax(-1), x)
    assert torch.allclose(jacobian.norm(), _softmax_jacobian_norm(x.softmax(-1)), atol=1e-12)


def test_without_scaling_the_softmax_gradient_vanishes_as_dk_grows(impl):
    # Measured (seeded): 0.30, 0.22, 0.13, 0.06 unscaled; 0.18 at every d_k scaled.
    # Each value is a mean over 200 rows of a quantity in [0, 0.71]; SE <= 0.025.
    def mean_norm(d_k, scaled):
        return _softmax_jacobian_norm(_weights(impl, d_k, scaled)).mean().item()

    unscaled = [mean_norm(d_k, False) for d_k in SATURATION_DKS]
    scaled = [mean_norm(d_k, True) for d_k in SATURATION_DKS]
    assert all(a > b for a, b in zip(unscaled, unscaled[1:])), f"unscaled: {unscaled}"
    assert unscaled[-1] < 0.1, f"unscaled gradient at d_k=1024 should be small: {unscaled}"
    assert max(scaled) - min(scaled) < 0.05, f"scaled gradient should not depend on d_k: {scaled}"


def test_softmax_of_huge_logits_does_not_overflow_so_overflow_is_not_why_we_scale(impl):
    # logits of 1e4 and more: exp() alone overflows float64 at ~709
    q = torch.tensor([[100.0, 100.0]], dtype=torch.float64)
    k = torch.tensor([[100.0, 100.0], [99.0, 99.0], [0.0, 0.0]], dtype=torch.float64)
    w = impl.attention_weights(q, k)
    assert torch.isinf((q @ k.T).exp()).any(), "the naive exp() should overflow on these logits"
    assert torch.isfinite(w).all(), f"weights {w} are not finite"
    assert torch.allclose(w.sum(-1), torch.ones(1, dtype=w.dtype))
