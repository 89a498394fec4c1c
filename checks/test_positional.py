"""Claims about positional information (questions/positional-encoding/*.yaml).

Oracles:
- the sinusoidal formula computed entry by entry with `math.sin` / `math.cos` (`_by_hand`),
  and in closed form: frequencies w_i = 10000^(-2i/D) and the rotation R_k they imply;
- PyTorch's own modules: `nn.Embedding` (learned positions);
- for claims about attention itself, the implementation's own MultiHeadAttention and
  scaled_dot_product_attention (qbank.adapters.pytorch provides both, so those checks grade
  PyTorch too; it has no sinusoidal table, so the checks that need one are skipped there),
  and PyTorch's nn.MultiheadAttention for the facts no classic bug would break;
- at far positions (t up to 10^6), the table in float64 at the rows checked, compared at the
  requested dtype's precision: the contract's values must be accurate in every dtype.

The all-sine formula of 001 (every dimension a sine, i read as the dimension index), RoPE
(Su et al. 2021) and ALiBi (Press et al. 2022) are re-created here in a few lines each.
"Is different" claims run on fixed seeds: each comment gives the measured gap and the
threshold, which sits orders of magnitude below it and far above float64 rounding.
"""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from checks import capabilities as caps
from checks.strategies import randn, seeds, sizes

even_dims = st.integers(1, 8).map(lambda n: 2 * n)  # D = 2 .. 16, always even
lengths = st.integers(1, 40)  # T
heads = st.integers(1, 3)


