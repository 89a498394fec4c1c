"""Claims about RMSNorm (questions/normalization/rmsnorm-vs-layernorm.yaml,
questions/llm/modern-llm-block.yaml, questions/llm/llama-style-decoder-block.yaml).

Each check is named as the claim reads. The oracle is PyTorch's own nn.RMSNorm in float64;
the comparison with LayerNorm uses the contract's LayerNorm (impl.LayerNorm). Inputs are
drawn where the classic bugs really differ: rows with a non-zero mean (subtracting it),
rows whose RMS is near √eps (eps outside the square root), T >= 2 rows of different scales
(normalising over the wrong axis), float16 entries above 256 (a mean square in float16).
"""

import math

import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from checks.strategies import randn, seeds

F64 = torch.float64
EPS = 1e-6  # the contract's default, LLaMA's

# Hugging Face's LlamaRMSNorm normalises in float32 whatever the input's dtype, so a float64
# input comes back with float32 rounding (~1e-7 relative). The bugs these checks target differ
# by more than 1e-2 on the inputs drawn, so this tolerance accepts it and still rejects them.
TOL = dict(rtol=1e-5, atol=1e-6)

widths = st.integers(2, 8)  # D >= 2: with D = 1 every row is ±1 whatever the bug
lengths = st.integers(2, 5)  # T >= 2 rows, so normalising over the wrong axis shows
log_scales = st.floats(-4.0, 1.0)  # row scales 1e-4 .. 10: RMS ≈ √eps = 1e-3 is in range


def _rows(T: int, D: int, seed: int, *, offset: float = 0.0, log_scale: float = 0.0) -> torch.Tensor:
    """[2, T, D] float64: N(offset, 1) entries, each row scaled by its own factor around 10**log_scale."""
    row_scales = 10.0 ** (log_scale + randn(2, T, 1, seed=seed + 1).clamp(-1, 1))  # [2, T, 1]
    return (randn(2, T, D, seed=seed) + offset) * row_scales


def _rms_norm(impl, D: int, seed: int | None = None, **kwargs) -> nn.Module:
    norm = impl.RMSNorm(D, **kwargs).to(F64)
    if seed is not None:
        with torch.no_grad():
            norm.weight.copy_(randn(D, seed=seed))
    return norm


@given(lengths, widths, st.floats(-3.0, 3.0), log_scales, seeds)
def test_rmsnorm_matches_torch_rms_norm(impl, T, D, offset, log_scale, seed):
    x = _rows(T, D, seed, offset=offset, log_scale=log_scale)  # [2, T, D]
    ours, oracle = _rms_norm(impl, D), nn.RMSNorm(D, eps=EPS, dtype=F64)
    assert_close(ours(x), oracle(x), **TOL, msg=lambda m: f"a fresh RMSNorm(D) differs from nn.RMSNorm(D, eps=1e-6): {m}")
    with torch.no_grad():
        ours.weight.copy_(randn(D, seed=seed + 2))
        oracle.weight.copy_(ours.weight)
    assert_close(ours(x), oracle(x), **TOL)


@given(lengths, widths, st.floats(0.5, 5.0), seeds)
def test_rmsnorm_does_not_centre_so_a_shift_of_the_input_changes_it_while_layernorm_ignores_it(impl, T, D, c, seed):
    x = randn(T, D, seed=seed)
    x = (x - x.mean(dim=-1, keepdim=True)) / x.std(dim=-1, unbiased=False, keepdim=True)  # mean 0, mean(x²) 1
    rms, ln = _rms_norm(impl, D), impl.LayerNorm(D).to(F64)  # fresh: weight 1 (LayerNorm: bias 0)
    assert_close(ln(x + c), ln(x), **TOL)  # LayerNorm subtracts the mean, so the shift cancels
    # RMSNorm keeps it: mean((x + c)²) = 1 + c², so each output row has mean c / √(1 + c² + eps), not 0
    expected = torch.full((T,), c / math.sqrt(1 + c * c + EPS), dtype=F64)
    assert_close(rms(x).mean(dim=-1), torch.zeros(T, dtype=F64), **TOL)
    assert_close(rms(x + c).mean(dim=-1), expected, **TOL,
                 msg=lambda m: f"after a shift by c = {c:.3f} each row's mean should be c / √(1 + c²) "
                               f"= {expected[0]:.4f} (RMSNorm does not centre): {m}")


