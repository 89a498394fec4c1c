"""Claims about cross-attention (questions/encoder-decoder/cross-attention.yaml).

Each check is named as the claim reads. The module under test is `impl.CrossAttention`
with seeded weights and biases of scale 1/√D (like nn.Linear's default init, so the scores
stay moderate), fed seeded standard-normal inputs, in float64. The oracles are
PyTorch's own `nn.TransformerDecoderLayer` / `nn.TransformerDecoder` and
`F.scaled_dot_product_attention`; the last two checks state facts of PyTorch's standard
decoder and take no `impl`. The module's W_Q, W_K, W_V (separate or fused) and its mask
format are reached through checks/capabilities.py.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from checks import capabilities as caps
from checks.modules import copy_attention_weights
from checks.strategies import randn, seeds, sizes


@dataclass(frozen=True)
class Dims:
    B: int
    T: int
    S: int
    H: int
    Dk: int
    seed: int

    @property
    def D(self) -> int:
        return self.H * self.Dk


@st.composite
def dims(draw, distinct: bool = False, min_s: int = 1, min_d: int = 1, B: int | None = None):
    """Small sizes: T decoder positions, S encoder positions (T != S if `distinct`), D = H * Dk >= min_d."""
    T = draw(sizes, label="T")
    S = draw(st.sampled_from([s for s in range(min_s, 6) if not (distinct and s == T)]), label="S")
    H = draw(st.integers(1, 3), label="H")
    Dk = draw(st.integers(1 if H >= min_d else 2, 3), label="Dk")
    B = B if B is not None else draw(st.integers(1, 2), label="B")
    return Dims(B, T, S, H, Dk, draw(seeds, label="seed"))


def _module(impl, d: Dims):
    """impl.CrossAttention(D, H) in float64 with seeded weights and biases of scale 1/√D."""
    m = impl.CrossAttention(d.D, d.H).to(torch.float64)
    with torch.no_grad():
        for i, lin in enumerate(caps.linears(m)):
            lin.weight.copy_(randn(d.D, d.D, seed=d.seed + i) / math.sqrt(d.D))
            lin.bias.copy_(randn(d.D, seed=d.seed + 10 + i) / math.sqrt(d.D))
    return m


def _wq(m):
    return caps.projections(m)[0]


def _wk(m):
    return caps.projections(m)[1]


def _wv(m):
    return caps.projections(m)[2]


def _masked(m, x, memory, mask):
    """m(x, memory, mask) with the check's bool mask in the module's declared format."""
    caps.require(m, "a mask")
    return m(x, memory, caps.module_mask(m, mask, x.dtype))


def _inputs(d: Dims):
    """Decoder states x [B, T, D] and encoder output memory [B, S, D]."""
    return randn(d.B, d.T, d.D, seed=d.seed + 20), randn(d.B, d.S, d.D, seed=d.seed + 21)


def _split(x, H):  # [B, N, D] -> [B, H, N, Dk], written out here rather than taken from impl
    B, N, D = x.shape
    return x.view(B, N, H, D // H).transpose(1, 2)


def _merge(x):  # [B, H, N, Dk] -> [B, N, H * Dk]
    B, H, N, Dk = x.shape
    return x.transpose(1, 2).reshape(B, N, H * Dk)


def _moved(a, b) -> float:
    return (a - b).abs().max().item()


# A perturbation that must move the output: measured minimum movement over 2,000 examples
# 9e-5 (memory through the keys only), 1.9e-4 (x through the queries), 2.5e-3 (memory through
# the values only); 1e-8 is far below those and far above float64 rounding (~1e-15).
MOVED = 1e-8


@given(dims(distinct=True))
def test_weights_are_t_by_s_and_the_output_has_one_row_per_decoder_position(impl, d):
    m, (x, memory) = _module(impl, d), _inputs(d)
    out = m(x, memory)
    assert out.shape == (d.B, d.T, d.D), f"output {tuple(out.shape)}, expected [B, T, D] = {(d.B, d.T, d.D)}"
    q = _split(_wq(m)(x), d.H)  # [B, H, T, Dk]: queries from the decoder
    k = _split(_wk(m)(memory), d.H)  # [B, H, S, Dk]: keys from the encoder
    v = _split(_wv(m)(memory), d.H)  # [B, H, S, Dk]: values from the encoder
    w = impl.attention_weights(q, k)
    assert w.shape == (d.B, d.H, d.T, d.S), f"weights {tuple(w.shape)}, expected [B, H, T, S]"
    assert_close(out, m.out_proj(_merge(w @ v)))  # and they are the weights the module uses


@given(dims(min_s=2, min_d=2), st.data())
def test_decoder_states_enter_only_through_the_queries(impl, d, data):
    m, (x, memory) = _module(impl, d), _inputs(d)
    j = data.draw(st.integers(0, d.D - 1), label="feature")
    with torch.no_grad():
        _wq(m).weight[:, j] = 0  # the queries no longer see feature j of x
    x_j = x.clone()
    x_j[..., j] += 3 * randn(d.B, d.T, seed=d.seed + 30)
    assert_close(m(x_j, memory), m(x, memory))  # so nothing else does either
    x_other = x.clone()
    x_other[..., (j + 1) % d.D] += 3 * randn(d.B, d.T, seed=d.seed + 31)
    assert _moved(m(x_other, memory), m(x, memory)) > MOVED, "the output ignores the decoder states"


@given(dims(min_s=2, min_d=2), st.data())
def test_encoder_output_enters_only_through_the_keys_and_the_values(impl, d, data):
    m, (x, memory) = _module(impl, d), _inputs(d)
    j = data.draw(st.integers(0, d.D - 1), label="feature")
    memory_j = memory.clone()
    memory_j[..., j] += 3 * randn(d.B, d.S, seed=d.seed + 30)
    k_weight, v_weight = _wk(m).weight.detach().clone(), _wv(m).weight.detach().clone()

    def moved(blind_keys: bool, blind_values: bool) -> float:
        with torch.no_grad():
            _wk(m).weight.copy_(k_weight)
            _wv(m).weight.copy_(v_weight)
            if blind_keys:
                _wk(m).weight[:, j] = 0
            if blind_values:
                _wv(m).weight[:, j] = 0
        return _moved(m(x, memory_j), m(x, memory))

    assert moved(True, True) < 1e-12, "memory reaches the output other than through k_proj and v_proj"
    assert moved(True, False) > MOVED, "the values are not computed from memory"
    assert moved(False, True) > MOVED, "the keys are not computed from memory"


@given(dims())
def test_keys_and_values_of_the_memory_computed_once_serve_every_decoding_step(impl, d):
    m, (x, memory) = _module(impl, d), _inputs(d)
    k = _split(_wk(m)(memory), d.H)  # computed once per source sequence: the cache
    v = _split(_wv(m)(memory), d.H)
    for t in range(d.T):
        step = m(x[:, : t + 1], memory)[:, -1]  # decoding step t, recomputing everything
        q = _split(_wq(m)(x[:, t : t + 1]), d.H)  # only the new position's query
        cached = m.out_proj(_merge(F.scaled_dot_product_attention(q, k, v)))[:, 0]
        assert_close(step, cached)


@given(dims(), st.data())
def test_reordering_the_encoder_positions_leaves_the_output_unchanged(impl, d, data):
    m, (x, memory) = _module(impl, d), _inputs(d)
    perm = torch.tensor(data.draw(st.permutations(range(d.S)), label="perm"))
    assert_close(m(x, memory[:, perm]), m(x, memory))


@given(dims(B=1))
def test_every_decoder_position_can_attend_to_every_encoder_position(impl, d):
    m, (x, memory) = _module(impl, d), _inputs(d)
    jac = torch.autograd.functional.jacobian(lambda mem: m(x, mem), memory, vectorize=True)  # [1, T, D, 1, S, D]
    influence = jac[0, :, :, 0].pow(2).sum(dim=(1, 3)).sqrt()  # [T, S]: ‖∂out_t / ∂memory_s‖
    # A masked pair gets weight exp(-inf) = 0 and a block of exact zeros; an allowed pair never
    # does, though a near-saturated softmax can make it tiny (measured minimum over 2,000
    # examples: 1e-9, from a weight of 3e-10). So the test is > 0, not > some threshold.
    assert (influence > 0).all(), f"some decoder positions cannot see some encoder positions:\n{influence}"


@given(dims(), st.data())
def test_padded_encoder_positions_do_not_affect_the_output(impl, d, data):
    m, (x, memory) = _module(impl, d), _inputs(d)
    is_pad = torch.tensor(data.draw(st.lists(st.lists(st.booleans(), min_size=d.S, max_size=d.S),
                                             min_size=d.B, max_size=d.B), label="is_pad"))
    is_pad[:, 0] = False  # every source keeps at least one real token
    mask = ~is_pad[:, None, :]  # [B, 1, S], True = a real token that may be attended to
    noise = 10 * randn(d.B, d.S, d.D, seed=d.seed + 40)
    memory_new = torch.where(is_pad[..., None], noise, memory)  # new contents at the padding only
    assert_close(_masked(m, x, memory_new, mask), _masked(m, x, memory, mask))


@given(dims(), st.data())
def test_cross_attention_matches_torch_transformer_decoder_layer(impl, d, data):
    m, (x, memory) = _module(impl, d), _inputs(d)
    scale = data.draw(st.sampled_from([1.0, 30.0]), label="scale")  # 30: scores past exp()'s overflow
    x, memory = scale * x, scale * memory
    is_pad = torch.tensor(data.draw(st.lists(st.lists(st.booleans(), min_size=d.S, max_size=d.S),
                                             min_size=d.B, max_size=d.B), label="is_pad"))
    is_pad[:, 0] = False
    layer = nn.TransformerDecoderLayer(d.D, d.H, dim_feedforward=4, dropout=0.0, batch_first=True,
                                       dtype=torch.float64)
    mha = copy_attention_weights(m, layer.multihead_attn)  # the decoder layer's cross-attention
    expected, expected_weights = mha(x, memory, memory, key_padding_mask=is_pad,  # True = ignore
                                     need_weights=True, average_attn_weights=False)  # [B, H, T, S]
    mask = ~is_pad[:, None, :]
    assert_close(_masked(m, x, memory, mask), expected)
    q, k = _split(_wq(m)(x), d.H), _split(_wk(m)(memory), d.H)
    assert_close(impl.attention_weights(q, k, mask[:, None]), expected_weights)


@given(dims())
def test_cross_attention_is_multi_head_attention_and_with_memory_equal_to_x_it_is_self_attention(impl, d):
    m, (x, memory) = _module(impl, d), _inputs(d)
    mha = impl.MultiHeadAttention(d.D, d.H).to(torch.float64)
    caps.require(mha, "cross inputs")
    with torch.no_grad():
        for theirs, mine in zip(caps.linears(mha), caps.linears(m)):  # W_Q, W_K, W_V, W_O
            theirs.weight.copy_(mine.weight)
            theirs.bias.copy_(mine.bias)
    assert_close(m(x, memory), caps.attend(mha, x, memory, memory))
    assert_close(m(x, x), caps.attend(mha, x, x, x))


@given(dims())
def test_each_head_returns_a_weighted_average_of_the_encoder_value_vectors(impl, d):
    m, (x, memory) = _module(impl, d), _inputs(d)
    with torch.no_grad():  # W_O = identity: the output is the concatenated heads themselves
        m.out_proj.weight.copy_(torch.eye(d.D, dtype=torch.float64))
        m.out_proj.bias.zero_()
    heads = _split(m(x, memory), d.H)  # [B, H, T, Dk]
    v = _split(_wv(m)(memory), d.H)  # [B, H, S, Dk]: the encoder's value vectors, per head
    lo, hi = v.min(dim=-2, keepdim=True).values, v.max(dim=-2, keepdim=True).values
    slack = 1e-12 * (1 + v.abs().max())  # float64 rounding of a weighted sum of <= 5 terms
    assert ((lo - slack <= heads) & (heads <= hi + slack)).all(), "a head's output leaves the range of the values"


@given(seeds, st.floats(0, 2 * math.pi), st.data())
def test_queries_can_read_back_every_encoder_position_so_the_source_is_not_squeezed_into_one_vector(
        impl, seed, phase, data):
    # S = 8 encoder states in D = 2 dimensions hold 16 numbers; one context vector holds 2.
    S, D, c = 8, 2, 300.0
    angles = phase + 2 * math.pi * torch.arange(S, dtype=torch.float64) / S
    memory = torch.stack([angles.cos(), angles.sin()], dim=-1)[None]  # [1, S, D] on the unit circle
    m = impl.CrossAttention(D, 1).to(torch.float64)
    with torch.no_grad():
        for lin, weight in [(_wq(m), c * torch.eye(D)), (_wk(m), torch.eye(D)),
                            (_wv(m), randn(D, D, seed=seed)), (m.out_proj, torch.eye(D))]:
            lin.weight.copy_(weight)
            lin.bias.zero_()
    order = data.draw(st.permutations(range(S)), label="order")
    x = memory[:, order]  # decoder position t asks for encoder position order[t]
    # score gap to the runner-up: c (1 - cos 45°) / √2 = 62, so the runner-up's weight is e^-62
    assert_close(m(x, memory), _wv(m)(memory)[:, order])


def test_every_decoder_layer_reads_the_same_memory_and_projects_it_with_its_own_weights():
    L, D, H = 3, 8, 2
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, H, dim_feedforward=16, dropout=0.0,
                                                               batch_first=True, dtype=torch.float64), L)
    seen = []
    for layer in decoder.layers:
        layer.multihead_attn.register_forward_pre_hook(lambda mod, args, kwargs: seen.append(args),
                                                       with_kwargs=True)
    tgt, memory = randn(2, 4, D, seed=0), randn(2, 6, D, seed=1)
    decoder(tgt, memory)
    assert len(seen) == L, f"{len(seen)} cross-attention calls for {L} layers"
    for i, (query, key, value) in enumerate(seen):  # the raw encoder output, not shared keys/values
        assert key is memory and value is memory, f"layer {i} does not read the encoder output itself"
    weights = [layer.multihead_attn.in_proj_weight for layer in decoder.layers]
    assert len({w.data_ptr() for w in weights}) == L, "decoder layers share their W_Q, W_K, W_V"
    per_layer = sum(p.numel() for p in decoder.layers[0].parameters())
    assert sum(p.numel() for p in decoder.parameters()) == L * per_layer  # no parameter is shared


def test_in_a_decoder_layer_the_queries_are_the_output_of_the_masked_self_attention_sublayer():
    D, H, T = 8, 2, 5
    layer = nn.TransformerDecoderLayer(D, H, dim_feedforward=16, dropout=0.0, batch_first=True,
                                       dtype=torch.float64)
    seen = []
    layer.multihead_attn.register_forward_pre_hook(lambda mod, args, kwargs: seen.append((args, kwargs)),
                                                   with_kwargs=True)
    tgt, memory = randn(2, T, D, seed=0), randn(2, 6, D, seed=1)
    causal = nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)
    layer(tgt, memory, tgt_mask=causal, tgt_is_causal=True)
    (query, key, value), kwargs = seen[0]
    after_self_attention = layer.norm1(tgt + layer.self_attn(tgt, tgt, tgt, attn_mask=causal)[0])
    assert_close(query, after_self_attention, msg="the queries are not the self-attention sub-layer's output")
    assert key is memory and value is memory, "the keys and values are not the encoder output"
    assert kwargs["attn_mask"] is None, "the causal mask must stay in the self-attention"
