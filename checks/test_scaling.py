"""Claims about the 1/√d_k scaling (questions/attention/why-scale-by-sqrt-dk.yaml, and the
saturation claims of questions/efficiency/dot-product-vs-additive-attention.yaml).

Oracles: the variance algebra of sums of independent products, PyTorch's autograd (for the
softmax Jacobian and the gradient reaching the query), IEEE float16 arithmetic.

The statistical checks draw their samples from generators seeded with `stat_seed` (see
checks/conftest.py): one seed in a normal run, every seed of 1..200 in the slow re-seeding run.
Each threshold sits >= 5 standard errors from the value expected, the SE worked out in a
comment; the numbers the answers quote are those of the normal run (stat_seed 0), rounded.
"""

import math
from functools import lru_cache

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.testing import assert_close

from checks.strategies import randn

N = 2_000  # (q, k) pairs per d_k: the relative SE of a sample variance is then √((κ - 1)/N) <= 0.035
DKS = (16, 64, 256, 1024)


def _generator(stat_seed: int, d_k: int) -> torch.Generator:
    return torch.Generator().manual_seed(10_000 * stat_seed + d_k)


def _normal(g: torch.Generator, *shape: int) -> torch.Tensor:
    """Standard normal samples, drawn in float32 (2-3x faster: these checks draw tens of
    millions per seed) and computed with in float64."""
    return torch.randn(*shape, generator=g).double()


@lru_cache(maxsize=len(DKS))  # shared by the checks of one seed; at most one seed's samples kept
def _dot_products(d_k: int, stat_seed: int) -> torch.Tensor:
    """N samples of q·k with q, k having independent N(0, 1) entries."""
    q, k = _normal(_generator(stat_seed, d_k), 2, N, d_k)
    return (q * k).sum(dim=-1)


def _relative_se_of_variance(d_k: int, n: int = N) -> float:
    """Relative SE of the sample variance of q·k: √((κ - 1)/n), with kurtosis κ = 3 + 6/d_k
    (a sum of d_k products of independent standard normals, each of kurtosis 9)."""
    return math.sqrt((2 + 6 / d_k) / n)


@pytest.mark.statistical
def test_dot_product_of_unit_variance_vectors_has_mean_zero_and_variance_dk(stat_seed):
    # Relative SE <= √(2.375/2000) = 0.034, so the band ±5 SE is ±0.17 at most; the mean's SE is
    # √(d_k/N), and the band is ±5 of those. Seed 0: Var(q·k)/d_k = 1.02, 1.01, 0.98, 1.03.
    for d_k in DKS:
        s = _dot_products(d_k, stat_seed)
        se = _relative_se_of_variance(d_k)
        assert abs(s.var().item() / d_k - 1) <= 5 * se, f"d_k={d_k}: Var(q·k)={s.var():.1f}, expected {d_k}"
        assert abs(s.mean().item()) <= 5 * math.sqrt(d_k / N), f"d_k={d_k}: mean {s.mean():.3f}, expected 0"


@pytest.mark.statistical
def test_what_spreads_with_dk_is_a_rows_scores_across_keys_not_the_values_across_dimensions(stat_seed):
    # Each product q_i k_i has variance 1 whatever d_k (the "dimensions" do not drift apart);
    # what grows is the spread of one query's scores over its keys, std √d_k. 32 rows x 32 keys:
    # the product variance E[q_i²]E[k_i²] is estimated with the 32 x d_k query entries shared by
    # every key, so its SE is about √(2/(32 d_k) + 2/(1024 d_k)) <= 0.064 (d_k = 16): band ±0.35
    # > 5 SE. A row's score variance / d_k has mean 1 and SE <= √(2/31 + 2/d_k)/√32 = 0.077
    # (d_k = 16): band ±0.4 > 5 SE. Either way d_k = 16 and 1024 differ 64-fold in the raw spread.
    # Seed 0: product variances 0.98, 0.96, 1.00, 1.00; row variance / d_k 0.99, 0.93, 0.86, 1.01.
    for d_k in DKS:
        g = _generator(stat_seed, d_k + 5)
        q, k = _normal(g, 32, 1, d_k), _normal(g, 32, 32, d_k)
        products = q * k  # [rows, keys, d_k]
        assert abs(products.var().item() - 1) <= 0.35, f"d_k={d_k}: Var(q_i k_i) = {products.var():.3f}, expected 1"
        row_spread = products.sum(-1).var(dim=-1).mean().item()  # variance of a row's scores over its keys
        assert abs(row_spread / d_k - 1) <= 0.4, f"d_k={d_k}: within-row score variance {row_spread:.1f}, expected {d_k}"


