"""Claims about the position-wise feed-forward network (questions/feed-forward/*.yaml).

Each check is named as the claim reads. The oracles are the feed-forward block of PyTorch's
nn.TransformerEncoderLayer and the parameter counts of nn.TransformerEncoderLayer and
nn.TransformerDecoderLayer, in float64; GPT-3 and LLaMA-2 are counted from their shapes on
the meta device (checks/modules.py). That the FFN is position-wise holds for any FFN made of
nn.Linear layers, so those checks are facts shown on PyTorch's block. Broken implementations
that must fail the others: tests/broken_impls/feed_forward/.
"""

import math
from fractions import Fraction

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from checks.modules import count_parts, gpt_parts_on_meta, llama_parts_on_meta
from checks.strategies import randn, seeds, sizes, tensors

F64 = torch.float64


def _ffn(impl, D: int, d_ff: int, seed: int) -> nn.Module:
    """impl.FeedForward in float64 with seeded weights (W ~ N(0, 1/fan_in), b ~ N(0, 1))."""
    ffn = impl.FeedForward(D, d_ff).to(F64)
    for name in ("linear1", "linear2"):  # FFN(x) = max(0, x W1 + b1) W2 + b2 has two biases
        assert getattr(ffn, name).bias is not None, f"{name} has no bias (b1, b2 are part of the FFN)"
    with torch.no_grad():
        for i, linear in enumerate((ffn.linear1, ffn.linear2)):
            linear.weight.copy_(randn(*linear.weight.shape, seed=seed + 2 * i) / math.sqrt(linear.in_features))
            linear.bias.copy_(randn(*linear.bias.shape, seed=seed + 2 * i + 1))
    return ffn


# ------------------------------------------------------------ structure


@given(sizes, sizes, st.lists(sizes, min_size=1, max_size=3), seeds, st.data())
def test_ffn_matches_the_feed_forward_block_of_torch_transformer_encoder_layer(impl, D, d_ff, lead, seed, data):
    x = data.draw(tensors(*lead, D), label="x")  # [..., T, D]
    layer = nn.TransformerEncoderLayer(D, 1, dim_feedforward=d_ff, dropout=0.0, dtype=F64)
    ffn = _ffn(impl, D, d_ff, seed)
    with torch.no_grad():
        layer.linear1.load_state_dict(ffn.linear1.state_dict())
        layer.linear2.load_state_dict(ffn.linear2.state_dict())
    # what the layer's feed-forward block computes: linear2(dropout(activation(linear1(x))))
    assert_close(ffn(x), layer.linear2(layer.dropout(layer.activation(layer.linear1(x)))))


@given(sizes, sizes, sizes, seeds, st.data())
def test_ffn_is_relu_of_x_w1_plus_b1_times_w2_plus_b2(impl, T, D, d_ff, seed, data):
    x = data.draw(tensors(T, D), label="x")
    ffn = _ffn(impl, D, d_ff, seed)
    W1, b1 = ffn.linear1.weight.T, ffn.linear1.bias  # [D, F], [F]  (nn.Linear stores W as [out, in])
    W2, b2 = ffn.linear2.weight.T, ffn.linear2.bias  # [F, D], [D]
    hidden = torch.clamp(torch.einsum("td,df->tf", x, W1) + b1, min=0)  # max(0, x W1 + b1)
    assert_close(ffn(x), torch.einsum("tf,fd->td", hidden, W2) + b2)


@given(sizes, sizes, st.lists(sizes, min_size=1, max_size=3))
def test_ffn_maps_d_model_to_d_ff_and_back_to_d_model(impl, D, d_ff, lead):
    ffn = impl.FeedForward(D, d_ff).to(F64)
    assert tuple(ffn.linear1.weight.shape) == (d_ff, D), f"linear1: {tuple(ffn.linear1.weight.shape)}"
    assert tuple(ffn.linear2.weight.shape) == (D, d_ff), f"linear2: {tuple(ffn.linear2.weight.shape)}"
    x = torch.zeros(*lead, D, dtype=F64)
    assert ffn.linear1(x).shape == (*lead, d_ff)
    assert ffn(x).shape == x.shape  # so that x + FFN(x) adds up


@given(sizes, sizes)
def test_ffn_has_2_d_model_d_ff_plus_d_ff_plus_d_model_parameters(impl, D, d_ff):
    count = sum(p.numel() for p in impl.FeedForward(D, d_ff).parameters())
    assert count == 2 * D * d_ff + d_ff + D, f"D={D}, F={d_ff}: {count} parameters, expected 2DF + F + D = {2 * D * d_ff + d_ff + D}"


