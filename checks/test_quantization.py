"""Claims about weight-only quantisation (questions/efficiency/weight-only-quantization.yaml).

The implementation under test is `impl.quantize_absmax` (and `impl.dequantize`). The oracles are
PyTorch's own reductions and rounding in float64 (torch.amax, torch.round), torch.ao's symmetric
min/max observer for the library's convention, and models built on the `meta` device for the
memory arithmetic. Scales are compared with rtol 1e-6: PyTorch's own observer returns float32
scales, and every classic scale bug (a mean, 2^(bits−1), 127.5) is off by far more.
"""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from checks.strategies import randn, seeds

F64 = torch.float64
bit_widths = st.sampled_from([2, 3, 4, 8])
shapes = st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple)
SCALE_RTOL = 1e-6


@st.composite
def weights(draw):
    """(w, axis): a float64 weight of 1 to 3 dimensions, entries N(0, σ²) pushed 0.05σ away from zero, with σ
    from 1e-3 to 10, and None (per tensor) or one of its axes (negative ones included). Every slice's max|w| is
    then above qmax times float32's eps (1.2e-7), the floor torch.ao's observers put under a scale (the
    contract leaves the scale of a (near-)zero slice open; test_an_all_zero_row... covers exact zeros)."""
    shape = draw(shapes)
    z = randn(*shape, seed=draw(seeds))
    w = (z + 0.05 * torch.where(z < 0, -1.0, 1.0)) * draw(st.sampled_from([1e-3, 1.0, 10.0]))
    axis = draw(st.sampled_from([None, *range(len(shape)), *range(-len(shape), 0)]))
    return w, axis


def _absmax(w: torch.Tensor, axis: int | None) -> torch.Tensor:
    """max |w| per tensor (0-dim) or per index of `axis` (kept broadcastable): the oracle's reduction."""
    if axis is None:
        return w.abs().amax()
    shape = [1] * w.dim()
    shape[axis] = w.shape[axis]
    return w.movedim(axis, 0).reshape(w.shape[axis], -1).abs().amax(1).reshape(shape)  # a 1-D w: each entry


def _qmax(bits: int) -> int:
    return 2 ** (bits - 1) - 1


# ------------------------------------------------------------------ the scale and the codes


@given(weights(), st.sampled_from([None, 2, 3, 4, 8]))
def test_the_scale_is_the_largest_absolute_value_over_2_to_the_bits_minus_1_minus_1(impl, w_axis, bits):
    w, axis = w_axis
    if bits is None:  # bits left to the default: int8, the usual weight-only format
        q, scale = impl.quantize_absmax(w, axis=axis)
        bits = 8
    else:
        q, scale = impl.quantize_absmax(w, bits=bits, axis=axis)
    expected = _absmax(w, axis) / _qmax(bits)
    assert tuple(scale.shape) == tuple(expected.shape), (
        f"axis={axis} on a {tuple(w.shape)} weight: the scale should be {tuple(expected.shape)} (one per "
        f"{'tensor' if axis is None else 'index of that axis, kept broadcastable'}); got {tuple(scale.shape)}")
    assert_close(scale, expected, rtol=SCALE_RTOL, atol=0, msg=lambda m: (
        f"{bits} bits: s = max|w| / (2^(bits−1) − 1) = max|w| / {_qmax(bits)} (the symmetric range "
        f"−{_qmax(bits)}..{_qmax(bits)}): {m}"))


@given(weights(), bit_widths)
def test_the_codes_are_w_over_the_scale_rounded_to_the_nearest_integer_within_minus_qmax_to_qmax(impl, w_axis, bits):
    w, axis = w_axis
    q, scale = impl.quantize_absmax(w, bits=bits, axis=axis)
    assert q.dtype == torch.int8 and q.shape == w.shape, f"codes: int8 {tuple(w.shape)}; got {q.dtype} {tuple(q.shape)}"
    ratio = w / scale
    expected = torch.round(ratio)
    tie = (ratio - ratio.floor() - 0.5).abs() < 1e-9  # an exact half may round either way
    wrong = (q.to(F64) != expected) & ~tie
    assert not wrong.any(), (
        f"{bits} bits: q = round(w / s); at w / s = {ratio[wrong][:4].tolist()} got {q[wrong][:4].tolist()}, "
        f"expected {expected[wrong][:4].tolist()} (the nearest integers to w / s, with the s returned)")
    qmax = _qmax(bits)
    assert q.abs().max() <= qmax, f"{bits} bits: codes must lie in −{qmax}..{qmax}; found {q.abs().max().item()}"


