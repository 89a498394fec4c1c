"""Claims about rotary position embedding (questions/positional-encoding/rotary-position-embedding.yaml).

Oracle: `checks/oracles/rope.py`, RoPE as a block-diagonal rotation matrix built entry by entry
from the RoFormer definition, for both layouts (interleaved pairs (2i, 2i+1); halves
(i, i + Dk/2) as in Hugging Face's `rotate_half`).

Tolerance: the contract lets an implementation compute the angles m·θ_i in float32, as Hugging
Face's LlamaRotaryEmbedding does even for float64 inputs. θ_i in float32 is off by at most a
relative 2^-24, and m·θ_i rounds by at most another 2^-24 of its size (≤ m, since θ_0 = 1), so an
angle at position m is within m·2^-23 rad; `angle_error(P)` doubles that bound for positions up
to P. A wrong layout, exponent or sign moves outputs by O(1), orders of magnitude above it; so
do angles computed in bfloat16 or float16 (see the last check).
"""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.testing import assert_close

from checks.oracles import rope as oracle
from checks.strategies import randn, seeds

dims = st.sampled_from([2, 4, 6, 8, 16, 64])  # Dk, always even
bases = st.sampled_from([10000.0, 500000.0, 100.0])  # LLaMA-2, LLaMA-3, a small one
scales = st.sampled_from([1.0, 0.5, 0.25])  # position interpolation s = L / L'
LAYOUTS = ("halves", "interleaved")


def rope(impl, layout: str):
    return impl.apply_rope if layout == "halves" else impl.apply_rope_interleaved


def angle_error(max_position: float) -> float:
    """Largest angle error (rad) of a float32 angle table for positions up to max_position."""
    return 2 * 2.0 ** -23 * (1 + max_position)


@given(dims, st.lists(st.integers(0, 512), min_size=1, max_size=4), bases, scales, seeds)
def test_rope_is_the_block_diagonal_rotation_of_the_definition_in_both_layouts(impl, Dk, positions, base, scale, seed):
    x = randn(2, len(positions), Dk, seed=seed)
    for layout in LAYOUTS:
        got = rope(impl, layout)(x, torch.tensor(positions), base=base, scale=scale)
        expected = oracle.rotate(x, [m * scale for m in positions], base, layout)
        err = (got - expected).abs().max().item()
        assert err <= angle_error(max(positions)) * x.abs().max().item() * 2, (
            f"{layout} layout: RoPE differs from the rotation matrix of the definition by {err:.3g} "
            f"(positions {positions}, Dk={Dk}, base={base}, scale={scale})")