@given(lengths, widths, log_scales, seeds)
def test_on_zero_mean_rows_rmsnorm_equals_layernorm_without_its_bias(impl, T, D, log_scale, seed):
    x = _rows(T, D, seed, log_scale=log_scale)
    x = x - x.mean(dim=-1, keepdim=True)  # every row has mean 0, so mean(x²) is the biased variance
    ln = impl.LayerNorm(D).to(F64)  # eps 1e-5, bias 0
    rms = _rms_norm(impl, D, eps=ln.eps)
    with torch.no_grad():
        ln.weight.copy_(randn(D, seed=seed + 2))
        rms.weight.copy_(ln.weight)
    assert_close(rms(x), ln(x), **TOL, msg=lambda m: "on zero-mean rows mean(x²) is the variance, so RMSNorm "
                 f"should equal LayerNorm with bias 0 (both eps = {ln.eps}): {m}")


@given(lengths, widths, seeds, st.data())
def test_rmsnorm_is_scale_invariant_per_position_and_gives_each_position_rms_one(impl, T, D, seed, data):
    x = randn(T, D, seed=seed)
    c = torch.tensor(data.draw(st.lists(st.floats(1e-3, 1e3), min_size=T, max_size=T), label="c"), dtype=F64)
    rms = _rms_norm(impl, D, eps=0.0)  # no eps: the invariance is exact (with eps it holds for c² mean(x²) >> eps)
    y = rms(x)
    assert_close(rms(c[:, None] * x), y, **TOL,  # each position scaled by its own c > 0
                 msg=lambda m: f"scaling position t by c[t] = {c.tolist()} changed RMSNorm's output: {m}")
    assert_close(y.pow(2).mean(dim=-1).sqrt(), torch.ones(T, dtype=F64), **TOL,
                 msg=lambda m: f"with weight 1 and eps 0 every position's output should have RMS 1: {m}")


def test_rmsnorm_has_d_parameters_half_of_layernorm(impl):
    for D in (8, 512, 4096):
        n_rms = sum(p.numel() for p in impl.RMSNorm(D).parameters())
        n_ln = sum(p.numel() for p in impl.LayerNorm(D).parameters())
        assert n_rms == D, f"RMSNorm({D}) has {n_rms} parameters, expected D = {D} (one gain per feature, no bias)"
        assert 2 * n_rms == n_ln, f"RMSNorm({D}): {n_rms} parameters, LayerNorm({D}): {n_ln}; expected half"


@given(st.integers(2, 16), st.floats(300.0, 3000.0), seeds)
def test_in_float16_rmsnorm_computes_the_mean_square_in_float32_so_entries_above_256_do_not_overflow(
        impl, D, size, seed):
    # 256² = 65536 > 65504, the largest float16: a mean square computed in float16 is inf,
    # and x / inf = 0. Entries of magnitude `size` in [300, 3000] overflow it every time.
    signs = torch.where(randn(2, D, seed=seed) > 0, 1.0, -1.0).to(F64)
    x = (signs * size * (1 + 0.1 * randn(2, D, seed=seed + 1).clamp(-1, 1))).to(torch.float16)  # [2, D]
    y = impl.RMSNorm(D).to(torch.float16)(x)
    assert y.dtype == torch.float16, f"float16 input gave {y.dtype}; RMSNorm returns the input's dtype"
    expected = nn.RMSNorm(D, eps=EPS, dtype=F64)(x.to(F64))
    assert torch.isfinite(y).all() and y.abs().max() > 0.5, f"float16 RMSNorm of entries ~{size:.0f} gave {y}"
    # float16 has a relative precision of 2**-10 ≈ 1e-3; the output (|y| ~ 1) is rounded a few times
    assert_close(y.to(F64), expected, rtol=4e-3, atol=4e-3,
                 msg=lambda m: f"float16 RMSNorm of entries ~{size:.0f} is off by more than float16 rounding: {m}")


def test_torch_rmsnorm_defaults_to_the_dtypes_machine_epsilon_not_llamas_1e_minus_6():
    x = 1e-4 * randn(3, 8, seed=0)  # mean(x²) ~ 1e-8: eps decides the output
    default = nn.RMSNorm(8, dtype=F64)
    assert default.eps is None, f"nn.RMSNorm(8).eps = {default.eps}"

    def by_hand(eps: float) -> torch.Tensor:
        return x / torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)

    assert_close(default(x), by_hand(torch.finfo(F64).eps))  # 2.2e-16 for float64
    gap = (default(x) - by_hand(1e-6)).abs().max().item()
    assert gap > 0.5, f"the default and eps = 1e-6 differ by only {gap:.2e} on rows of RMS 1e-4"
