"""Claims about multi-head attention (questions/multi-head/*.yaml).

The oracles are PyTorch's own `nn.MultiheadAttention` (with the implementation's weights
copied in) and per-head computations written out here with `F.scaled_dot_product_attention`.
Weights come from seeded generators, scaled by 1/√fan_in as nn.Linear's init is, so every
example is reproducible from its Hypothesis seed. Costs are counted, not timed:
parameters with `numel`, FLOPs with `FlopCounterMode` (2 per multiply-add; bias additions
and the softmax are not counted) inside the MATH attention backend, the only one whose
matrix products the counter sees on CPU.

Every module is reached through checks/capabilities.py: its W_Q, W_K, W_V separate or fused,
its mask in the format it declares. A module that declares `causal_only` is graded in the
regime it implements (self-attention under the causal mask, the oracle under the same mask);
only checks that need cross inputs or a query that sees later keys skip it, naming the
declaration.
"""

import copy

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.testing import assert_close
from torch.utils.flop_counter import FlopCounterMode

from checks import capabilities as caps
from checks.modules import seeded_attention, torch_twin
from checks.oracles.full_width_heads import FullWidthHeads
from checks.strategies import masks, randn, seeds, sizes, tensors

heads = st.integers(min_value=1, max_value=4)  # H and Dk: D = H * Dk stays <= 16


def _identity_output_projection(mha: nn.Module) -> nn.Module:
    """W_O = I, b_O = 0: the module then returns Concat(head_1, ..., head_H) itself."""
    with torch.no_grad():
        mha.out_proj.weight.copy_(torch.eye(mha.out_proj.weight.size(0), dtype=torch.float64))
        mha.out_proj.bias.zero_()
    return mha


@st.composite
def mha_inputs(draw):
    """(H, query [B, T, D], key [B, S, D], value [B, S, D], weight seed) with D = H * Dk.
    The inputs are seeded standard normals: drawing ~1,000 floats element by element would
    cost more than the attention itself. Where the classic mistakes show: in about half the
    examples T = S >= 2 (a transposed weight matrix then has the right shape), and queries and
    keys are scaled by 1 or 30, so that scores reach ~1e3-1e4, past exp()'s float64 overflow."""
    B, H, Dk = draw(sizes), draw(heads), draw(heads)
    T, S = (draw(st.integers(2, 5)),) * 2 if draw(st.booleans()) else (draw(sizes), draw(sizes))
    D, seed, scale = H * Dk, draw(seeds), draw(st.sampled_from([1.0, 30.0]))
    return (H, scale * randn(B, T, D, seed=seed + 1), scale * randn(B, S, D, seed=seed + 2),
            randn(B, S, D, seed=seed + 3), seed)


# --- split_heads / merge_heads ------------------------------------------------------------

@given(sizes, sizes, heads, heads, st.data())
def test_merge_heads_undoes_split_heads(impl, B, T, H, Dk, data):
    x = data.draw(tensors(B, T, H * Dk), label="x")
    split = impl.split_heads(x, H)
    assert split.shape == (B, H, T, Dk), f"split_heads gave {tuple(split.shape)}, expected [B, H, T, Dk]"
    assert_close(impl.merge_heads(split), x, rtol=0, atol=0)  # pure data movement: exact


@given(sizes, sizes, heads, heads, st.data())
def test_split_heads_undoes_merge_heads(impl, B, T, H, Dk, data):
    y = data.draw(tensors(B, H, T, Dk), label="y")
    merged = impl.merge_heads(y)
    assert merged.shape == (B, T, H * Dk), f"merge_heads gave {tuple(merged.shape)}, expected [B, T, H * Dk]"
    assert_close(impl.split_heads(merged, H), y, rtol=0, atol=0)


@given(sizes, sizes, heads, heads, st.data())
def test_split_heads_gives_head_h_the_features_h_dk_to_h_plus_1_dk_of_each_token(impl, B, T, H, Dk, data):
    x = data.draw(tensors(B, T, H * Dk), label="x")
    out = impl.split_heads(x, H)
    for b in range(B):
        for h in range(H):
            for t in range(T):
                assert torch.equal(out[b, h, t], x[b, t, h * Dk:(h + 1) * Dk]), f"out[{b}, {h}, {t}]"


