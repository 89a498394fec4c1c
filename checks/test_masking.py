"""Claims about causal and padding masks (questions/masking/*.yaml).

Oracles: `nn.Transformer.generate_square_subsequent_mask` for the causal pattern, and
`nn.MultiheadAttention` (with the implementation's weights copied in) for a key-padding
mask and for a causal mask combined with one; PyTorch merges its `attn_mask` and
`key_padding_mask` itself, so it is an independent account of "applying both".
The errata checks re-create the wrong recipes of the sources in a few lines each and
set them against the implementation under test. How PyTorch itself treats float16 constants
and all-masked rows is checked on PyTorch (and NumPy) directly. The left-padding check runs a
one-layer stand-in decoder built from the contract's masks, positions and attention, and
compares the padded batch with each prompt run alone.
Weights come from seeded generators (see `_mha`), so every example is reproducible.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from checks import capabilities as caps
from checks.modules import seeded_attention, torch_twin
from checks.strategies import masks, pads, qkv, randn, seeds, sizes

heads = st.integers(min_value=1, max_value=3)  # H and Dk: D = H * Dk stays <= 9
lengths = st.integers(min_value=1, max_value=8)


@st.composite
def self_attention_inputs(draw):
    """(H, D, x [B, T, D], another x [B, T, D] to swap rows in from, weight seed)."""
    B, T, H, Dk, seed = draw(sizes), draw(lengths), draw(heads), draw(heads), draw(seeds)
    D = H * Dk
    return H, D, randn(B, T, D, seed=seed), randn(B, T, D, seed=seed + 1), seed


# --- the causal mask --------------------------------------------------------------------

@given(st.integers(min_value=0, max_value=12))
def test_causal_mask_allows_exactly_what_torch_generate_square_subsequent_mask_allows(impl, T):
    mask = impl.causal_mask(T)
    allowed = nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64) == 0  # -inf = future
    assert mask.dtype == torch.bool, f"causal_mask gave dtype {mask.dtype}, expected torch.bool"
    assert mask.shape == (T, T), f"causal_mask({T}) has shape {tuple(mask.shape)}, expected [T, T]"
    assert torch.equal(mask, allowed), f"causal_mask({T}) =\n{mask.int()}\nexpected\n{allowed.int()}"


@given(qkv(batch=(2,)))
def test_under_a_causal_mask_every_position_attends_to_itself(impl, qkv):
    q, k, _ = qkv
    T = min(q.size(-2), k.size(-2))
    q, k = q[..., :T, :], k[..., :T, :]
    w = impl.attention_weights(q, k, impl.causal_mask(T))  # [2, T, T]
    assert (w.diagonal(dim1=-2, dim2=-1) > 0).all(), f"a position gives itself no weight:\n{w}"
    # query 0 reads key 0 alone; a mask of "only previous positions" would leave it no key at all
    assert_close(w[..., 0, :], F.one_hot(torch.tensor(0), T).double().expand(2, T))


@given(qkv(batch=(2,)))
def test_causal_attention_weights_are_lower_triangular(impl, qkv):
    q, k, _ = qkv
    T = min(q.size(-2), k.size(-2))
    w = impl.attention_weights(q[..., :T, :], k[..., :T, :], impl.causal_mask(T))  # [2, T, T]
    future = torch.ones(T, T, dtype=torch.bool).triu(1)  # s > t
    assert (w[..., future] == 0).all(), f"weight on a future key:\n{w}"
    assert_close(w.sum(-1), torch.ones(2, T, dtype=w.dtype))


@given(self_attention_inputs(), st.data())
def test_causal_output_at_t_ignores_tokens_after_t(impl, inputs, data):
    H, D, x, other, seed = inputs
    T = x.size(1)
    t = data.draw(st.integers(0, T - 1), label="t")
    changed = x.clone()
    changed[:, t + 1:] = other[:, t + 1:]  # new tokens after t
    mask = impl.causal_mask(T)
    # bare attention (q = k = v = x) and multi-head attention with projections
    assert_close(impl.scaled_dot_product_attention(changed, changed, changed, mask)[:, :t + 1],
                 impl.scaled_dot_product_attention(x, x, x, mask)[:, :t + 1])
    mha = seeded_attention(impl.MultiHeadAttention, D, H, seed)
    assert_close(caps.attend(mha, changed, changed, changed, mask)[:, :t + 1],
                 caps.attend(mha, x, x, x, mask)[:, :t + 1])


def test_causal_output_at_t_depends_on_every_token_up_to_t_and_on_none_after(impl):
    # One fixed example: the Jacobian of the outputs with respect to the inputs, block by block.
    T, D, H = 6, 8, 2
    mha, mask = seeded_attention(impl.MultiHeadAttention, D, H, seed=0), impl.causal_mask(T)
    x = randn(T, D, seed=1)
    def run(z):
        z = z[None]
        return caps.attend(mha, z, z, z, mask)[0]

    jac = torch.autograd.functional.jacobian(run, x)  # [T, D, T, D]
    influence = jac.abs().sum(dim=(1, 3))  # [t, s]: how much token s moves output t
    future = torch.ones(T, T, dtype=torch.bool).triu(1)
    assert (influence[future] == 0).all(), f"a later token moves an earlier output:\n{influence}"
    assert (influence[~future] > 1e-3).all(), f"an output ignores a token at or before it:\n{influence}"


def _two_causal_layers(impl, d_model: int, n_heads: int, seed: int):
    """x -> x + MHA(x) twice, each layer causal: a stand-in for a decoder-only model."""
    layers = [seeded_attention(impl.MultiHeadAttention, d_model, n_heads, seed + i) for i in range(2)]

    def forward(x):
        mask = impl.causal_mask(x.size(1))
        for mha in layers:
            x = x + caps.attend(mha, x, x, x, mask)
        return x
    return forward


@given(self_attention_inputs())
def test_parallel_causal_forward_equals_step_by_step_decoding_on_the_same_prefix(impl, inputs):
    H, D, x, _, seed = inputs
    model = _two_causal_layers(impl, D, H, seed)
    parallel = model(x)  # one pass over all T positions, as in training
    for t in range(x.size(1)):  # generation: run the prefix x[:, :t+1], keep its last position
        assert_close(parallel[:, t], model(x[:, :t + 1])[:, -1])


def test_changing_an_earlier_token_changes_later_outputs_even_under_the_causal_mask(impl):
    # Teacher forcing feeds the gold prefix; generation feeds the model's own tokens. The mask
    # cannot make the two agree: the outputs from the swapped token on move (measured: by 0.48
    # to 6.0 per position), those before it do not (measured: 0.0).
    T, D, H, t = 6, 8, 2, 2
    model = _two_causal_layers(impl, D, H, seed=0)
    gold = randn(1, T, D, seed=1)
    generated = gold.clone()
    generated[:, t] = randn(D, seed=2)  # the model sampled another token at position t
    a, b = model(gold), model(generated)
    assert_close(a[:, :t], b[:, :t])  # before t: identical
    moved = (a[:, t:] - b[:, t:]).abs().amax(dim=-1)  # [1, T - t]
    assert (moved > 1e-3).all(), f"outputs at and after t={t} did not move: {moved}"


# --- where the mask goes: adding it before or after the 1/√Dk ----------------------------

@given(qkv(batch=(2,)), st.data())
def test_adding_a_zero_or_minus_inf_mask_before_or_after_scaling_gives_the_same_weights(impl, qkv, data):
    q, k, _ = qkv
    mask = data.draw(masks((2, q.size(-2), k.size(-2))), label="mask")
    M = torch.zeros(mask.shape, dtype=q.dtype).masked_fill(~mask, float("-inf"))  # 0 or -inf
    scores, root = q @ k.transpose(-2, -1), math.sqrt(q.size(-1))
    before = ((scores + M) / root).softmax(-1)  # softmax((QKᵀ + M)/√Dk): -inf/√Dk is still -inf
    after = (scores / root + M).softmax(-1)  # softmax(QKᵀ/√Dk + M)
    assert_close(before, after)
    assert_close(impl.attention_weights(q, k, mask), after)


def test_adding_a_finite_mask_or_a_bias_before_scaling_changes_the_weights(impl):
    # Dk = 64, so adding before scaling divides M by 8. Measured: a finite M = -100 leaks
    # 3.7e-5 of the weight to future keys (3.7e-43 when added after scaling, and exactly 0
    # with a boolean mask); an ALiBi-like distance bias moves a weight by 0.40.
    T, Dk = 8, 64
    q, k = randn(T, Dk, seed=0), randn(T, Dk, seed=1)
    scores, root, causal = q @ k.T, math.sqrt(Dk), impl.causal_mask(T)
    future = ~causal

    finite = torch.zeros(T, T, dtype=torch.float64).masked_fill(future, -100.0)
    leak_before = ((scores + finite) / root).softmax(-1)[future].sum()
    leak_after = (scores / root + finite).softmax(-1)[future].sum()
    assert leak_before > 1e-6, f"M = -100 added before scaling leaked only {leak_before:.2e}"
    assert leak_after < 1e-30, f"M = -100 added after scaling leaked {leak_after:.2e}"
    on_future = impl.attention_weights(q, k, causal)[future]
    assert (on_future == 0).all(), f"the implementation's boolean causal mask leaks {on_future.max().item():.2e} to a future key"

    distance = torch.arange(T)[:, None] - torch.arange(T)[None, :]  # t - s
    bias = (-0.5 * distance.clamp(min=0)).double().masked_fill(future, float("-inf"))  # ALiBi-like
    gap = (((scores + bias) / root).softmax(-1) - (scores / root + bias).softmax(-1)).abs().max()
    assert gap > 0.1, f"the two placements of a bias differ by only {gap:.3f}"


# --- the padding mask ---------------------------------------------------------------------

@given(sizes, lengths, st.data())
def test_padding_mask_is_true_at_real_keys_and_has_one_row_for_all_queries(impl, B, S, data):
    is_pad = data.draw(pads((B, S)), label="is_pad")
    mask = impl.padding_mask(is_pad)
    assert mask.dtype == torch.bool, f"padding_mask gave dtype {mask.dtype}, expected torch.bool"
    assert mask.shape == (B, 1, S), f"padding_mask gave shape {tuple(mask.shape)}, expected [B, 1, S]"
    assert torch.equal(mask[:, 0], ~is_pad), f"padding_mask({is_pad.int().tolist()}) = {mask[:, 0].int().tolist()}: True must mark the real tokens (may attend), not the pads"


@given(self_attention_inputs(), st.data())
def test_masked_multi_head_attention_matches_torch_multihead_attention_with_key_padding_mask(impl, inputs, data):
    H, D, x, _, seed = inputs
    B, T, _ = x.shape
    is_pad = data.draw(pads((B, T)), label="is_pad")
    mha = seeded_attention(impl.MultiHeadAttention, D, H, seed)
    _, _, _, causal = caps.self_regime(mha, x, x, x)  # a causal-only module: causal on both sides
    mask = caps.both(causal, impl.padding_mask(is_pad))
    expected, _ = torch_twin(mha, H)(x, x, x, key_padding_mask=is_pad, need_weights=False,
                                     attn_mask=None if causal is None else ~causal)
    rows = mask.expand(B, T, T).any(-1)  # all queries, unless causal: a query whose keys are all padding
    assert_close(caps.attend(mha, x, x, x, mask)[rows], expected[rows])


@given(qkv(batch=()), st.data())
def test_a_padded_key_gets_exactly_zero_weight(impl, qkv, data):
    q, k, _ = qkv  # q [T, Dk], k [S, Dk]; a batch of B = 3 copies with different padding
    q, k = q.expand(3, *q.shape), k.expand(3, *k.shape)
    is_pad = data.draw(pads((3, k.size(-2))), label="is_pad")
    w = impl.attention_weights(q, k, impl.padding_mask(is_pad))  # [3, T, S]
    assert (w.transpose(1, 2)[is_pad] == 0).all(), f"weight on a padded key:\n{w}"
    assert_close(w.sum(-1), torch.ones(w.shape[:-1], dtype=w.dtype))


@given(self_attention_inputs(), st.data())
def test_changing_padded_tokens_changes_no_output_at_real_positions(impl, inputs, data):
    H, D, x, other, seed = inputs
    B, T, _ = x.shape
    is_pad = data.draw(pads((B, T)), label="is_pad")
    changed = torch.where(is_pad[..., None], other, x)  # new contents at every padded position
    mask, mha = impl.padding_mask(is_pad), seeded_attention(impl.MultiHeadAttention, D, H, seed)
    real = ~is_pad
    _, _, _, causal = caps.self_regime(mha, x, x, x)  # a causal-only module: padding and causal
    both = caps.both(causal, mask)
    assert_close(caps.attend(mha, changed, changed, changed, both)[real], caps.attend(mha, x, x, x, both)[real])
    assert_close(impl.scaled_dot_product_attention(changed, changed, changed, mask)[real],
                 impl.scaled_dot_product_attention(x, x, x, mask)[real])


def test_bitwise_not_of_an_integer_padding_flag_masks_nothing():
    flags = torch.tensor([0, 0, 1, 1])  # 1 = pad, as an integer tensor
    assert (~flags).tolist() == [-1, -1, -2, -2]  # bitwise NOT: every entry nonzero ...
    assert (~flags).bool().all()  # ... so as a mask it allows every key, pads included
    assert (~flags.bool()).tolist() == [True, True, False, False]  # logical NOT needs bool


# --- 000-5's padding code, one bug at a time ------------------------------------------------

# 000-5's example mask, 1 = pad: pads mid-sequence, at the end, and none at all
EXAMPLE_IS_PAD = torch.tensor([[0, 0, 1, 0, 1], [0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], dtype=torch.bool)


def test_adding_the_pad_constant_to_embeddings_instead_of_scores_does_not_hide_pad_keys(impl):
    # Bug (a), polarity and softmax axis fixed: subtract 10000 from the pad tokens' EMBEDDINGS
    # [B, T, E], then attend. A score q·k is linear in k, so the shift moves a pad key's score
    # by -10000·Σq/√E: down for a query whose features sum above zero, but UP for one whose
    # features sum below zero. Measured: 2 of the 6 real queries of the padded sequences put
    # all their weight on the pads (1.0 to float64 precision).
    B, T, E = 3, 5, 10
    x = randn(B, T, E, seed=0)
    shifted = x - 10000.0 * EXAMPLE_IS_PAD[..., None]  # [B, T, E]: no [B, T, S] tensor anywhere
    wrong = impl.attention_weights(shifted, shifted)  # [B, T, S]
    on_pads = (wrong * EXAMPLE_IS_PAD[:, None, :]).sum(-1)  # [B, T]
    fooled = ~EXAMPLE_IS_PAD & EXAMPLE_IS_PAD.any(-1, keepdim=True) & (x.sum(-1) < 0)  # [B, T]
    assert fooled.sum() == 2 and (on_pads[fooled] > 0.99).all(), f"weight on pads per query: {on_pads}"
    right = impl.attention_weights(x, x, impl.padding_mask(EXAMPLE_IS_PAD))
    on_pads_right = (right * EXAMPLE_IS_PAD[:, None, :]).sum(-1)
    assert (on_pads_right == 0).all(), f"with the implementation's padding mask, weight on pads per query: {on_pads_right}"


def test_softmax_over_the_query_axis_does_not_give_each_query_a_distribution_over_keys(impl):
    # Bug (b), on correct [B, T, S] scores with the pads pushed down by 10000: softmax over
    # dim=-2 normalises each KEY's column over the queries. Rows no longer sum to 1, and every
    # padded key's column sums to 1: it gets weight after all. Measured row sums: 0.56 to 1.62.
    B, T, E = 3, 5, 10
    x = randn(B, T, E, seed=0)
    scores = x @ x.transpose(1, 2) / math.sqrt(E) - 10000.0 * EXAMPLE_IS_PAD[:, None, :]  # [B, T, S]
    wrong = scores.softmax(dim=-2)
    row_sums = wrong.sum(-1)
    assert (row_sums - 1).abs().max() > 0.1, f"row sums {row_sums}"
    assert_close(wrong.sum(-2)[EXAMPLE_IS_PAD], torch.ones(int(EXAMPLE_IS_PAD.sum()), dtype=torch.float64))
    right = impl.attention_weights(x, x, impl.padding_mask(EXAMPLE_IS_PAD))
    assert_close(right.sum(-1), torch.ones(B, T, dtype=torch.float64))
    assert (right.transpose(1, 2)[EXAMPLE_IS_PAD] == 0).all(), f"the implementation puts weight on padded keys:\n{right}"


def test_one_minus_the_pad_flag_times_minus_10000_hides_the_real_tokens_and_keeps_the_pads(impl):
    # Bug (c), on correct scores and softmax axis: with 1 = pad, (1 - flag) * -10000 pushes the
    # REAL keys down. Measured: sequence 1 (pads at 2, 4) and sequence 2 (pads at 3, 4) put 100 %
    # of every query's weight on their pads; sequence 3 (no pads) is shifted everywhere, a no-op.
    B, T, E = 3, 5, 10
    x = randn(B, T, E, seed=0)
    scores = x @ x.transpose(1, 2) / math.sqrt(E)
    wrong = (scores + (1 - EXAMPLE_IS_PAD.double()[:, None, :]) * -10000.0).softmax(-1)
    on_pads = (wrong * EXAMPLE_IS_PAD[:, None, :]).sum(-1)  # [B, T]
    assert_close(on_pads[:2], torch.ones(2, T, dtype=torch.float64))
    right = impl.attention_weights(x, x, impl.padding_mask(EXAMPLE_IS_PAD))
    on_pads_right = (right * EXAMPLE_IS_PAD[:, None, :]).sum(-1)
    assert (on_pads_right == 0).all(), f"with the implementation's padding mask, weight on pads per query: {on_pads_right}"
    assert_close(right[2], scores[2].softmax(-1))  # the unpadded sequence: plain attention


def test_float16_cannot_hold_minus_1e9_so_masked_fill_raises_and_an_all_masked_row_turns_nan():
    # float16 tops out at 65504, so -1e9 (and even -1e5) is not a float16 number. What that does
    # depends on how the constant reaches the scores:
    scores = randn(3, 5, 5, seed=0).half()  # [B, T, S]
    pad = EXAMPLE_IS_PAD[:, None, :].expand(3, 5, 5)
    kept = ~pad
    # 1. masked_fill refuses a value the dtype cannot hold
    with pytest.raises(RuntimeError, match="overflow"):
        scores.masked_fill(pad, -1e9)
    # 2. the multiplicative recipe with a Python scalar is computed in float32 and rounded once:
    #    -0 at kept keys, -inf at pads, so the softmax is finite and right (not NaN)
    keep = (~EXAMPLE_IS_PAD).half()[:, None, :]  # [B, 1, S], 1 = real token
    additive = ((1 - keep) * -1e9).expand(3, 5, 5)
    assert (additive[kept] == 0).all() and additive[pad].isneginf().all(), additive
    weights = (scores + additive).softmax(-1)
    assert weights.isfinite().all() and (weights[pad] == 0).all(), weights
    # 3. the constant materialised in float16 first is -inf, and 0 * -inf = NaN at every KEPT key;
    #    NumPy 2 does the same with a plain Python scalar (weak scalar typing keeps float16)
    materialised = ((1 - keep) * torch.tensor(-1e9, dtype=torch.float16)).expand(3, 5, 5)
    assert materialised[kept].isnan().all(), materialised
    with np.errstate(over="ignore", invalid="ignore"):
        numpy_additive = (1 - keep.numpy()) * -1e9
    assert numpy_additive.dtype == np.float16 and np.isnan(numpy_additive[kept[:, :1].numpy()]).all()
    # 4. a row with no real key at all: every score becomes -inf and the softmax is 0/0 = NaN
    all_masked = (scores[0, 0] + torch.full((5,), -1e9)).half()  # -1e9 rounds to -inf in float16
    assert all_masked.isneginf().all() and all_masked.softmax(-1).isnan().all()


def test_shifting_every_score_of_an_unpadded_row_by_minus_10000_costs_float32_precision(impl):
    # The example's third row has no pads, yet 000-5's formula adds -10000 to all its scores.
    # Softmax ignores a common shift in exact arithmetic, but float32 keeps about 7 digits and
    # near 10000 its spacing is 2**-10 ≈ 1e-3, so each score is rounded by up to 5e-4.
    # Measured: weights off by 1.6e-4 from float64, against 4e-8 without the shift.
    scores = randn(5, 5, seed=0).float()
    exact = scores.double().softmax(-1)
    assert (scores.softmax(-1) - exact).abs().max() < 1e-6  # float32 itself is fine ...
    assert ((scores - 10000.0).softmax(-1) - exact).abs().max() > 2e-5  # ... the shift costs digits
    q, k = randn(5, 8, seed=1).float(), randn(5, 8, seed=2).float()
    everything = impl.padding_mask(torch.zeros(1, 5, dtype=torch.bool))[0]  # [1, S], all True
    exact = (q.double() @ k.double().T / math.sqrt(8)).softmax(-1)
    error = (impl.attention_weights(q, k, everything) - exact).abs().max().item()
    assert error < 1e-6, f"with a mask that allows every key the float32 weights are off by {error:.1e}"  # measured 4e-8


# --- causal and padding together ------------------------------------------------------------

@given(self_attention_inputs(), st.data())
def test_combined_causal_and_padding_mask_equals_applying_both(impl, inputs, data):
    H, D, x, _, seed = inputs
    B, T, _ = x.shape
    is_pad = data.draw(pads((B, T)), label="is_pad")
    mask = impl.causal_mask(T) & impl.padding_mask(is_pad)  # [T, T] & [B, 1, T] -> [B, T, T]
    assert mask.shape == (B, T, T), f"combined mask has shape {tuple(mask.shape)}, expected [B, T, T]"
    mha = seeded_attention(impl.MultiHeadAttention, D, H, seed)
    future = torch.ones(T, T, dtype=torch.bool).triu(1)  # PyTorch's masks: True = blocked
    expected, _ = torch_twin(mha, H)(x, x, x, attn_mask=future, key_padding_mask=is_pad, need_weights=False)
    rows = mask.any(-1)  # queries with a key left; an empty row is the contract's zero case
    assert_close(caps.attend(mha, x, x, x, mask)[rows], expected[rows])


@given(sizes, lengths, st.data())
def test_under_causal_and_padding_masks_every_real_query_keeps_at_least_its_own_key(impl, B, T, data):
    is_pad = data.draw(pads((B, T)), label="is_pad")
    mask = impl.causal_mask(T) & impl.padding_mask(is_pad)  # [B, T, T]
    own = mask.diagonal(dim1=-2, dim2=-1)  # [B, T]: may query t read key t?
    assert torch.equal(own, ~is_pad), "a real query lost its own key (or a pad query kept it)"
    assert mask.any(-1)[~is_pad].all(), "a real query has no key left under the combined mask"


@given(sizes, lengths, st.data())
def test_with_left_padding_the_pad_queries_before_the_first_real_token_have_no_key_at_all(impl, B, T, data):
    n_pad = data.draw(st.lists(st.integers(0, T - 1), min_size=B, max_size=B), label="n_pad")
    is_pad = torch.arange(T)[None, :] < torch.tensor(n_pad)[:, None]  # left padding: [B, T]
    mask = impl.causal_mask(T) & impl.padding_mask(is_pad)
    assert torch.equal(mask.any(-1), ~is_pad), "exactly the left pads should have empty rows"


def test_a_nan_from_a_fully_masked_pad_row_would_poison_real_positions_in_the_next_layer(impl):
    # Why the contract returns zeros, not NaN, for an empty row: with a plain masked softmax the
    # left pad's row is 0/0 = NaN, and in the next layer a real query multiplies that NaN value
    # by its weight 0 — and 0 * NaN = NaN. Measured: every real position becomes NaN.
    T, Dk = 5, 4
    x = randn(1, T, Dk, seed=0)
    is_pad = torch.tensor([[True, False, False, False, False]])
    mask = impl.causal_mask(T) & impl.padding_mask(is_pad)  # [1, T, T]; row 0 is empty

    def plain(z):  # masked_fill(-inf) + softmax, no special case for an empty row
        scores = (z @ z.transpose(1, 2) / math.sqrt(Dk)).masked_fill(~mask, float("-inf"))
        return scores.softmax(-1) @ z

    assert plain(x)[0, 0].isnan().all() and plain(plain(x))[0, 1:].isnan().all()
    out = impl.scaled_dot_product_attention(x, x, x, mask)
    out2 = impl.scaled_dot_product_attention(out, out, out, mask)
    assert out2.isfinite().all(), "a NaN from the empty pad row reached the next layer: the contract zeroes empty rows"
    real = (~is_pad)[0]  # what the real positions see: attention over the real tokens alone
    y = x[:, real]
    y2 = impl.scaled_dot_product_attention(y, y, y, impl.causal_mask(T - 1))
    assert_close(out2[:, real], impl.scaled_dot_product_attention(y2, y2, y2, impl.causal_mask(T - 1)))


def test_torch_multihead_attention_returns_nan_for_a_query_with_every_key_blocked_unless_it_routes_to_sdpa():
    # The same left-padded row (query 0 may attend to nothing) through PyTorch's three paths:
    # F.scaled_dot_product_attention returns zeros; nn.MultiheadAttention returns NaN when asked
    # for its weights (the default, need_weights=True) and on its eval-mode fast path, and zeros
    # only in training mode with need_weights=False, where it calls SDPA.
    D, H, T = 4, 2, 3
    mha = nn.MultiheadAttention(D, H, batch_first=True, dtype=torch.float64)
    x = randn(1, T, D, seed=0)
    is_pad = torch.tensor([[True, False, False]])  # left padding: the pad query sees no real key
    future = torch.ones(T, T, dtype=torch.bool).triu(1)  # PyTorch's masks: True = blocked
    with torch.no_grad():
        default, _ = mha.train()(x, x, x, attn_mask=future, key_padding_mask=is_pad)  # need_weights=True
        fast_path, _ = mha.eval()(x, x, x, attn_mask=future, key_padding_mask=is_pad, need_weights=False)
        via_sdpa, _ = mha.train()(x, x, x, attn_mask=future, key_padding_mask=is_pad, need_weights=False)
    assert default[0, 0].isnan().all() and fast_path[0, 0].isnan().all(), (default[0, 0], fast_path[0, 0])
    assert_close(via_sdpa[0, 0], mha.out_proj.bias.detach())  # a zero attention output, then W_O's bias
    q = randn(1, H, T, D // H, seed=1)
    allowed = (~future & ~is_pad[:, None, :])[:, None]  # [1, 1, T, T], True = may attend
    assert (F.scaled_dot_product_attention(q, q, q, attn_mask=allowed)[0, :, 0] == 0).all()
    assert not default[0, 1:].isnan().any(), "the real queries keep finite outputs"


# --- left padding in batched generation: position ids ---------------------------------------------

def _tiny_decoder(impl, D: int, H: int, seed: int):
    """Token embeddings x [B, T, D] + sinusoidal positions at `positions` [B, T], then one causal,
    padding-masked multi-head self-attention layer with a residual: a stand-in decoder."""
    mha = seeded_attention(impl.MultiHeadAttention, D, H, seed)

    def run(x, positions, is_pad):
        table = impl.sinusoidal_positions(int(positions.max()) + 1, D, torch.float64)
        h = x + table[positions]  # [B, T, D]: each token gets the encoding of its position id
        mask = impl.causal_mask(x.size(1)) & impl.padding_mask(is_pad)  # [B, T, T]
        return h + caps.attend(mha, h, h, h, mask)

    return run


def test_with_left_padding_position_ids_must_count_from_each_sequences_first_real_token(impl):
    D, H, T = 8, 2, 5
    lengths = [5, 3, 1]  # prompts of different lengths, left-padded to T for batched generation
    prompts = [randn(n, D, seed=10 + i) for i, n in enumerate(lengths)]
    run = _tiny_decoder(impl, D, H, seed=0)
    alone = [run(p[None], torch.arange(len(p))[None], torch.zeros(1, len(p), dtype=torch.bool))[0] for p in prompts]
    n_pad = T - torch.tensor(lengths)  # [B]
    is_pad = torch.arange(T)[None, :] < n_pad[:, None]  # [B, T]: pads first
    x = torch.zeros(len(lengths), T, D, dtype=torch.float64)
    for b, p in enumerate(prompts):
        x[b, T - len(p):] = p
    naive = run(x, torch.arange(T).expand(len(lengths), T), is_pad)  # position = column index
    position_ids = (is_pad.logical_not().cumsum(dim=1) - 1).clamp(min=0)  # 0 at each first real token
    offset = run(x, position_ids, is_pad)
    for b, n in enumerate(lengths):
        assert_close(offset[b, T - n:], alone[b])  # the padded batch reproduces each prompt run alone
        moved = (naive[b, T - n:] - alone[b]).abs().max().item()
        assert moved > 0.1 or n == T, f"prompt {b} ({T - n} pads): column positions moved it by only {moved}"
    # the next token of sequence b goes at position lengths[b], not at column T
    assert (position_ids[:, -1] + 1).tolist() == lengths