@given(weights(), bit_widths)
def test_dequantised_weights_are_within_half_a_step_of_the_originals(impl, w_axis, bits):
    w, axis = w_axis
    q, scale = impl.quantize_absmax(w, bits=bits, axis=axis)
    error = (w - q.to(F64) * scale).abs()  # ŵ = q · s, computed here: dequantize is checked on its own
    bound = scale.expand_as(w) / 2
    over = error > bound * (1 + 1e-9)
    assert not over.any(), (
        f"{bits} bits, axis={axis}: |w − q·s| must be ≤ s/2 everywhere; found {error[over][:3].tolist()} "
        f"against s/2 = {bound[over][:3].tolist()}")


@given(weights(), bit_widths)
def test_the_largest_weight_is_exact_and_negating_w_negates_the_codes(impl, w_axis, bits):
    w, axis = w_axis
    q, scale = impl.quantize_absmax(w, bits=bits, axis=axis)
    q_neg, scale_neg = impl.quantize_absmax(-w, bits=bits, axis=axis)
    assert torch.equal(q_neg, -q), (
        f"{bits} bits: the symmetric grid −{_qmax(bits)}..{_qmax(bits)} gives q(−w) = −q(w); codes of w "
        f"{q.flatten()[:6].tolist()}, of −w {q_neg.flatten()[:6].tolist()}")
    at_max = w.abs() == _absmax(w, axis)
    assert (q.abs()[at_max] == _qmax(bits)).all(), (
        f"{bits} bits: the largest |w| of each slice must get code ±{_qmax(bits)}; got {q[at_max].tolist()}")
    assert_close(q[at_max].to(F64) * scale.expand_as(w)[at_max], w[at_max], rtol=SCALE_RTOL, atol=0)


def test_an_all_zero_row_gets_codes_0_and_dequantises_to_0(impl):
    w = randn(3, 5, seed=0)
    w[1] = 0.0
    for axis in (0, None):
        q, scale = impl.quantize_absmax(w, bits=4, axis=axis)
        assert (q[1] == 0).all(), f"axis={axis}: a zero row must get codes 0; got {q[1].tolist()}"
        zero_row_scale = scale if axis is None else scale[1]
        assert (zero_row_scale > 0).all(), (
            f"axis={axis}: the zero row's scale is {zero_row_scale.flatten().tolist()}; it must be positive, since "
            "w / 0 = 0 / 0 is NaN, whose cast to int8 C++ leaves undefined (it happens to give 0 here)")
        restored = q.to(F64) * scale
        assert torch.isfinite(restored).all() and (restored[1] == 0).all(), (
            f"axis={axis}: dequantised zero row {restored[1].tolist()} (a scale of 0 gives 0 / 0 = NaN codes)")