@given(sizes, st.integers(2, 5), st.integers(2, 4), heads)
def test_reshaping_to_b_h_t_dk_without_the_transpose_mixes_tokens_within_a_head(impl, B, T, H, Dk):
    # fill every feature of token t with the value t: a correct split keeps token t at position t
    x = torch.arange(T, dtype=torch.float64)[None, :, None].expand(B, T, H * Dk).contiguous()
    right = impl.split_heads(x, H)
    wrong = x.view(B, H, T, Dk)  # the tempting shortcut
    position = torch.arange(T, dtype=torch.float64)[:, None]  # [T, 1]
    assert (right == position).all(), "split_heads moved a token away from its position"
    assert not (wrong == position).all(), "the view without transpose kept every token in place"
    # head 0 of the shortcut holds only the first tokens' features, some of them twice over
    assert set(wrong[0, 0, :, 0].tolist()) != set(range(T))


def test_splitting_with_a_plain_view_lets_position_0_read_later_tokens_through_a_causal_mask(impl):
    # the usual bug: heads split by x.view(B, H, T, Dk), merged back the ordinary way
    B, T, H, Dk = 1, 4, 2, 3
    mha = seeded_attention(impl.MultiHeadAttention, H * Dk, H, seed=0)
    causal = torch.ones(T, T, dtype=torch.bool).tril()

    def shortcut(x):  # the module's own weights, heads split by x.view(B, H, T, Dk)
        q, k, v = (p(x).view(B, H, T, Dk) for p in caps.projections(mha))
        heads_out = F.scaled_dot_product_attention(q, k, v, attn_mask=causal)
        return mha.out_proj(heads_out.transpose(1, 2).reshape(B, T, H * Dk))

    x = randn(B, T, H * Dk, seed=1)
    later_changed = torch.cat([x[:, :1], randn(B, T - 1, H * Dk, seed=2)], dim=1)  # same token 0
    with torch.no_grad():
        assert_close(caps.attend(mha, later_changed, later_changed, later_changed, causal)[:, 0],
                     caps.attend(mha, x, x, x, causal)[:, 0])  # correct: position 0 sees token 0 only
        leak = (shortcut(later_changed)[:, 0] - shortcut(x)[:, 0]).abs().max().item()
    assert leak > 1e-3, f"the shortcut's position 0 moved by only {leak}"  # measured: 1.05


# --- the computation ---------------------------------------------------------------------

@given(mha_inputs())
def test_one_fused_projection_then_reshape_equals_h_separate_per_head_projections(impl, case):
    H, query, key, value, seed = case
    D = query.size(-1)
    Dk = D // H
    mha = seeded_attention(impl.MultiHeadAttention, D, H, seed)
    query, key, value, causal = caps.self_regime(mha, query, key, value)  # causal: None unless causal-only
    heads_out = []
    for h in range(H):  # head h's own d_model x Dk projections: block h of each fused weight
        rows = slice(h * Dk, (h + 1) * Dk)
        q, k, v = (F.linear(x, p.weight[rows], p.bias[rows])
                   for x, p in zip((query, key, value), caps.projections(mha)))
        heads_out.append(F.scaled_dot_product_attention(q, k, v, attn_mask=causal))  # [B, T, Dk]
    expected = mha.out_proj(torch.cat(heads_out, dim=-1))  # Concat(head_1..head_H) W_O
    with torch.no_grad():
        assert_close(caps.attend(mha, query, key, value, causal), expected)


@given(mha_inputs())
def test_multi_head_attention_matches_torch_multihead_attention(impl, case):
    H, query, key, value, seed = case
    mha = seeded_attention(impl.MultiHeadAttention, query.size(-1), H, seed)
    query, key, value, causal = caps.self_regime(mha, query, key, value)  # a causal-only module: both causal
    expected, _ = torch_twin(mha, H)(query, key, value, need_weights=False,
                                     attn_mask=None if causal is None else ~causal)
    with torch.no_grad():
        out = caps.attend(mha, query, key, value, causal)
    assert out.shape == query.shape, f"output {tuple(out.shape)}, expected the query's [B, T, D]"
    assert_close(out, expected)