def _frequencies(D: int) -> torch.Tensor:
    """w_i = 10000^(-2i/D) for the D/2 (sin, cos) pairs."""
    return torch.tensor([10000.0 ** (-2 * i / D) for i in range(D // 2)], dtype=torch.float64)


def _by_hand(T: int, D: int) -> torch.Tensor:
    """The formula of the paper, one entry at a time."""
    return torch.tensor([[math.sin(t / 10000 ** (2 * (d // 2) / D)) if d % 2 == 0
                          else math.cos(t / 10000 ** (2 * (d // 2) / D)) for d in range(D)]
                         for t in range(T)], dtype=torch.float64)


def _closed_form(T: int, D: int) -> torch.Tensor:
    """The same table, vectorised: for the checks about attention and embeddings, which must
    also run where the implementation has no table of its own (qbank.adapters.pytorch)."""
    angles = torch.arange(T, dtype=torch.float64)[:, None] * _frequencies(D)  # [T, D/2]
    return torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(-2)  # interleave sin, cos


def _rotation(k: int, D: int) -> torch.Tensor:
    """Block-diagonal R_k: pair i is rotated by the angle k * w_i. [D, D]"""
    R = torch.zeros(D, D, dtype=torch.float64)
    for i, w in enumerate(_frequencies(D).tolist()):
        c, s = math.cos(k * w), math.sin(k * w)
        R[2 * i: 2 * i + 2, 2 * i: 2 * i + 2] = torch.tensor([[c, s], [-s, c]], dtype=torch.float64)
    return R


def _all_sine(T: int, D: int) -> torch.Tensor:
    """001's variant: PE(t, i) = sin(t / 10000^(2i/D)) for every dimension i = 0 .. D-1."""
    t = torch.arange(T, dtype=torch.float64)[:, None]
    i = torch.arange(D, dtype=torch.float64)
    return torch.sin(t / 10000 ** (2 * i / D))


def _linear_shift_residual(pe: torch.Tensor, k: int) -> float:
    """Relative residual of the best linear map M (least squares) with PE[t] M = PE[t + k]:
    the part of PE[t + k] outside the column space of PE[t]. The tables are nearly rank-deficient
    (condition number ~1e16), where torch.linalg.lstsq's default driver gave unstable answers
    from call to call, so the column space comes from an SVD, cut at 1e-10 of the top value."""
    X, Y = pe[:-k], pe[k:]
    U, sv, _ = torch.linalg.svd(X, full_matrices=False)
    U = U[:, sv > 1e-10 * sv[0]]
    return ((Y - U @ (U.T @ Y)).norm() / Y.norm()).item()


def _mha(impl, D: int, H: int, seed: int) -> nn.Module:
    """The implementation's MultiHeadAttention in float64 with seeded N(0, 1/D) weights."""
    mha = impl.MultiHeadAttention(D, H).double()
    with torch.no_grad():
        for j, lin in enumerate(caps.linears(mha)):  # W_Q, W_K, W_V (separate or fused), W_O
            lin.weight.copy_(randn(D, D, seed=seed + 2 * j) / math.sqrt(D))
            lin.bias.copy_(randn(D, seed=seed + 2 * j + 1) / math.sqrt(D))
    return mha


def _self_attention(mha: nn.Module, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    return caps.attend(mha, x, x, x, mask)


def _rope(x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """RoPE: rotate pair i of the vector at position m by the angle m * w_i. x [..., T, Dk]"""
    angles = positions.to(torch.float64)[:, None] * _frequencies(x.size(-1))  # [T, Dk/2]
    cos, sin = angles.cos(), angles.sin()
    even, odd = x[..., 0::2], x[..., 1::2]
    return torch.stack([even * cos - odd * sin, even * sin + odd * cos], dim=-1).flatten(-2)


def _alibi_bias(T: int, H: int) -> torch.Tensor:
    """ALiBi: bias[h, t, s] = -m_h * |t - s| with slopes m_h = 2^(-8h/H), h = 1 .. H. [H, T, T]
    (a causal model only uses s <= t, where it is -m_h * (t - s))."""
    slopes = torch.tensor([2.0 ** (-8 * h / H) for h in range(1, H + 1)], dtype=torch.float64)
    distance = (torch.arange(T)[:, None] - torch.arange(T)[None, :]).abs().to(torch.float64)
    return -slopes[:, None, None] * distance


# --- the sinusoidal table --------------------------------------------------------------------

@given(lengths, even_dims)
def test_sinusoidal_table_matches_the_formula_computed_by_hand(impl, T, D):
    assert_close(impl.sinusoidal_positions(T, D, torch.float64), _by_hand(T, D))


@given(lengths, even_dims)
def test_sinusoidal_table_is_t_by_d_in_the_requested_dtype(impl, T, D):
    pe64 = impl.sinusoidal_positions(T, D, torch.float64)
    pe32 = impl.sinusoidal_positions(T, D)  # float32 is the contract's default
    assert pe64.shape == (T, D), f"table has shape {tuple(pe64.shape)}, expected [T, D] = [{T}, {D}]"
    assert pe64.dtype == torch.float64 and pe32.dtype == torch.float32, (pe64.dtype, pe32.dtype)
    assert_close(pe32, pe64.float())


@given(st.integers(1, 200), even_dims)
def test_every_value_is_in_minus_one_to_one_and_every_row_has_norm_sqrt_d_over_2(impl, T, D):
    pe = impl.sinusoidal_positions(T, D, torch.float64)
    assert pe.abs().max() <= 1, f"value {pe.abs().max().item()} outside [-1, 1]"
    assert_close(pe.norm(dim=-1), torch.full((T,), math.sqrt(D / 2), dtype=torch.float64))


def test_no_two_of_the_first_2048_positions_share_an_encoding(impl):
    pe = impl.sinusoidal_positions(2048, 64, torch.float64)
    distance = torch.cdist(pe, pe).fill_diagonal_(float("inf"))
    # measured: the closest two of the 2048 encodings are 1.47 apart
    assert distance.min() > 1.0, f"positions {divmod(distance.argmin().item(), 2048)} nearly coincide"


@given(st.integers(2, 60), even_dims, st.data())
def test_pe_at_t_plus_k_is_a_rotation_of_pe_at_t_that_does_not_depend_on_t(impl, T, D, data):
    k = data.draw(st.integers(1, T - 1), label="k")
    pe = impl.sinusoidal_positions(T, D, torch.float64)
    R = _rotation(k, D)  # built from k and the frequencies alone: no t in it
    assert_close(R @ R.T, torch.eye(D, dtype=torch.float64))  # orthogonal: a rotation
    assert_close(pe[k:], pe[:-k] @ R.T)  # PE[t + k] = R_k PE[t] for every t at once


@given(st.integers(2, 60), even_dims)
def test_dot_product_of_two_encodings_depends_only_on_their_distance(impl, T, D):
    pe = impl.sinusoidal_positions(T, D, torch.float64)
    gram = pe @ pe.T  # [T, T]: PE(t) · PE(s)
    w = _frequencies(D)
    distance = (torch.arange(T)[:, None] - torch.arange(T)[None, :]).to(torch.float64)
    expected = torch.cos(distance[..., None] * w).sum(-1)  # Σ_i cos((t - s) w_i): even in t - s
    assert_close(gram, expected)


def test_nearby_positions_are_similar_but_similarity_is_not_monotone_in_distance(impl):
    pe = impl.sinusoidal_positions(201, 64, torch.float64)
    similarity = pe[0] @ pe.T / 32  # cosine similarity with position 0 (every norm is √32)
    # measured at offsets 0, 1, 2, 5: 1.0, 0.966, 0.884, 0.734 (strictly falling up to offset 5)
    first = similarity[:6]
    assert (first[1:] < first[:-1]).all(), f"not falling over the first offsets: {first.tolist()}"
    # measured: offset 100 (0.559) is MORE similar than offset 50 (0.490); the gap is 0.069
    assert similarity[100] > similarity[50] + 0.03, (similarity[50].item(), similarity[100].item())


def test_wavelengths_grow_geometrically_from_2pi_to_almost_10000_times_2pi(impl):
    D = 64
    pe = impl.sinusoidal_positions(2, D, torch.float64)
    # row 1 holds (sin w_i, cos w_i) for pair i; w_i <= 1 < π, so atan2 recovers w_i exactly
    w = torch.atan2(pe[1, 0::2], pe[1, 1::2])
    wavelength = 2 * math.pi / w
    assert (wavelength[1:] > wavelength[:-1]).all(), "wavelengths must grow with the pair index"
    assert_close(wavelength[1:] / wavelength[:-1], torch.full((D // 2 - 1,), 10000 ** (2 / D), dtype=torch.float64))
    assert_close(wavelength[0], torch.tensor(2 * math.pi, dtype=torch.float64))  # dims 0, 1
    # the last pair is i = D/2 - 1, exponent (D - 2)/D: ~47,117, not 10000 · 2π = 62,832
    assert_close(wavelength[-1], torch.tensor(2 * math.pi * 10000 ** ((D - 2) / D), dtype=torch.float64))


def test_dims_0_and_1_change_fastest_and_the_last_pair_slowest(impl):
    pe = impl.sinusoidal_positions(2048, 64, torch.float64)
    step = (pe[1:] - pe[:-1]).abs().mean(dim=0)  # mean |PE(t+1) - PE(t)| per dimension
    per_pair = step.view(32, 2).mean(dim=-1)
    # measured: 0.61 for dims 0-1, 7.5e-5 for dims 62-63
    assert (per_pair[1:] < per_pair[:-1]).all(), f"per-step change not falling with the pair: {per_pair}"
    assert per_pair[0] > 0.5 and per_pair[-1] < 1e-3, (per_pair[0].item(), per_pair[-1].item())


def _closed_form_rows(rows: torch.Tensor, D: int) -> torch.Tensor:
    """Rows `rows` of the table in float64 (angles t·w_i exact to ~1e-16 relative)."""
    angles = rows.to(torch.float64)[:, None] * _frequencies(D)  # [len(rows), D/2]
    return torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(-2)


ACCURACY = ("the table must equal the formula to within one unit of the dtype's precision at every position; a "
            "table right at small t but off here has its angles t·w_i computed in float32, which near t = 10^5 "
            "is already off by ~0.004 rad: compute them in float64 and cast at the end")


def test_encoding_is_defined_and_bounded_at_position_one_million(impl):
    T, D = 10**6 + 1, 4
    pe = impl.sinusoidal_positions(T, D)  # the contract's default dtype, float32
    assert pe.shape == (T, D) and torch.isfinite(pe).all() and pe.abs().max() <= 1
    far = torch.arange(T - 1000, T)  # positions 999,001 .. 1,000,000
    error = (pe[far].double() - _closed_form_rows(far, D)).abs().max().item()
    assert error <= torch.finfo(torch.float32).eps, f"error {error:.2e} at positions near 10^6: {ACCURACY}"
    t = 10**6  # w_0 = 1 and w_1 = 10000^(-2/4) = 0.01
    assert_close(pe[t].double(), torch.tensor([math.sin(t), math.cos(t), math.sin(t / 100), math.cos(t / 100)],
                                              dtype=torch.float64), rtol=0, atol=torch.finfo(torch.float32).eps)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16], ids=str)
def test_far_positions_are_accurate_to_the_requested_dtype(impl, dtype):
    # D = 64 up to t = 65,536: the error allowed is one unit of the dtype's precision at 1 (a
    # correctly rounded value is within half of it); float32 angles miss by ~2e-3 here.
    T, D = 2**16 + 1, 64
    pe = impl.sinusoidal_positions(T, D, dtype)
    assert pe.dtype == dtype, f"table in {pe.dtype}, expected {dtype}"
    rows = torch.cat([torch.arange(0, T, 97), torch.arange(T - 200, T)])
    error = (pe[rows].double() - _closed_form_rows(rows, D)).abs().max().item()
    assert error <= torch.finfo(dtype).eps, f"{dtype}: error {error:.2e} (allowed {torch.finfo(dtype).eps:.1e}): {ACCURACY}"


@given(lengths, lengths, even_dims)
def test_a_position_gets_the_same_encoding_whatever_the_sequence_length(impl, T1, T2, D):
    short, long = sorted((T1, T2))
    assert_close(impl.sinusoidal_positions(short, D, torch.float64),
                 impl.sinusoidal_positions(long, D, torch.float64)[:short], rtol=0, atol=0)


def test_learned_position_embeddings_fail_past_their_max_length():
    max_len, D = 512, 16
    learned = nn.Embedding(max_len, D)  # BERT-style absolute positions: one trained row per position
    assert learned.weight.numel() == max_len * D
    learned(torch.arange(max_len))  # positions 0 .. 511 are fine
    with pytest.raises(IndexError):
        learned(torch.arange(max_len + 1))  # position 512 has no row


def test_sinusoidal_table_is_a_constant_with_nothing_to_train(impl):
    pe = impl.sinusoidal_positions(16, 8)
    assert not pe.requires_grad, "the sinusoidal table should not be a trainable tensor"
    assert_close(impl.sinusoidal_positions(16, 8), pe, rtol=0, atol=0)


# --- the all-sine variant of 001 --------------------------------------------------------------

def test_all_sine_variant_has_no_linear_map_from_position_t_to_t_plus_k(impl):
    T, D, k = 2048, 64, 5
    # measured: relative residual 0.44 for the all-sine table; 2.6e-8 for the real one in float32
    # (the contract's default dtype: its rounding alone leaves ~1e-8), 2e-12 in float64
    bad = _linear_shift_residual(_all_sine(T, D), k)
    good = _linear_shift_residual(impl.sinusoidal_positions(T, D).double(), k)
    assert good < 1e-6, f"the sinusoidal table should shift linearly (residual {good})"
    assert bad > 0.2, f"the all-sine table should not shift linearly (residual {bad})"
    # and its dot products depend on absolute position: at offset 7 they vary (std 2.27 measured)
    assert torch.diagonal(_all_sine(T, D) @ _all_sine(T, D).T, 7).std() > 1.0


def test_all_sine_variant_encodes_position_zero_as_the_zero_vector(impl):
    D = 64
    assert _all_sine(1, D).abs().max() == 0, "sin(0) = 0 in every dimension"
    pe0 = impl.sinusoidal_positions(1, D, torch.float64)[0]  # the real table: (0, 1, 0, 1, ...)
    assert_close(pe0.norm(), torch.tensor(math.sqrt(D / 2), dtype=torch.float64))


def test_all_sine_variant_leaves_many_dimensions_nearly_constant(impl):
    T, D = 2048, 64

    def nearly_constant(pe):  # dimensions whose value moves by < 1e-3 over positions 0 .. 2047
        return int(((pe.max(dim=0).values - pe.min(dim=0).values) < 1e-3).sum())

    # measured: 13 of 64 (dims 51-63: w < 5e-7, so t·w < 1e-3); the real table has none
    assert nearly_constant(_all_sine(T, D)) == 13
    stuck = nearly_constant(impl.sinusoidal_positions(T, D, torch.float64))
    assert stuck == 0, f"{stuck} of {D} dimensions move by < 1e-3 over positions 0..{T - 1}: is i read as the dimension index?"


# --- why positions are needed: permutation equivariance ---------------------------------------

@st.composite
def self_attention_inputs(draw):
    """(x [B, T, D], H, weight seed, a permutation of the T positions)."""
    B, T, H, Dk, seed = draw(sizes), draw(sizes), draw(heads), draw(heads), draw(seeds)
    perm = torch.tensor(draw(st.permutations(range(T)), label="perm"))
    return randn(B, T, H * Dk, seed=seed), H, seed, perm


@given(self_attention_inputs())
def test_self_attention_without_positions_is_permutation_equivariant(impl, inputs):
    x, H, seed, perm = inputs
    mha = _mha(impl, x.size(-1), H, seed)
    assert_close(_self_attention(mha, x[:, perm]), _self_attention(mha, x)[:, perm])  # f(Px) = P f(x)


@given(self_attention_inputs())
def test_mean_pooled_self_attention_output_is_permutation_invariant(impl, inputs):
    x, H, seed, perm = inputs
    mha = _mha(impl, x.size(-1), H, seed)
    assert_close(_self_attention(mha, x[:, perm]).mean(dim=1), _self_attention(mha, x).mean(dim=1))


SEEDS = range(10)
SHIFT = torch.tensor([1, 2, 3, 0])  # T = 4, every token moves


def _largest_change(f) -> float:
    """The smallest, over the seeds s, of max |f(x, s)|, where f returns a difference of two
    outputs for the input x [1, T=4, D=8] and the weights of seed s."""
    return min(f(randn(1, 4, 8, seed=100 + s), s).abs().max().item() for s in SEEDS)


def _torch_attention(s: int) -> nn.MultiheadAttention:
    """PyTorch's own attention (D = 8, H = 2, float64) with seeded weights: the layer as specified,
    for the facts about attention without positions that no classic bug in an implementation
    would break."""
    mha = nn.MultiheadAttention(8, 2, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for j, p in enumerate(mha.parameters()):
            p.copy_(randn(*p.shape, seed=1000 * s + j) / math.sqrt(8))
    return mha


def _torch_self_attention(mha, x):
    return mha(x, x, x, need_weights=False)[0]


def test_self_attention_is_not_permutation_invariant():
    # measured: over 10 seeds every f(Px) differs from f(x) by at least 0.3 somewhere
    def change(x, s):
        mha = _torch_attention(s)
        return _torch_self_attention(mha, x[:, SHIFT]) - _torch_self_attention(mha, x)

    assert _largest_change(change) > 0.01


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_a_whole_encoder_layer_without_positions_is_permutation_equivariant(impl, norm_first):
    # FFN, LayerNorm and the residuals act on each position alone, so they keep equivariance: the
    # implementation's own layer, every parameter random, in both norm placements (a layer that
    # declares one placement is checked in that one). A layer that masks, or adds positions,
    # without being asked breaks it.
    placement = caps.placement(impl.EncoderLayer, norm_first)
    perm = torch.tensor([3, 0, 4, 1, 2])
    for s in range(3):
        layer = caps.make_layer(impl.EncoderLayer, 8, 2, 16, norm_first=placement).double()
        with torch.no_grad():
            for j, p in enumerate(layer.parameters()):
                p.copy_(randn(*p.shape, seed=10 * s + j) / math.sqrt(p.shape[-1]))
        layer.eval()
        x = randn(2, 5, 8, seed=s)
        permuted_first, permuted_after = layer(x[:, perm]), layer(x)[:, perm]
        gap = (permuted_first - permuted_after).abs().max().item()
        text = (f"{'pre' if placement else 'post'}-norm, seed {s}: permuting the tokens changed the outputs by up "
                f"to {gap:.3g} beyond moving them; expected layer(x[perm]) = layer(x)[perm], since with no mask "
                "and no positions every sublayer treats all positions alike")
        assert_close(permuted_first, permuted_after, msg=lambda m, text=text: f"{text}\n{m}")


def test_adding_positional_encodings_breaks_permutation_equivariance():
    pe = _closed_form(4, 8)

    def equivariance_gap(x, s):  # f(Px + PE) - P f(x + PE)
        mha = _torch_attention(s)
        return _torch_self_attention(mha, x[:, SHIFT] + pe) - _torch_self_attention(mha, x + pe)[:, SHIFT]

    def pooled_gap(x, s):  # the mean over positions now sees the order too
        mha = _torch_attention(s)
        return _torch_self_attention(mha, x[:, SHIFT] + pe).mean(1) - _torch_self_attention(mha, x + pe).mean(1)

    # measured minima over 10 seeds: 0.41 (per position) and 0.11 (pooled); without PE both are ~1e-16
    assert _largest_change(equivariance_gap) > 0.01
    assert _largest_change(pooled_gap) > 0.005


def test_a_causal_mask_alone_breaks_permutation_equivariance(impl):
    causal = torch.ones(4, 4, dtype=torch.bool).tril()

    def equivariance_gap(x, s):
        mha = _mha(impl, 8, 2, s)
        return _self_attention(mha, x[:, SHIFT], causal) - _self_attention(mha, x, causal)[:, SHIFT]

    # measured: at least 0.97 over 10 seeds (no positional encoding anywhere)
    gap = _largest_change(equivariance_gap)
    assert gap > 0.01, f"with a causal mask f(Px) and P f(x) differ by only {gap:.2e}: is the mask applied?"


@given(st.integers(1, 64))
def test_with_a_causal_mask_uniform_attention_reads_position_as_one_over_t_plus_1(impl, T):
    q = k = torch.zeros(T, 1, dtype=torch.float64)  # equal scores: uniform over the visible keys
    v = torch.zeros(T, 1, dtype=torch.float64)
    v[0] = 1.0  # a feature only the first token carries (e.g. a BOS token)
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    t = torch.arange(T, dtype=torch.float64)[:, None]
    assert_close(impl.scaled_dot_product_attention(q, k, v, causal), 1 / (t + 1))
    assert_close(impl.scaled_dot_product_attention(q, k, v), torch.full((T, 1), 1 / T, dtype=torch.float64))


# --- alternatives: learned, RoPE, ALiBi --------------------------------------------------------

@given(even_dims, st.integers(0, 1000), st.integers(0, 1000), st.integers(0, 1000), seeds)
def test_rope_score_depends_only_on_the_offset_between_query_and_key(Dk, m, n, shift, seed):
    q, k = randn(1, Dk, seed=seed), randn(1, Dk, seed=seed + 1)

    def score(m, n):
        return (_rope(q, torch.tensor([m])) * _rope(k, torch.tensor([n]))).sum()

    assert_close(score(m + shift, n + shift), score(m, n))
    assert_close(score(m, n), score(0, n - m))  # = q · R_(n-m) k: only the offset is left


def test_rope_rotates_queries_and_keys_after_the_projections_not_the_token_embeddings():
    # RoPE applied to q = x W_Q and k = x W_K: the score of positions (m, n) depends on n - m only.
    # The same rotation applied to the token embedding x before the projections does not commute
    # with W_Q, W_K, so the score then depends on the absolute positions too.
    D, offset = 8, 3
    x = randn(1, D, seed=0)  # one token, repeated at every position
    W_Q, W_K = randn(D, D, seed=1), randn(D, D, seed=2)
    positions = torch.arange(0, 30)
    xs = x.expand(len(positions), D)
    q_rot, k_rot = _rope(xs @ W_Q, positions), _rope(xs @ W_K, positions)  # rotate q and k
    on_qk = (q_rot[:-offset] * k_rot[offset:]).sum(-1)  # score of (t, t + 3) for every t
    emb = _rope(xs, positions)  # rotate the token representations instead
    on_x = ((emb[:-offset] @ W_Q) * (emb[offset:] @ W_K)).sum(-1)
    assert on_qk.std() < 1e-9, f"RoPE on q, k: the score at offset {offset} varies with t (std {on_qk.std():.2e})"
    # measured: std over t of 16.5 when the embeddings are rotated
    assert on_x.std() > 0.1, f"rotating the embeddings kept the score at offset {offset} fixed (std {on_x.std():.2e})"


@given(st.integers(1, 20), even_dims, seeds)
def test_rope_rotation_preserves_the_norm_of_queries_and_keys(T, Dk, seed):
    x = randn(T, Dk, seed=seed)
    positions = torch.randint(0, 10**4, (T,), generator=torch.Generator().manual_seed(seed))
    assert_close(_rope(x, positions).norm(dim=-1), x.norm(dim=-1))


def test_added_sinusoidal_positions_give_projected_scores_that_depend_on_absolute_position(impl):
    # The pure position term of the first-layer score, content set to zero: p_t·p_{t+k} depends on
    # k alone, but p_t W_Q W_Kᵀ p_{t+k} also on t once W_Q, W_K are learned (random here).
    D, k = 16, 3
    pe = impl.sinusoidal_positions(40, D, torch.float64)
    raw = (pe[:-k] * pe[k:]).sum(-1)  # p_t·p_{t+k} for t = 0 .. 36
    assert raw.std() < 1e-12, f"p_t·p_(t+{k}) should not depend on t (std {raw.std():.2e})"
    for seed in range(3):
        W_Q, W_K = randn(D, D, seed=seed + 1), randn(D, D, seed=seed + 2)
        projected = ((pe[:-k] @ W_Q) * (pe[k:] @ W_K)).sum(-1)  # p_t W_Q W_Kᵀ p_{t+k}
        # measured: std over t of 21, 15 and 18 for the three seeds (0 if it depended on k alone)
        assert projected.std() > 1.0, f"seed {seed}: projected position scores hardly vary with t: {projected.std()}"


@given(st.integers(2, 12), st.sampled_from([1, 2, 4, 8]))  # the slope rule 2^(-8h/H) is for H a power of two
def test_with_equal_content_scores_alibi_weights_decay_exponentially_with_distance(T, H):
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    content = torch.zeros(H, T, T, dtype=torch.float64)  # every key equally relevant
    weights = (content + _alibi_bias(T, H)).masked_fill(~causal, float("-inf")).softmax(-1)
    slopes = 2.0 ** (-8 * torch.arange(1, H + 1, dtype=torch.float64) / H)
    t = T - 1  # the last query sees keys 0 .. t
    ratio = weights[:, t, 1:] / weights[:, t, :-1]  # key s + 1 (closer) over key s (farther)
    assert_close(ratio, slopes.exp()[:, None].expand(H, t))


# --- combining positions with tokens: add or concatenate ---------------------------------------

@given(sizes, lengths, even_dims, even_dims, seeds)
def test_adding_keeps_d_model_while_concatenating_needs_a_projection_back_to_d_model(B, T, D, Dp, seed):
    x, pe = randn(B, T, D, seed=seed), _closed_form(T, D)
    assert (x + pe).shape == (B, T, D)  # the [T, D] table broadcasts over the batch
    pe_p = _closed_form(T, Dp)
    cat = torch.cat([x, pe_p.expand(B, T, Dp)], dim=-1)
    assert cat.shape == (B, T, D + Dp)
    assert nn.Linear(D + Dp, D).double()(cat).shape == (B, T, D)


@given(sizes, lengths, even_dims, even_dims, seeds)
def test_concatenate_then_project_equals_adding_separately_projected_token_and_position(B, T, D, Dp, seed):
    x, pe = randn(B, T, D, seed=seed), _closed_form(T, Dp).expand(B, T, Dp)
    W, b = randn(D, D + Dp, seed=seed + 1), randn(D, seed=seed + 2)
    W_x, W_p = W[:, :D], W[:, D:]  # the column blocks that see the token and the position
    assert_close(F.linear(torch.cat([x, pe], dim=-1), W, b), F.linear(x, W_x, b) + F.linear(pe, W_p))


@pytest.mark.statistical
def test_sqrt_d_scaling_balances_embeddings_and_positions_only_with_a_small_embedding_init(stat_seed):
    D, V = 512, 1000
    pe_rms = _closed_form(64, D).pow(2).mean().sqrt().item()  # 1/√2 = 0.707 for every D
    with torch.random.fork_rng():  # nn.Embedding draws its init from the global generator
        torch.manual_seed(stat_seed)
        default = nn.Embedding(V, D).weight.detach().double()  # PyTorch's default init: N(0, 1)
    small = randn(V, D, seed=stat_seed) * D**-0.5  # the tensor2tensor init used with tied embeddings

    def rms(e):
        return e.pow(2).mean().sqrt().item()

    # 512,000 samples: the RMS of N(0, σ²) has relative SE 1/√(2·512,000) = 0.1 %, so each ratio
    # below is known to ~0.15 %: the bounds (1.4 ± 0.02, > 30 against 32.0, > 15 against 16.0)
    # are >= 6 % (40 SE) away. Seed 0: ratios 1.414, 32.0, 16.0.
    assert abs(pe_rms - 2**-0.5) < 1e-12
    assert abs(rms(small * D**0.5) / pe_rms - 2**0.5) < 0.02  # scaled: 1.00 vs 0.707, comparable
    assert rms(default * D**0.5) / pe_rms > 30  # default init, scaled: 22.6 vs 0.707, 32x larger
    assert pe_rms / rms(small) > 15  # small init, unscaled: 0.044 vs 0.707, positions 16x larger