@given(shapes, st.sampled_from([F64, torch.float32, torch.float16]), seeds)
def test_dequantize_multiplies_the_codes_by_the_scale_broadcast_over_its_slice(impl, shape, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    q = torch.randint(-127, 128, shape, generator=g, dtype=torch.int8)
    axis = int(torch.randint(len(shape), (1,), generator=g))
    scale_shape = [1] * len(shape)
    scale_shape[axis] = shape[axis]
    scale = torch.rand(scale_shape, generator=g, dtype=F64).to(dtype) + 0.5
    got = impl.dequantize(q, scale)
    expected = q.to(dtype) * scale
    assert got.dtype == dtype, f"dequantize returns the scale's dtype {dtype}; got {got.dtype}"
    assert_close(got, expected)
    assert_close(impl.dequantize(q, scale[(0,) * len(shape)]), q.to(dtype) * scale[(0,) * len(shape)])  # 0-dim


# ------------------------------------------------------------------ outliers: per tensor vs per channel


def _outlier_row_weight(seed: int) -> torch.Tensor:
    """A [64, 128] N(0, 1) weight whose row 5 is 50 times larger (an outlier output channel)."""
    w = randn(64, 128, seed=seed)
    w[5] *= 50
    return w


def _rms_error(impl, w: torch.Tensor, bits: int, axis: int | None) -> torch.Tensor:
    q, scale = impl.quantize_absmax(w, bits=bits, axis=axis)
    return (w - q.to(F64) * scale).pow(2)


@pytest.mark.statistical
def test_per_channel_scales_leave_the_rows_beside_an_outlier_row_untouched_while_one_tensor_scale_spoils_them(
        impl, stat_seed):
    w = _outlier_row_weight(stat_seed)
    others = torch.ones(64, dtype=torch.bool)
    others[5] = False
    plain = w.clone()
    plain[5] /= 50  # the same weight without the outlier
    q_out, s_out = impl.quantize_absmax(w, bits=8, axis=0)
    q_plain, s_plain = impl.quantize_absmax(plain, bits=8, axis=0)
    assert torch.equal(q_out[others], q_plain[others]), "per channel, one row's outlier must not change another's codes"
    assert_close(s_out[others], s_plain[others])
    per_channel = _rms_error(impl, w, 8, 0)[others].mean().sqrt().item()
    per_tensor = _rms_error(impl, w, 8, None)[others].mean().sqrt().item()
    ratio = per_tensor / per_channel
    # The error of a rounding step s is ≈ s/√12 (a check below), so the ratio is that of the scales:
    # 50 · max|row 5| over a typical row's own max, both maxima of 128 normals (≈ 2.2 to 3.8), so ~30 to ~85;
    # seed 0 measures 45.0. The RMS over 63 · 128 errors has SE ≈ 1 %; the bound 20 is far below either spread.
    assert ratio > 20, (f"on the 63 ordinary rows, one tensor-wide scale gives an RMS error {per_tensor:.3g}, per-row "
                        f"scales {per_channel:.3g}: only {ratio:.1f}× worse; ~50× expected")


@pytest.mark.statistical
def test_one_outlier_input_feature_inflates_every_row_scale_so_per_row_scales_do_not_help(impl, stat_seed):
    g = torch.Generator().manual_seed(stat_seed)
    w = torch.randn(64, 128, generator=g, dtype=F64)
    sign = torch.randint(0, 2, (64,), generator=g, dtype=F64) * 2 - 1
    outlier = w.clone()
    outlier[:, 7] = 20 * sign  # input feature 7 is ~20× larger in every row (as an outlier feature dimension)
    ordinary = torch.ones(128, dtype=torch.bool)
    ordinary[7] = False
    before = _rms_error(impl, w, 8, 0)[:, ordinary].mean().sqrt().item()
    per_row = _rms_error(impl, outlier, 8, 0)[:, ordinary].mean().sqrt().item()
    per_column = _rms_error(impl, outlier, 8, 1)[:, ordinary].mean().sqrt().item()
    # Every row's max is now 20 instead of ≈ 2.9 (the max of 128 normals): per-row error × ~7 (seed 0: 7.0).
    # With one scale per input column the other columns keep theirs (their error moves by sampling noise:
    # SE of an RMS over 64·127 uniform errors ≈ 0.5 %, and the scales differ from the rows' by ~20 %).
    assert per_row / before > 4, f"per-row RMS error {before:.3g} -> {per_row:.3g} with the outlier column"
    assert per_column / before < 2, (f"per-column scales should confine the outlier feature: RMS error {per_column:.3g} "
                                     f"against {before:.3g} without it")


@pytest.mark.statistical
def test_the_rms_error_is_the_step_over_root_12_so_int4_is_about_18_times_worse_than_int8(impl, stat_seed):
    w = torch.randn(64, 64, generator=torch.Generator().manual_seed(stat_seed), dtype=F64)
    rms = {}
    for bits in (8, 4):
        q, scale = impl.quantize_absmax(w, bits=bits)
        mean_square = (w - q.to(F64) * scale).pow(2).mean()
        rel = (mean_square / (scale ** 2 / 12)).item()
        # Rounding errors uniform on ±s/2: E u² = s²/12, Var u² = s⁴/180, so mean(u²) / (s²/12) has
        # SE 12 / √(180 · 4096) = 0.014; 5 SE = 0.07 (seed 0: 0.989 at int8, 0.967 at int4: its coarse grid over a
        # normal adds a small bias). The RMS ratio int4 / int8 is then ≈ 127 / 7 (seed 0: 17.9).
        assert abs(rel - 1) < 0.07, f"{bits} bits: mean squared error is {rel:.3f} × s²/12; 1 expected"
        rms[bits] = mean_square.sqrt().item()
    ratio = rms[4] / rms[8]
    steps = _qmax(8) / _qmax(4)  # the same max|w| split into 7 steps instead of 127: 18.1×
    assert abs(ratio / steps - 1) < 0.1, f"int4 RMS error / int8 = {ratio:.2f}; the step ratio is {steps:.2f}"


def test_pytorchs_default_symmetric_int8_observer_uses_minus_128_to_127_and_divides_by_127_5():
    from torch.ao.quantization.observer import MinMaxObserver

    w = randn(4, 6, seed=1)
    absmax = w.abs().max().item()
    default = MinMaxObserver(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric)
    restricted = MinMaxObserver(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric, quant_min=-127, quant_max=127)
    default(w)
    restricted(w)
    s_default, s_restricted = default.calculate_qparams()[0].item(), restricted.calculate_qparams()[0].item()
    assert (default.quant_min, default.quant_max) == (torch.iinfo(torch.int8).min, torch.iinfo(torch.int8).max)
    assert math.isclose(absmax / s_default, (default.quant_max - default.quant_min) / 2, rel_tol=1e-6), (
        f"max|w| / scale = {absmax / s_default}: the default divides by (127 − (−128)) / 2 = 127.5")
    assert math.isclose(absmax / s_restricted, restricted.quant_max, rel_tol=1e-6), absmax / s_restricted


# ------------------------------------------------------------------ memory of a 7B model


def _llama2_7b_weights() -> list[torch.Tensor]:
    """LLaMA-2-7B's parameters on the meta device, in bfloat16: 32 layers of D 4096 (W_Q, W_K, W_V, W_O,
    a SwiGLU FFN of width 11008, two RMSNorms), vocabulary 32,000, untied input and output tables."""
    D, F, L, V = 4096, 11008, 32, 32000
    with torch.device("meta"):
        lin = lambda i, o: nn.Linear(i, o, bias=False, dtype=torch.bfloat16)  # noqa: E731
        layers = [[lin(D, D) for _ in range(4)] + [lin(D, F), lin(D, F), lin(F, D)]
                  + [nn.RMSNorm(D, dtype=torch.bfloat16) for _ in range(2)] for _ in range(L)]
        rest = [nn.Embedding(V, D, _weight=torch.empty(V, D, dtype=torch.bfloat16)), lin(D, V),
                nn.RMSNorm(D, dtype=torch.bfloat16)]
    return [p for m in [*sum(layers, []), *rest] for p in m.parameters()]


def test_a_7b_model_takes_13_5_gb_at_16_bits_6_7_at_8_bits_and_3_4_at_4_bits_plus_its_scales():
    params = _llama2_7b_weights()
    n = sum(p.numel() for p in params)
    matrices = [p for p in params if p.dim() == 2]
    bf16 = sum(p.numel() * p.element_size() for p in params) / 1e9
    int8 = n * torch.iinfo(torch.int8).bits / 8 / 1e9
    int4 = n * torch.iinfo(torch.int8).bits / 2 / 8 / 1e9  # two 4-bit codes packed per byte
    # fp16 scales: one per output row of every matrix, or one per group of 128 weights of a row
    per_row = sum(p.shape[0] for p in matrices) * torch.finfo(torch.float16).bits / 8 / 1e9
    per_group = sum(p.numel() // 128 for p in matrices) * torch.finfo(torch.float16).bits / 8 / 1e9
    # measured: 6.74 B parameters; 13.48, 6.74 and 3.37 GB; scales 0.003 GB per row, 0.105 GB per group of 128
    assert 6.7e9 < n < 6.8e9, f"{n:,} parameters"
    assert (round(bf16, 1), round(int8, 1), round(int4, 1)) == (13.5, 6.7, 3.4), (bf16, int8, int4)
    assert per_row < 0.005, per_row
    assert 0.1 < per_group < 0.11, per_group
    bits_per_weight = (int4 + per_group) * 8e9 / n  # groups of 128 cost 16/128 = 0.125 extra bits per weight
    assert abs(bits_per_weight - 4.125) < 0.01, bits_per_weight