@given(mha_inputs(), st.data())
def test_masked_multi_head_attention_matches_torch_multihead_attention(impl, case, data):
    H, query, key, value, seed = case
    mha = seeded_attention(impl.MultiHeadAttention, query.size(-1), H, seed)
    query, key, value, causal = caps.self_regime(mha, query, key, value)
    (B, T, _), S = query.shape, key.size(1)
    mask = data.draw(masks((B, T, S)), label="mask")  # True = may attend; no empty rows
    if causal is not None:  # a causal-only module: its own causal mask and the drawn one, diagonal kept
        mask = causal & (mask | torch.eye(T, dtype=torch.bool))
    blocked = ~mask.repeat_interleave(H, dim=0)  # torch's bool attn_mask: [B*H, T, S], True = NOT allowed
    expected, _ = torch_twin(mha, H)(query, key, value, attn_mask=blocked, need_weights=False)
    with torch.no_grad():
        assert_close(caps.attend(mha, query, key, value, mask), expected)


@pytest.mark.parametrize("H", [2, 3], ids=lambda h: f"B=H={h}")
def test_the_mask_of_each_sequence_applies_to_every_head(impl, H):
    # B = H is where a [B, T, S] mask applied to [B, H, T, S] scores without a head axis goes wrong
    # silently: it broadcasts sequence b's mask onto head b of EVERY sequence
    B, T, Dk = H, 4, 2
    D = H * Dk
    mha = seeded_attention(impl.MultiHeadAttention, D, H, seed=H)
    x = randn(B, T, D, seed=H + 1)
    is_pad = torch.zeros(B, T, dtype=torch.bool)
    for b in range(B):
        is_pad[b, T - 1 - b:] = True  # sequence b has b + 1 pads: a different mask per sequence
    allowed = ~is_pad[:, None, :].expand(B, T, T)  # [B, T, S], True = may attend
    _, _, _, causal = caps.self_regime(mha, x, x, x)
    allowed = caps.both(causal, allowed)  # a causal-only module: causal too (row t keeps key 0 or itself)
    expected, _ = torch_twin(mha, H)(x, x, x, key_padding_mask=is_pad, need_weights=False,
                                     attn_mask=None if causal is None else ~causal)
    rows = allowed.any(-1)  # queries left with a key (all of them without the causal mask)
    with torch.no_grad():
        out = caps.attend(mha, x, x, x, allowed)
    out, expected = out[rows], expected[rows]
    assert_close(out, expected, msg=lambda m: f"each sequence's mask must reach all H heads (give it a head "
                                               f"axis: [B, 1, T, S]), not head b of every sequence:\n{m}")


@given(st.integers(2, 4), heads, sizes, st.data(), seeds)
def test_heads_are_independent_before_the_output_projection(impl, H, Dk, T, data, seed):
    i = data.draw(st.integers(0, H - 1), label="perturbed head")
    D = H * Dk
    x = randn(2, T, D, seed=seed + 3)
    mha = _identity_output_projection(seeded_attention(impl.MultiHeadAttention, D, H, seed))
    perturbed = copy.deepcopy(mha)
    rows = slice(i * Dk, (i + 1) * Dk)  # head i's block of W_Q, W_K, W_V (and biases)
    _, _, _, causal = caps.self_regime(mha, x, x, x)  # self-attention: any module can run it
    with torch.no_grad():
        for p in caps.projections(perturbed):
            p.weight[rows] += randn(Dk, D, seed=seed + 1)
            p.bias[rows] += randn(Dk, seed=seed + 2)
        # [B, T, H * Dk]: the concatenated heads
        before, after = caps.attend(mha, x, x, x, causal), caps.attend(perturbed, x, x, x, causal)
    others = [h for h in range(H) if h != i]
    cols = torch.tensor([c for h in others for c in range(h * Dk, (h + 1) * Dk)], dtype=torch.long)
    assert_close(after[..., cols], before[..., cols])
    changed = (after[..., rows] - before[..., rows]).abs().max().item()
    assert changed > 1e-6, f"perturbing head {i}'s projections changed its output by only {changed}"