def test_ffn_of_the_base_model_has_2099712_parameters(impl):
    assert sum(p.numel() for p in impl.FeedForward(512, 2048).parameters()) == 2_099_712


# ---------------------------------------------------------- position-wise
# Every FFN built from nn.Linear layers acting on the last axis is position-wise, right or
# wrong otherwise, so these are facts shown on PyTorch's own FFN block (the one
# test_ffn_matches_the_feed_forward_block_of_torch_transformer_encoder_layer holds the
# implementation to), not checks that could grade an implementation.


def _torch_ffn(D: int, d_ff: int, seed: int):
    """The feed-forward block of nn.TransformerEncoderLayer (dropout 0) with seeded weights."""
    layer = nn.TransformerEncoderLayer(D, 1, dim_feedforward=d_ff, dropout=0.0, dtype=F64)
    with torch.no_grad():
        for i, p in enumerate(p for m in (layer.linear1, layer.linear2) for p in m.parameters()):
            p.copy_(randn(*p.shape, seed=seed + i))
    return lambda x: layer.linear2(layer.dropout(layer.activation(layer.linear1(x))))


@given(sizes, sizes, sizes, seeds, st.data())
def test_permuting_the_positions_permutes_the_ffn_output(T, D, d_ff, seed, data):
    x = data.draw(tensors(2, T, D), label="x")
    perm = torch.tensor(data.draw(st.permutations(range(T)), label="perm"))
    ffn = _torch_ffn(D, d_ff, seed)
    assert_close(ffn(x[:, perm]), ffn(x)[:, perm])


@given(sizes, sizes, sizes, seeds, st.data())
def test_ffn_of_a_position_alone_equals_its_row_of_the_full_sequence(T, D, d_ff, seed, data):
    x = data.draw(tensors(T, D), label="x")
    ffn = _torch_ffn(D, d_ff, seed)
    out = ffn(x)  # [T, D]
    for t in range(T):  # the same function, with the same weights, at every position
        assert_close(ffn(x[t : t + 1]), out[t : t + 1])


@given(sizes, sizes, sizes, seeds)
def test_ffn_jacobian_has_no_block_between_different_positions(T, D, d_ff, seed):
    x = randn(T, D, seed=seed)
    J = torch.autograd.functional.jacobian(_torch_ffn(D, d_ff, seed), x)  # [T, D, T, D]
    across = J * (1 - torch.eye(T, dtype=F64))[:, None, :, None]  # keep the blocks with t != s
    assert_close(across, torch.zeros_like(J))


# ---------------------------------------------------------------- ReLU


@given(sizes, sizes, seeds, st.data())
def test_ffn_jacobian_at_a_position_is_w2_times_the_relu_mask_times_w1(impl, D, d_ff, seed, data):
    x = data.draw(tensors(D), label="x")  # one position
    ffn = _ffn(impl, D, d_ff, seed)
    W1, W2 = ffn.linear1.weight, ffn.linear2.weight  # [F, D], [D, F]
    active = (ffn.linear1(x) > 0).to(F64)  # [F]: ReLU's derivative, exactly 1 or 0
    J = torch.autograd.functional.jacobian(ffn, x)  # [D, D]
    assert_close(J, W2 @ torch.diag(active) @ W1)


def test_relu_gradient_is_exactly_one_for_positive_inputs_unlike_sigmoid_whose_gradient_is_at_most_a_quarter():
    x = torch.tensor([-3.0, -0.5, 0.5, 3.0, 300.0], dtype=F64, requires_grad=True)
    (grad_relu,) = torch.autograd.grad(torch.relu(x).sum(), x)
    assert grad_relu.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]  # exact: a chain of active units keeps |gradient|
    grid = torch.linspace(-10, 10, 2001, dtype=F64, requires_grad=True)
    (grad_sigmoid,) = torch.autograd.grad(torch.sigmoid(grid).sum(), grid)
    assert grad_sigmoid.max().item() == pytest.approx(0.25)  # σ' = σ(1 - σ) <= 1/4, reached at 0