@given(dims, st.lists(st.integers(0, 100_000), min_size=1, max_size=4), bases, seeds)
def test_rope_keeps_the_norm_of_every_rotated_pair(impl, Dk, positions, base, seed):
    x = 100 * randn(3, len(positions), Dk, seed=seed)
    for layout in LAYOUTS:
        y = rope(impl, layout)(x, torch.tensor(positions), base=base)
        a, b = (torch.tensor(ix) for ix in zip(*(oracle.pair(i, Dk, layout) for i in range(Dk // 2))))
        before, after = x[..., a].hypot(x[..., b]), y[..., a].hypot(y[..., b])  # [..., Dk/2] pair lengths
        # cos² + sin² = 1 holds to float32 rounding when the table is float32
        assert_close(after, before, rtol=1e-6, atol=1e-9,
                     msg=f"{layout} layout: the pairs (a, b) = {list(zip(a.tolist(), b.tolist()))} changed length: "
                         f"not a rotation")


@given(dims, st.integers(0, 10_000), st.integers(0, 10_000), st.integers(-10_000, 10_000), bases, scales, seeds)
def test_rope_score_depends_on_the_two_positions_only_through_their_offset(impl, Dk, m, n, shift, base, scale, seed):
    shift = max(shift, -min(m, n))  # keep positions >= 0
    q, k = randn(1, Dk, seed=seed), randn(1, Dk, seed=seed + 1)
    tol = 4 * angle_error(max(m, n) + abs(shift)) * (q.norm() * k.norm()).item()
    for layout in LAYOUTS:
        f = rope(impl, layout)

        def score(i, j, f=f):
            return (f(q, torch.tensor([i]), base=base, scale=scale) * f(k, torch.tensor([j]), base=base, scale=scale)).sum().item()

        here, there = score(m, n), score(m + shift, n + shift)
        assert abs(here - there) <= tol, (
            f"{layout} layout: ⟨RoPE(q, {m}), RoPE(k, {n})⟩ = {here:.6f} but after shifting both positions by "
            f"{shift} it is {there:.6f}: the score must depend on m - n only")


@given(st.sampled_from([4, 8, 16, 64]), seeds)
def test_the_default_base_is_10000_as_in_the_transformer_and_llama_1_and_2(impl, Dk, seed):
    # A base of 10001 would change θ_i by a relative 1e-4·2i/Dk (>= 3e-6 for pair Dk/2 - 1).
    theta = torch.tensor([10000.0 ** (-2 * i / Dk) for i in range(Dk // 2)], dtype=torch.float64)
    assert_close(impl.rope_frequencies(Dk).double(), theta, rtol=1e-6, atol=0,
                 msg=f"rope_frequencies({Dk}) without a base must use base = 10000")
    x, positions = randn(3, Dk, seed=seed), torch.tensor([0, 7, 1000])
    for layout in LAYOUTS:  # the same code with the same numbers: the results agree to the bit
        default, explicit = rope(impl, layout)(x, positions), rope(impl, layout)(x, positions, base=10000.0)
        assert torch.equal(default, explicit), (
            f"{layout} layout: without a base the rotation differs from base = 10000 by "
            f"{(default - explicit).abs().max().item():.2e}; the contract's default base is 10000")


def test_rope_output_is_on_the_device_of_x_even_with_positions_on_the_cpu(impl):
    # The meta device holds shapes only: a model built there runs for shape and FLOP counting, and
    # any table left on the CPU (positions, frequencies, angles) meets x there and fails.
    x = torch.empty(2, 3, 5, 8, device="meta")
    for layout in LAYOUTS:
        try:
            y = rope(impl, layout)(x, torch.arange(5))  # positions made on the CPU, as a caller does
        except RuntimeError as error:
            raise AssertionError(f"{layout} layout, x on the meta device and positions on the CPU: {error}. "
                                 "Move positions (and the angle table) to x's device") from None
        assert y.device == x.device and y.shape == x.shape, (
            f"{layout} layout: output {tuple(y.shape)} on {y.device}, expected {tuple(x.shape)} on {x.device}")


@given(dims, bases, st.sampled_from([1, 3, 100]))
def test_pair_i_turns_by_base_to_the_minus_2i_over_dk_radians_per_position(impl, Dk, base, m):
    theta = torch.tensor([base ** (-2 * i / Dk) for i in range(Dk // 2)], dtype=torch.float64)
    found = impl.rope_frequencies(Dk, base)
    assert found.dtype == torch.float64, f"rope_frequencies({Dk}, {base}) has dtype {found.dtype}; the contract returns float64"
    assert_close(found, theta, rtol=1e-6, atol=0,
                 msg=f"rope_frequencies({Dk}, {base}) must be base^(-2i/Dk), i = 0 .. Dk/2 - 1")
    eye = torch.eye(Dk, dtype=torch.float64)  # row j: the unit vector e_j
    for layout in LAYOUTS:
        y = rope(impl, layout)(eye, torch.full((Dk,), m), base=base)  # every row at position m
        for i in range(Dk // 2):
            a, b = oracle.pair(i, Dk, layout)
            turned = math.atan2(y[a, b].item(), y[a, a].item())  # where e_a went, inside its own pair
            expected = math.remainder(m * theta[i].item(), 2 * math.pi)
            assert abs(math.remainder(turned - expected, 2 * math.pi)) <= angle_error(m), (
                f"{layout} layout: pair {i} (features {a}, {b}) turned {turned:.6f} rad at position {m}; "
                f"expected m·base^(-2i/Dk) = {expected:.6f}")
            leak = y[a].abs().sum().item() - abs(y[a, a].item()) - abs(y[a, b].item())
            assert leak < 1e-9, f"{layout} layout: feature {a} leaked into features outside its pair {a, b}"


@given(dims, st.lists(st.integers(0, 4096), min_size=1, max_size=4), bases, scales, seeds)
def test_the_two_layouts_differ_by_one_fixed_permutation_of_the_features(impl, Dk, positions, base, scale, seed):
    x, P = randn(2, len(positions), Dk, seed=seed), oracle.halves_index(Dk)
    pos = torch.tensor(positions)
    halves = impl.apply_rope(x[..., P], pos, base=base, scale=scale)
    interleaved = impl.apply_rope_interleaved(x, pos, base=base, scale=scale)[..., P]
    err = (halves - interleaved).abs().max().item()
    assert err <= 2 * angle_error(max(positions)) * x.abs().max().item() * 2, (
        f"apply_rope(x permuted) and apply_rope_interleaved(x) permuted differ by {err:.3g}: "
        f"pair (2i, 2i+1) of the interleaved layout must be pair (i, i + Dk/2) of the halves one")


@given(dims, seeds)
def test_interleaved_to_halves_sends_features_2i_and_2i_plus_1_to_i_and_i_plus_half(impl, Dk, seed):
    x = randn(3, 2, Dk, seed=seed)
    got = impl.interleaved_to_halves(x)
    assert torch.equal(got, x[..., oracle.halves_index(Dk)]), (
        f"interleaved_to_halves(x)[..., :Dk/2] must be x[..., 0::2] and [..., Dk/2:] x[..., 1::2]; got "
        f"{got[0, 0].tolist()} for {x[0, 0].tolist()}")


@given(st.sampled_from([4, 8, 16]), seeds)
def test_a_checkpoint_run_in_the_other_layout_scores_differently_until_wq_and_wk_rows_are_permuted(impl, Dk, seed):
    D, T = 12, 6
    x, w_q, w_k = randn(T, D, seed=seed), randn(Dk, D, seed=seed + 1), randn(Dk, D, seed=seed + 2)
    pos = torch.arange(T)

    def scores(f, wq, wk):
        return f(x @ wq.T, pos) @ f(x @ wk.T, pos).T  # [T, T]

    trained = scores(impl.apply_rope_interleaved, w_q, w_k)  # the checkpoint's own layout
    mixed = scores(impl.apply_rope, w_q, w_k)  # the same weights in halves code
    P = oracle.halves_index(Dk)
    converted = scores(impl.apply_rope, w_q[P], w_k[P])  # rows of W_Q, W_K permuted first
    assert_close(converted, trained, rtol=0, atol=1e-4 * trained.abs().max().item(),
                 msg="with the rows of W_Q and W_K permuted, halves code must reproduce the scores")
    gap = (mixed - trained).abs().max().item()
    assert gap > 0.05 * trained.abs().max().item(), (
        f"the unconverted checkpoint changed the scores by only {gap:.3g}: the layouts should disagree")


@given(dims, st.lists(st.integers(0, 8192), min_size=1, max_size=4), bases, st.sampled_from([0.5, 0.25, 0.125]), seeds)
def test_position_interpolation_at_scale_s_is_plain_rope_at_position_m_times_s(impl, Dk, positions, base, s, seed):
    x = randn(2, len(positions), Dk, seed=seed)
    for layout in LAYOUTS:
        f = rope(impl, layout)
        scaled = f(x, torch.tensor(positions), base=base, scale=s)
        moved = f(x, torch.tensor(positions, dtype=torch.float64) * s, base=base)  # fractional positions
        err = (scaled - moved).abs().max().item()
        assert err <= 2 * angle_error(max(positions)) * x.abs().max().item() * 2, (
            f"{layout} layout: RoPE at positions {positions} with scale {s} differs by {err:.3g} from RoPE at "
            f"positions m·s: interpolation must multiply the positions")
        plain = f(x, torch.tensor(positions), base=base)
        if max(positions) > 0:
            assert (scaled - plain).abs().max() > 1e-3, f"{layout} layout: scale={s} changed nothing"


@pytest.mark.parametrize("Dk, offset, shift, seed", [(4, 1, 1, 0), (4, 5, 100, 1), (8, 3, 7, 2), (8, 20, 1000, 3)])
def test_rotating_the_token_embeddings_instead_of_q_and_k_loses_the_relative_property(impl, Dk, offset, shift, seed):
    x, y = randn(1, Dk, seed=seed), randn(1, Dk, seed=seed + 1)  # two token embeddings (D = Dk here)
    w_q, w_k = randn(Dk, Dk, seed=seed + 2), randn(Dk, Dk, seed=seed + 3)
    m = torch.tensor([0])

    def after_projection(p):  # RoPE as used: project, then rotate q and k
        return (impl.apply_rope(x @ w_q.T, m + p) * impl.apply_rope(y @ w_k.T, m + p + offset)).sum().item()

    def on_embeddings(p):  # rotate the embeddings, then project
        return ((impl.apply_rope(x, m + p) @ w_q.T) * (impl.apply_rope(y, m + p + offset) @ w_k.T)).sum().item()

    scale = ((x @ w_q.T).norm() * (y @ w_k.T).norm()).item()
    tol = 4 * angle_error(shift + offset) * scale
    assert abs(after_projection(0) - after_projection(shift)) <= tol, "project-then-rotate must be relative"
    drift = abs(on_embeddings(0) - on_embeddings(shift))
    # measured drifts: 0.3 to 5 on these seeds, against a tolerance of at most 1e-2
    assert drift > 100 * tol, (f"rotating the embeddings before W_Q, W_K kept the score at offset {offset} "
                               f"(drift {drift:.3g}); only rotating q and k after the projections does")


@given(dims, st.sampled_from([10000.0, 500.0]), st.sampled_from([2.0, 8.0, 50.0]))
def test_a_larger_base_lowers_every_frequency_but_the_first(impl, Dk, base, factor):
    low, high = impl.rope_frequencies(Dk, base), impl.rope_frequencies(Dk, base * factor)
    assert high[0] == low[0] == 1, f"pair 0 turns at base^0 = 1 rad per position whatever the base: {high[0]}, {low[0]}"
    assert (high[1:] < low[1:]).all(), (
        f"base {base} -> {base * factor} should slow every pair i >= 1: {low.tolist()} -> {high.tolist()}")


def test_bfloat16_and_float16_cannot_hold_the_positions_of_a_long_context():
    positions = torch.arange(4096, dtype=torch.float64)
    for dtype, bits in ((torch.bfloat16, 8), (torch.float16, 11)):
        kept = positions.to(dtype).to(torch.float64)
        first_lost = int(positions[kept != positions][0])
        assert first_lost == 2 ** bits + 1, (dtype, first_lost)  # 257 in bfloat16, 2049 in float16
        worst = (kept - positions).abs().max().item()  # rounding of the position itself, in radians for pair 0
        assert worst >= 2 ** (12 - bits - 1), (dtype, worst)  # 8 rad in bfloat16 at 4095: the angle is noise
    assert torch.equal(positions.to(torch.float32).to(torch.float64), positions)  # float32: exact to 2^24