def test_every_head_reads_all_d_model_input_features_not_a_slice_of_them(impl):
    B, T, H, Dk = 2, 3, 3, 2
    D = H * Dk
    mha = _identity_output_projection(seeded_attention(impl.MultiHeadAttention, D, H, seed=0))
    x = randn(B, T, D, seed=1)
    _, _, _, causal = caps.self_regime(mha, x, x, x)
    with torch.no_grad():
        base = caps.attend(mha, x, x, x, causal)
        for j in range(H):  # change only the input features a "split input" would give head j
            x2 = x.clone()
            x2[..., j * Dk:(j + 1) * Dk] += 1.0
            moved = [(caps.attend(mha, x2, x2, x2, causal) - base)[..., h * Dk:(h + 1) * Dk].abs().max().item()
                     for h in range(H)]
            assert min(moved) > 1e-3, f"features of block {j} reach the heads by {moved}; every head should move"


@given(mha_inputs())
def test_output_is_the_sum_over_heads_of_each_head_through_its_own_block_of_w_o(impl, case):
    H, query, key, value, seed = case
    D = query.size(-1)
    Dk = D // H
    mha = seeded_attention(impl.MultiHeadAttention, D, H, seed)
    query, key, value, causal = caps.self_regime(mha, query, key, value)
    with torch.no_grad():
        total = mha.out_proj.bias.clone()
        for h in range(H):  # silence every other head: zero values give zero head outputs
            alone = copy.deepcopy(mha)
            keep = torch.zeros(D, 1, dtype=torch.float64)
            keep[h * Dk:(h + 1) * Dk] = 1
            w_v = caps.projections(alone)[2]
            w_v.weight.mul_(keep)
            w_v.bias.mul_(keep[:, 0])
            total = total + (caps.attend(alone, query, key, value, causal) - mha.out_proj.bias)
        assert_close(caps.attend(mha, query, key, value, causal), total)


# --- cost ----------------------------------------------------------------------------------

D_MODEL, T_SELF = 12, 7
DIVISORS = [h for h in range(1, D_MODEL + 1) if D_MODEL % h == 0]  # 1, 2, 3, 4, 6, 12


def _parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _flops(module: nn.Module, x: torch.Tensor, **kwargs) -> int:
    """FLOPs of self-attention on x. A causal-only module runs under its causal mask: the
    counter counts the full T x T products whatever the mask (masking is no matmul)."""
    with sdpa_kernel([SDPBackend.MATH]), FlopCounterMode(display=False) as counter, torch.no_grad():
        if isinstance(module, nn.MultiheadAttention) or not caps.declared(module).causal_only:
            module(x, x, x, **kwargs)
        else:
            caps.attend(module, x, x, x, caps.causal(x.size(1)))
    return counter.get_total_flops()


@pytest.mark.parametrize("H", DIVISORS, ids=lambda h: f"H={h}")
def test_with_dk_d_over_h_multi_head_has_the_parameters_of_one_full_width_head(impl, H):
    D = D_MODEL
    count = _parameters(impl.MultiHeadAttention(D, H))
    assert count == 4 * D * D + 4 * D, f"H={H}: {count} parameters, expected 4D²+4D = {4 * D * D + 4 * D}"
    assert count == _parameters(nn.MultiheadAttention(D, 1)), "differs from a single full-width head"


@pytest.mark.parametrize("H", DIVISORS, ids=lambda h: f"H={h}")
def test_with_dk_d_over_h_multi_head_self_attention_costs_the_flops_of_one_full_width_head(impl, H):
    D, T = D_MODEL, T_SELF
    x = randn(1, T, D, seed=H)
    flops = _flops(impl.MultiHeadAttention(D, H).double(), x)
    torch_flops = _flops(nn.MultiheadAttention(D, H, batch_first=True, dtype=torch.float64), x, need_weights=False)
    expected = 8 * T * D * D + 4 * T * T * D  # Q, K, V, O projections + (QKᵀ and weights @ V), whatever H is
    assert flops == expected, f"H={H}: {flops} FLOPs, expected 8TD²+4T²D = {expected}"
    assert torch_flops == expected, f"H={H}: torch's nn.MultiheadAttention counts {torch_flops}, expected {expected}"