@given(sizes, st.integers(3, 5), seeds, st.data())
def test_a_unit_whose_input_is_always_negative_gets_no_gradient_while_an_active_unit_passes_it_unchanged(
        impl, D, d_ff, seed, data):
    x = data.draw(tensors(4, D), label="x")  # entries in [-5, 5]
    ffn = _ffn(impl, D, d_ff, seed)
    w = ffn.linear1.weight.detach()
    with torch.no_grad():  # |w_j · x| <= 5 Σ|w_j| for these inputs, so:
        ffn.linear1.bias[0] = -(5 * w[0].abs().sum() + 1)  # unit 0 is always off: a dead unit
        ffn.linear1.bias[1] = 5 * w[1].abs().sum() + 1  # unit 1 is always on
    g = randn(4, D, seed=seed + 7)  # dLoss/dFFN(x)
    (ffn(x) * g).sum().backward()
    assert (ffn.linear1.weight.grad[0] == 0).all() and ffn.linear1.bias.grad[0] == 0, "a dead unit learns nothing"
    assert (ffn.linear2.weight.grad[:, 0] == 0).all()
    # for the active unit, dLoss/db1 = Σ_t g_t · W2[:, 1]: ReLU passes the gradient with factor 1
    assert_close(ffn.linear1.bias.grad[1], (g @ ffn.linear2.weight[:, 1]).sum())


# ------------------------------------------------------ parameter share


def _count(*modules: nn.Module, matrices_only: bool = False) -> int:
    return sum(p.numel() for m in modules for p in m.parameters() if p.dim() >= 2 or not matrices_only)


BASE_D, BASE_H, BASE_FF = 512, 8, 2048  # the base model, with d_ff = 4 d_model


def test_ffn_holds_two_thirds_of_an_encoder_layers_weight_matrices(impl):
    ffn, attn = impl.FeedForward(BASE_D, BASE_FF), impl.MultiHeadAttention(BASE_D, BASE_H)
    norms = [impl.LayerNorm(BASE_D) for _ in range(2)]
    oracle = nn.TransformerEncoderLayer(BASE_D, BASE_H, dim_feedforward=BASE_FF)
    assert _count(attn, ffn, *norms) == _count(oracle) == 3_152_384  # the same layer, counted twice
    assert _count(attn, ffn, matrices_only=True) == _count(oracle, matrices_only=True)
    # weight matrices: FFN 8 D² of 4 D² + 8 D²
    assert Fraction(_count(ffn, matrices_only=True), _count(oracle, matrices_only=True)) == Fraction(2, 3)
    share = _count(ffn) / _count(oracle)  # with biases and LayerNorms
    assert 0.666 < share < 2 / 3, share  # 2,099,712 / 3,152,384 = 0.6661


def test_ffn_holds_half_of_a_decoder_layers_weight_matrices(impl):
    ffn = impl.FeedForward(BASE_D, BASE_FF)
    self_attn, cross_attn = impl.MultiHeadAttention(BASE_D, BASE_H), impl.MultiHeadAttention(BASE_D, BASE_H)
    norms = [impl.LayerNorm(BASE_D) for _ in range(3)]
    oracle = nn.TransformerDecoderLayer(BASE_D, BASE_H, dim_feedforward=BASE_FF)
    assert _count(self_attn, cross_attn, ffn, *norms) == _count(oracle) == 4_204_032
    # weight matrices: FFN 8 D² of 4 D² (self-attention) + 4 D² (cross-attention) + 8 D²
    assert Fraction(_count(ffn, matrices_only=True), _count(oracle, matrices_only=True)) == Fraction(1, 2)
    share = _count(ffn) / _count(oracle)
    assert 0.499 < share < 0.5, share  # 2,099,712 / 4,204,032 = 0.4995


def test_ffns_hold_57_percent_of_the_base_models_layers_and_40_percent_with_the_embedding(impl):
    # 6 encoder + 6 decoder layers and 2 final LayerNorms; shapes only, on the meta device
    model = nn.Transformer(BASE_D, BASE_H, 6, 6, dim_feedforward=BASE_FF, batch_first=True, device="meta")
    ffns = 12 * _count(impl.FeedForward(BASE_D, BASE_FF))  # 25,196,544
    assert _count(model) == 44_140_544
    assert ffns / _count(model) == pytest.approx(0.5708, abs=1e-4)
    embedding = 37_000 * BASE_D  # the base model's shared source/target/output vocabulary of ~37,000
    assert ffns / (_count(model) + embedding) == pytest.approx(0.3994, abs=1e-4)


def _ffn_params(parts) -> int:
    """The FFN parameters of a part list: LLaMA parts name them "ffn"; a GPT block holds its FFN
    as linear1 and linear2 (nn.TransformerEncoderLayer's names)."""
    llama = count_parts(parts, "ffn")
    gpt = sum(copies * _count(m.linear1, m.linear2) for name, m, copies in parts if name == "block")
    return llama + gpt