@pytest.mark.statistical
def test_only_the_factor_one_over_sqrt_dk_gives_unit_variance(stat_seed):
    d_k = 64
    s = _dot_products(d_k, stat_seed)
    variance = {name: (s * c).var().item() for name, c in
                [("x d_k", d_k), ("/ d_k", 1 / d_k), ("/ √d_k", d_k**-0.5)]}
    tolerance = 5 * _relative_se_of_variance(d_k)  # 5 relative SE: 0.17 (the same sample each time)
    assert abs(variance["/ √d_k"] - 1) <= tolerance, variance
    assert abs(variance["x d_k"] / d_k**3 - 1) <= tolerance, variance  # the garbled "scaled by d_k": d_k³
    assert abs(variance["/ d_k"] * d_k - 1) <= tolerance, variance  # dividing by d_k: 1/d_k


KEYS = 32


def _rows(d_k: int) -> int:
    """Queries used at width d_k: enough for an SE of <= 0.03 on the mean row variance (below)."""
    return max(100, 12_000 // d_k)


@pytest.mark.statistical
def test_the_implementations_scores_have_unit_variance_whatever_dk(impl, stat_seed):
    # The scores are read back from the weights: log w_ts = score_ts - logsumexp_s, so the
    # variance of log w over a row's keys is the variance of its scores. Given q, the 32 scores
    # q·k_s/√d_k are N(0, |q|²/d_k): a row's sample variance has mean E|q|²/d_k = 1 and variance
    # 2/31 + 2/d_k. Over 750, 187, 100, 100 rows (d_k = 16, 64, 256, 1024) the SE of the mean is
    # 0.016, 0.023, 0.027, 0.026, so ±0.15 is >= 5.5 SE. Seed 0: 0.99, 1.01, 0.96, 1.02.
    # Unscaled it would be d_k; divided by d_k, 1/d_k.
    variances = []
    for d_k in DKS:
        g = _generator(stat_seed, d_k + 1)
        q, k = _normal(g, _rows(d_k), 1, d_k), _normal(g, _rows(d_k), KEYS, d_k)
        log_w = impl.attention_weights(q, k).log()  # [rows, 1, KEYS]
        variances.append(log_w.var(dim=-1).mean().item())
    assert all(abs(v - 1) <= 0.15 for v in variances), (
        f"the implementation's scores have variance {[round(v, 3) for v in variances]} for d_k = {list(DKS)}, "
        "expected 1 at every d_k: q·k has variance d_k, so the scores must be divided by √d_k")


@pytest.mark.statistical
def test_unscaled_score_variance_falls_as_heads_increase_at_fixed_d_model(impl, stat_seed):
    # d_model = 512 split by the implementation into H heads; the fused projections are taken to
    # be the identity, so each head's queries and keys are its slice of unit-variance inputs. A
    # head's raw logit q_h·k_h then has variance d_k = 512/H: it follows the per-head width.
    # 1,024 logits per H: relative SE <= √(2.375/1024) = 0.048, band ±0.24 = 5 SE (the three
    # widths are 4x apart). Seed 0: 259, 65.9, 17.0 for H = 2, 8, 32 (expected 256, 64, 16).
    d_model, found = 512, {}
    for H in (2, 8, 32):
        g = _generator(stat_seed, H)
        x, y = _normal(g, 2, 1024 // H, 1, d_model)  # [B, T=1, D] each
        q, k = impl.split_heads(x, H), impl.split_heads(y, H)  # [B, H, 1, 512/H]
        assert q.shape == (1024 // H, H, 1, d_model // H), f"split_heads gave {tuple(q.shape)}, expected [B, H, T, Dk]"
        logits = (q * k).sum(-1)  # [B, H, 1]: 1024 raw (unscaled) per-head logits
        d_k = d_model // H
        found[H] = logits.var().item()
        assert abs(found[H] / d_k - 1) <= 5 * _relative_se_of_variance(d_k, 1024), (
            f"H={H}: per-head logit variance {found[H]:.1f}, expected d_model/H = {d_k}")
    assert found[2] > found[8] > found[32], found


def _softmax_jacobian_norm(p: torch.Tensor) -> torch.Tensor:
    """‖diag(p) - p pᵀ‖_F, the size of the softmax's Jacobian at output p, per row."""
    p2 = (p**2).sum(-1)
    return (p2 - 2 * (p**3).sum(-1) + p2**2).clamp(min=0).sqrt()


@lru_cache(maxsize=None)  # small summaries: one computation per seed serves the four checks below
def _softmax_summary(impl, stat_seed: int, trials: int = 200, keys: int = 64) -> dict:
    """For each d_k and with/without the scaling: `trials` queries, each with its own `keys` keys,
    all entries N(0, 1). Per row: the largest attention weight, the norm of the softmax Jacobian
    (how much gradient reaches the scores), and ‖∂L/∂q‖ for the loss L = Σ_s w_s u_s with
    u ~ N(0, 1) per key, taken with respect to the query before any scaling. Without scaling the
    query is multiplied by √d_k, which cancels the implementation's 1/√d_k: raw q·k logits.
    Returns {(d_k, scaled): (rows of largest weight, Jacobian norm, gradient norm)} as [trials] tensors."""
    out = {}
    for d_k in DKS:
        g = _generator(stat_seed, d_k + 2)
        q, k, u = _normal(g, trials, 1, d_k), _normal(g, trials, keys, d_k), _normal(g, trials, keys)
        for scaled in (False, True):
            q_ = q.clone().requires_grad_()
            w = impl.attention_weights(q_ if scaled else q_ * math.sqrt(d_k), k)[:, 0]  # [trials, keys]
            (w * u).sum().backward()
            w = w.detach()
            out[d_k, scaled] = (w.max(dim=-1).values, _softmax_jacobian_norm(w), q_.grad.norm(dim=-1))
    return out


def _mean(impl, stat_seed: int, d_k: int, scaled: bool, what: int) -> float:
    return _softmax_summary(impl, stat_seed)[d_k, scaled][what].mean().item()


LARGEST, JACOBIAN, GRADIENT = 0, 1, 2


@pytest.mark.statistical
def test_without_scaling_the_softmax_saturates_as_dk_grows(impl, stat_seed):
    # Seed 0: mean largest weight 0.57, 0.79, 0.90, 0.95 for d_k = 16, 64, 256, 1024 (uniform: 1/64).
    # SE of each mean over 200 trials (measured sd / √200): 0.017, 0.015, 0.011, 0.009. The steps
    # 16 -> 64 -> 256 (0.22, 0.11) are >= 5 SE of a difference; 0.95 is > 5 SE above 0.89.
    # Expected steps (mean over seeds 0-2): 0.22, 0.10, i.e. >= 5.4 SE. (The last step, 256 -> 1024,
    # is only ~3 SE and is not asserted.)
    means = [_mean(impl, stat_seed, d_k, False, LARGEST) for d_k in DKS]
    assert means[0] < means[1] < means[2], f"largest weight not increasing with d_k: {means}"
    assert means[-1] > 0.89, f"at d_k=1024 the unscaled softmax should be near one-hot: {means}"


@pytest.mark.statistical
def test_with_scaling_the_softmax_does_not_saturate_as_dk_grows(impl, stat_seed):
    # Seed 0: 0.10 to 0.11 at every d_k (uniform: 0.016). SE <= 0.004, so the bound
    # 0.2 is > 20 SE above every value.
    means = [_mean(impl, stat_seed, d_k, True, LARGEST) for d_k in DKS]
    assert all(m < 0.2 for m in means), f"scaled attention saturates: {means}"


@given(st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_softmax_jacobian_norm_formula_matches_autograd(n, seed):
    x = torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    jacobian = torch.autograd.functional.jacobian(lambda z: z.softmax(-1), x)
    assert torch.allclose(jacobian.norm(), _softmax_jacobian_norm(x.softmax(-1)), atol=1e-12)


@pytest.mark.statistical
def test_without_scaling_the_softmax_gradient_vanishes_as_dk_grows(impl, stat_seed):
    # The gradient with respect to the logits passes through diag(p) - ppᵀ. Seed 0: its mean norm
    # is 0.30, 0.21, 0.13, 0.07 unscaled and 0.18 at every d_k scaled. SE over 200 rows (measured
    # sd / √200): 0.009, 0.012, 0.011, 0.010 unscaled, <= 0.002 scaled. The steps 16 -> 64 -> 256
    # (0.09, 0.09; expected ~0.09 each) are >= 5 SE of a difference; 0.07 is > 5 SE below 0.125; the scaled values
    # spread by ~0.006, far inside 0.05.
    unscaled = [_mean(impl, stat_seed, d_k, False, JACOBIAN) for d_k in DKS]
    scaled = [_mean(impl, stat_seed, d_k, True, JACOBIAN) for d_k in DKS]
    assert unscaled[0] > unscaled[1] > unscaled[2], f"unscaled: {unscaled}"
    assert unscaled[-1] < 0.125, f"unscaled gradient at d_k=1024 should be small: {unscaled}"
    assert max(scaled) - min(scaled) < 0.05, f"scaled gradient should not depend on d_k: {scaled}"


@pytest.mark.statistical
def test_without_scaling_the_gradient_reaching_a_typical_query_collapses_too(impl, stat_seed):
    # ∂L/∂q is the logits' gradient times the keys, ∂(q·k_s)/∂q = k_s, whose norm grows like √d_k.
    # Loss: Σ_s w_s u_s with u ~ N(0, 1) per key; the gradient is taken with respect to the query
    # before any scaling. Per-row norms are heavy-tailed, so the typical row is measured by the
    # geometric mean (the mean of log ‖∂L/∂q‖). Seed 0, unscaled: geometric mean 0.70 at d_k = 16,
    # 3.2e-4 at d_k = 1024 (median 0.84 -> 0.0028, mean 1.0 -> 1.7); scaled: 0.16 and 0.17. SE of a mean log over 200
    # rows (measured sd / √200): 0.08 (d_k = 16) and 0.7 (1024) unscaled, 0.02 scaled. Asserted:
    # a fall by more than e^4 ≈ 55 (measured e^7.7, expected ~e^8.5: >= 5 SE above 4), scaled
    # values within 0.2 in log (> 5 SE), and the unscaled MEAN at 1024 above 100 times its
    # geometric mean (measured 1.7 vs 3.2e-4: a few unsaturated rows carry the mean; log gap 8.6,
    # > 5 SE above log 100 = 4.6).
    def norms(d_k, scaled):
        return _softmax_summary(impl, stat_seed)[d_k, scaled][GRADIENT]  # [trials]

    def log_mean(n):
        return n.log().mean().item()

    unscaled = [norms(d_k, False) for d_k in (16, 1024)]
    scaled = [norms(d_k, True) for d_k in (16, 1024)]
    typical = [log_mean(n) for n in unscaled]
    assert typical[0] - typical[1] > 4, (
        f"without scaling the typical ‖∂L/∂q‖ should collapse from d_k=16 to 1024: "
        f"geometric means {math.exp(typical[0]):.3g}, {math.exp(typical[1]):.3g}")
    assert abs(log_mean(scaled[0]) - log_mean(scaled[1])) < 0.2, f"scaled: {[log_mean(n) for n in scaled]}"
    assert math.log(unscaled[1].mean().item()) - typical[1] > math.log(100), (
        f"mean {unscaled[1].mean():.3g} vs geometric mean {math.exp(typical[1]):.3g}")


def test_softmax_of_huge_logits_does_not_overflow_so_overflow_is_not_why_we_scale(impl):
    # logits of 1e4 and more: exp() alone overflows float64 at ~709
    q = torch.tensor([[100.0, 100.0]], dtype=torch.float64)
    k = torch.tensor([[100.0, 100.0], [99.0, 99.0], [0.0, 0.0]], dtype=torch.float64)
    w = impl.attention_weights(q, k)
    assert torch.isinf((q @ k.T).exp()).any(), "the naive exp() should overflow on these logits"
    assert torch.isfinite(w).all(), f"weights {w} are not finite: subtract each row's maximum before exp()"
    assert torch.allclose(w.sum(-1), torch.ones(1, dtype=w.dtype))


def test_in_float16_the_unscaled_product_qk_can_overflow_before_any_softmax_so_kernels_scale_q_first():
    # float16 stops at 65504. Activations of size 20 in d_k = 256 give q·k = 256 · 400 = 102,400:
    # the product itself is inf, and no softmax can repair it. Scaling q by 1/√d_k first keeps it
    # at 6,400, which is why fused kernels fold the factor into q (or compute QKᵀ in float32).
    d_k = 256
    q = torch.full((1, d_k), 20.0, dtype=torch.float16)
    k = torch.full((2, d_k), 20.0, dtype=torch.float16)
    assert (q @ k.T).isinf().all(), q @ k.T
    scaled_first = (q / math.sqrt(d_k)) @ k.T
    assert scaled_first.isfinite().all() and (scaled_first == 6400).all(), scaled_first
    assert torch.finfo(torch.float16).max == 65504


@pytest.mark.statistical
def test_for_correlated_queries_and_keys_the_dot_product_grows_like_dk_so_only_one_over_dk_keeps_it_fixed(stat_seed):
    # The √d_k argument assumes q and k independent. If training aligns them (here k = q, the
    # extreme case), q·k = |q|² has mean d_k, not 0: divided by √d_k it still grows like √d_k,
    # divided by d_k it stays at 1 (μP's choice). 1,000 samples per d_k: |q|²/d_k has sd √(2/d_k),
    # so its mean has SE √(2/d_k)/√1000 <= 0.011; the band ±0.06 is > 5 SE.
    for d_k in DKS:
        q = _normal(_generator(stat_seed, d_k + 4), 1000, d_k)
        aligned = (q * q).sum(-1)  # q·k with k = q
        assert abs(aligned.mean().item() / d_k - 1) <= 0.06, f"d_k={d_k}: mean q·q = {aligned.mean():.1f}"
        by_sqrt = (aligned / math.sqrt(d_k)).mean().item()
        assert abs(by_sqrt / math.sqrt(d_k) - 1) <= 0.06, f"d_k={d_k}: q·q/√d_k = {by_sqrt:.2f}, grows like √d_k"


# --- logit growth, QK-norm and soft-capping ----------------------------------------------------------

def _entropy(w: torch.Tensor) -> torch.Tensor:
    """Entropy of each row of weights (nats); 0 for one-hot, log S for uniform."""
    return -(w * w.clamp(min=1e-300).log()).sum(-1)


def _rms_normalise(x: torch.Tensor) -> torch.Tensor:
    """QK-norm without a learned gain: each vector divided by its RMS, so its norm is √Dk."""
    return x / x.pow(2).mean(-1, keepdim=True).sqrt()


def test_scaling_the_query_and_key_projections_by_c_multiplies_the_logits_by_c_squared_and_collapses_attention(impl):
    # W_Q, W_K -> c W_Q, c W_K multiplies every q·k by c². Read back from the weights (log w minus its
    # row mean), the logits scale by exactly c²; the attention entropy falls towards 0 (one-hot).
    T, Dk = 16, 16
    q, k = randn(T, Dk, seed=0), randn(T, Dk, seed=1)

    def centred_logits(c):
        log_w = impl.attention_weights(c * q, c * k).log()
        return log_w - log_w.mean(-1, keepdim=True)

    for c in (2.0, 3.0):
        assert_close(centred_logits(c), c**2 * centred_logits(1.0))
    entropy = [_entropy(impl.attention_weights(c * q, c * k)).mean().item() for c in (1.0, 2.0, 4.0, 8.0)]
    # measured: 2.38, 0.87, 0.17, 0.065 nats (uniform over 16 keys: 2.77)
    assert all(a > b for a, b in zip(entropy, entropy[1:])) and entropy[-1] < 0.1, entropy


def test_qk_norm_bounds_the_logits_so_scaling_the_projections_changes_nothing(impl):
    # Normalising q and k to norm √Dk before the product bounds every logit by √Dk (Cauchy-Schwarz:
    # |q̂·k̂|/√Dk <= √Dk·√Dk/√Dk), and makes the weights blind to the scale c of the projections.
    T, Dk = 16, 16
    q, k = randn(T, Dk, seed=0), randn(T, Dk, seed=1)
    reference = impl.attention_weights(_rms_normalise(q), _rms_normalise(k))
    for c in (0.1, 8.0, 1000.0):
        w = impl.attention_weights(_rms_normalise(c * q), _rms_normalise(c * k))
        assert_close(w, reference)
    log_w = reference.log()
    spread = (log_w.amax(-1) - log_w.amin(-1)).max().item()  # largest logit gap within a row
    assert spread <= 2 * math.sqrt(Dk), f"logit gap {spread:.2f} exceeds 2√Dk = {2 * math.sqrt(Dk)}"


def test_tanh_soft_capping_bounds_every_logit_and_leaves_small_ones_almost_unchanged():
    # Gemma 2 caps attention logits as cap·tanh(s/cap) with cap = 50.
    cap = 50.0
    s = torch.linspace(-1e6, 1e6, 20_001, dtype=torch.float64)
    capped = cap * torch.tanh(s / cap)
    assert capped.abs().max() <= cap and (capped.diff() >= 0).all()  # bounded and order-preserving
    small = torch.linspace(-cap / 10, cap / 10, 101, dtype=torch.float64)
    error = (cap * torch.tanh(small / cap) - small).abs()
    assert (error <= small.abs() ** 3 / (3 * cap**2) + 1e-12).all()  # tanh x = x - x³/3 + ...: < 0.4 % at cap/10
    assert error.max() / (cap / 10) < 0.004