def test_without_the_reduction_the_concatenation_is_h_times_d_model_wide_and_the_cost_grows_h_fold(impl):
    # 001-6's numbers: D = 512, H = 8 heads of full width concatenate to 4,096 features
    D, H = 512, 8
    full = FullWidthHeads(D, H, device="meta")  # counted, never allocated
    assert full.out_proj.in_features == H * D == 4096
    reduced = _parameters(impl.MultiHeadAttention(D, H))
    single = _parameters(impl.MultiHeadAttention(D, 1))
    assert reduced == single == 4 * D * D + 4 * D == 1_050_624, f"{reduced} parameters with 8 heads, {single} with 1"
    assert _parameters(full) == 4 * H * D * D + 3 * H * D + D == 8_401_408  # 8.0 x the reduced count
    # FLOPs at a size that runs: exactly H times the reduced module's
    D, T = D_MODEL, T_SELF
    x = randn(1, T, D, seed=0)
    for H in DIVISORS[1:]:
        reduced = _flops(impl.MultiHeadAttention(D, H).double(), x)
        assert _flops(FullWidthHeads(D, H).double(), x) == H * reduced, f"H={H}"


@pytest.mark.parametrize("H", DIVISORS[1:], ids=lambda h: f"H={h}")
def test_each_head_has_its_own_t_by_s_weights_so_the_number_of_scores_grows_h_fold(impl, H):
    # the weights of head h, from the implementation's own projections and head split, against
    # the per-head weights nn.MultiheadAttention returns with the same parameters
    B, T, S, D = 2, 3, 5, D_MODEL
    query, key = randn(B, T, D, seed=0), randn(B, S, D, seed=1)
    mha = seeded_attention(impl.MultiHeadAttention, D, H, seed=H)
    w_q, w_k, _ = caps.projections(mha)  # the module's own maps, separate or fused
    with torch.no_grad():
        q, k = impl.split_heads(w_q(query), H), impl.split_heads(w_k(key), H)  # [B, H, T|S, Dk]
        weights = impl.attention_weights(q, k)
    assert weights.shape == (B, H, T, S), f"H={H}: weights {tuple(weights.shape)}, expected [B, H, T, S]"
    _, expected = torch_twin(mha, H)(query, key, key, need_weights=True, average_attn_weights=False)
    assert_close(weights, expected)  # H distributions per query: H·T·S scores in all
    assert_close(weights.sum(-1), torch.ones(B, H, T, dtype=torch.float64))
    spread = (weights - weights.mean(dim=1, keepdim=True)).abs().max().item()
    assert spread > 1e-3, f"H={H}: the heads' weights hardly differ ({spread}): no single attention map stands for them"


# --- why several heads ----------------------------------------------------------------------

def test_two_heads_take_different_features_from_different_tokens_where_one_head_cannot(impl):
    x = torch.eye(2, dtype=torch.float64)[None]  # token 0 = [1, 0], token 1 = [0, 1]
    target = torch.ones(1, 2, 2, dtype=torch.float64)  # every query wants [token 0's f0, token 1's f1]
    two = _identity_output_projection(impl.MultiHeadAttention(2, 2).double())
    caps.require(two, "full attention")  # query 0 must reach token 1
    w_q, w_k, w_v = caps.projections(two)
    with torch.no_grad():
        w_v.weight.copy_(torch.eye(2))
        w_v.bias.zero_()
        w_k.weight.copy_(torch.eye(2))  # head 0's key is feature 0, head 1's key is feature 1
        w_k.bias.zero_()
        w_q.weight.zero_()
        w_q.bias.fill_(40.0)  # a large constant query: head h picks the token whose feature h is 1
        assert_close(caps.attend(two, x, x, x), target)  # the other weight is e^-40 ~ 4e-18
    # one head mixes all features with ONE weight vector: the output is w0*token0 + w1*token1 = [w0, w1],
    # whose entries sum to 1, never to 2, whatever the query and key projections are
    for seed in range(20):
        one = _identity_output_projection(seeded_attention(impl.MultiHeadAttention, 2, 1, seed))
        w_v = caps.projections(one)[2]
        with torch.no_grad():
            w_v.weight.copy_(torch.eye(2))
            w_v.bias.zero_()
            out = caps.attend(one, x, x, x)
        assert_close(out.sum(-1), torch.ones(1, 2, dtype=torch.float64))