def test_in_gpt3_the_ffns_hold_two_thirds_of_all_parameters_even_counting_the_embeddings():
    # GPT-3 175B (Brown et al. 2020, Table 2.1), counted on the meta device
    parts = gpt_parts_on_meta(L=96, d=12288, heads=96, vocab=50257, ctx=2048)
    ffn, blocks, total = _ffn_params(parts), count_parts(parts, "block"), count_parts(parts)
    assert total == 174_604_259_328, total
    # measured 0.6666 of the blocks and 0.6642 of everything: the 0.6 B embedding parameters
    # are 0.4 % of a model this wide, so the whole-model share stays at two thirds
    assert abs(ffn / blocks - 2 / 3) < 1e-3 and abs(ffn / total - 2 / 3) < 5e-3, (ffn / blocks, ffn / total)


def test_with_gqa_and_swiglu_the_ffns_hold_82_percent_of_llama_2_70b_but_about_two_thirds_of_llama_2_7b():
    # Touvron et al. 2023: 70B has 80 layers, d = 8192, 64 query heads sharing 8 key/value heads
    # (GQA), a SwiGLU FFN of width 28672; 7B has 32 layers, d = 4096, 32 heads without GQA,
    # width 11008 (about 8d/3, which keeps three matrices at 8d²); both a 32,000-token
    # vocabulary with separate input and output tables
    big = dict(L=80, d=8192, heads=64, d_ff=28672, vocab=32000, tied=False)
    gqa, mha = llama_parts_on_meta(kv_heads=8, **big), llama_parts_on_meta(kv_heads=64, **big)
    small = llama_parts_on_meta(L=32, d=4096, heads=32, kv_heads=32, d_ff=11008, vocab=32000, tied=False)
    assert (count_parts(gqa), count_parts(small)) == (68_976_648_192, 6_738_415_616)  # the published counts
    share = {name: _ffn_params(p) / count_parts(p) for name, p in [("70B", gqa), ("70B, no GQA", mha),
                                                                     ("7B", small)]}
    layers_7b = _ffn_params(small) / count_parts(small, "attention", "ffn", "norms")
    # measured 0.817, 0.719 if its attention had 64 key/value heads, and 0.642 for 7B (0.668 of its layers)
    assert share["70B"] > 0.8 > share["70B, no GQA"] > 0.7, share
    assert abs(layers_7b - 2 / 3) < 0.01 and 0.6 < share["7B"] < 2 / 3, (layers_7b, share)


# ---------------------------------------------------------------- errata


def test_applying_the_second_linear_to_x_again_is_not_the_ffn(impl):
    x = randn(3, 4, seed=0)  # [T, D]
    ffn = _ffn(impl, 4, 16, seed=1)  # d_ff = 4 d_model
    with pytest.raises(RuntimeError):  # linear2 expects F = 16 features; x has D = 4
        ffn.linear2(x)
    square = _ffn(impl, 4, 4, seed=1)  # d_ff = d_model: the shapes fit by accident ...
    gap = (square.linear2(x) - square(x)).abs().max().item()  # ... but ReLU(linear1(x)) is thrown away
    assert gap > 0.5, f"max |difference| = {gap:.3f}"  # measured 2.8


def test_self_attention_is_already_non_linear_in_its_input_and_linear_only_in_the_values():
    T, D, H = 5, 8, 2
    attn = nn.MultiheadAttention(D, H, bias=False, batch_first=True, dtype=F64)  # PyTorch's own
    with torch.no_grad():  # seeded weights, no biases: a linear map would satisfy f(2x) = 2 f(x)
        attn.in_proj_weight.copy_(randn(3 * D, D, seed=0) / math.sqrt(D))
        attn.out_proj.weight.copy_(randn(D, D, seed=1) / math.sqrt(D))

    def f(q, k, v):
        return attn(q, k, v, need_weights=False)[0]

    x = randn(1, T, D, seed=10)
    gap = (f(2 * x, 2 * x, 2 * x) - 2 * f(x, x, x)).abs().max().item()
    assert gap > 0.5, f"max |f(2x) - 2 f(x)| = {gap:.3f}"  # measured 1.50: the softmax weights depend on x
    v1, v2 = randn(2, 1, T, D, seed=11)  # queries and keys fixed: the weights are fixed
    assert_close(f(x, x, v1 + 3 * v2), f(x, x, v1) + 3 * f(x, x, v2))
