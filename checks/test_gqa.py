"""Claims about multi-query and grouped-query attention (questions/multi-head/multi-query-and-grouped-query-attention.yaml).

Oracles: PyTorch's own `F.scaled_dot_product_attention` (with `enable_gqa=True`, and on K/V
heads repeated with `repeat_interleave`) and `nn.MultiheadAttention` carrying the module's
weights (checks/modules.py). Sizes are read from real tensors (`numel() * element_size()`),
and the LLaMA-2-70B figures from its attention layers built on the `meta` device (shapes only,
no memory). FLOPs are counted by `FlopCounterMode` inside the MATH attention backend.
Shape letters as in the contract; Hkv = key/value heads, G = H / Hkv query heads per group.
"""

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
from checks.modules import copy_attention_weights
from checks.strategies import masks, randn, seeds

# (H, Hkv): multi-head, grouped with 2 and 3 query heads per group, multi-query
head_counts = st.sampled_from([(1, 1), (2, 2), (4, 2), (6, 2), (6, 3), (4, 1), (8, 4)])


def count_flops(fn, *args) -> int:
    with sdpa_kernel([SDPBackend.MATH]), FlopCounterMode(display=False) as counter, torch.no_grad():
        fn(*args)
    return counter.get_total_flops()


def nbytes(*tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def seeded_gqa(impl, D: int, H: int, Hkv: int, seed: int, bias: bool = True, rope_base=None):
    """impl.GroupedQueryAttention in float64 with every weight (and bias) drawn from N(0, 1/D)."""
    m = impl.GroupedQueryAttention(D, H, Hkv, bias=bias, rope_base=rope_base).double()
    projections = caps.linears(m)  # W_Q, W_K, W_V (separate or fused), W_O
    assert all((lin.bias is not None) == bias for lin in projections), f"bias={bias} must hold for all four projections"
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) / D ** 0.5)
    return m


def kv_weights_as_heads(lin, Hkv: int, Dk: int, D: int):
    """The [Hkv * Dk, D] weight of k_proj or v_proj, checked for its shape first."""
    assert lin.weight.shape == (Hkv * Dk, D), (
        f"k_proj/v_proj must map D={D} to Hkv*Dk = {Hkv}*{Dk} features, got weight {tuple(lin.weight.shape)}")
    return lin.weight


@given(head_counts, st.integers(1, 5), st.integers(1, 5), st.sampled_from([1, 2, 4]), seeds, st.data())
def test_grouped_query_attention_equals_torch_sdpa_with_enable_gqa(impl, heads, T, S, Dk, seed, data):
    H, Hkv = heads
    q, k, v = 3 * randn(2, H, T, Dk, seed=seed), 3 * randn(2, Hkv, S, Dk, seed=seed + 1), randn(2, Hkv, S, 3, seed=seed + 2)
    mask = data.draw(masks((2, 1, T, S)))
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True)
    assert_close(impl.grouped_query_attention(q, k, v, mask), expected,
                 msg=f"H={H}, Hkv={Hkv}: query head h must read key/value head h // (H/Hkv), as enable_gqa does")
    # the same as repeating each K/V head H/Hkv times in place (0,0,1,1,...), not cycling them (0,1,0,1,...)
    G = H // Hkv
    assert_close(expected, F.scaled_dot_product_attention(q, k.repeat_interleave(G, 1), v.repeat_interleave(G, 1),
                                                          attn_mask=mask))


@given(st.sampled_from([(4, 1), (4, 2), (8, 4), (2, 2)]), st.integers(1, 5), seeds, st.data())
def test_with_as_many_kv_heads_as_query_heads_the_module_is_multi_head_attention(impl, DH, T, seed, data):
    D, H = DH
    gqa = seeded_gqa(impl, D, H, H, seed)  # biases on, to compare with nn.MultiheadAttention's
    torch_mha = copy_attention_weights(gqa, nn.MultiheadAttention(D, H, batch_first=True, dtype=torch.float64))
    x, mask = randn(2, T, D, seed=seed), caps.under_regime(gqa, data.draw(masks((2, T, T))))  # & causal if causal-only
    expected, _ = torch_mha(x, x, x, attn_mask=~mask.repeat_interleave(H, 0), need_weights=False)  # True = blocked
    assert_close(caps.layer_call(gqa, x, mask), expected, msg=f"Hkv = H = {H}: grouped-query attention must be plain multi-head attention")


@given(head_counts, st.integers(1, 5), st.booleans(), seeds)
def test_the_module_equals_multi_head_attention_with_each_kv_head_repeated_for_its_group(impl, heads, T, bias, seed):
    H, Hkv = heads
    Dk, G = 2, H // Hkv
    D = H * Dk
    gqa = seeded_gqa(impl, D, H, Hkv, seed, bias=bias)
    mha = nn.MultiheadAttention(D, H, batch_first=True, bias=bias, dtype=torch.float64)
    with torch.no_grad():  # K/V head j becomes heads j*G .. j*G + G - 1 of a full multi-head layer
        p_q, p_k, p_v = caps.projections(gqa)
        w_k, w_v = (kv_weights_as_heads(p, Hkv, Dk, D) for p in (p_k, p_v))
        repeat = lambda w: w.reshape(Hkv, Dk, *w.shape[1:]).repeat_interleave(G, 0).reshape(H * Dk, *w.shape[1:])
        mha.in_proj_weight.copy_(torch.cat([p_q.weight, repeat(w_k), repeat(w_v)]))
        mha.out_proj.weight.copy_(gqa.out_proj.weight)
        if bias:
            mha.in_proj_bias.copy_(torch.cat([p_q.bias, repeat(p_k.bias), repeat(p_v.bias)]))
            mha.out_proj.bias.copy_(gqa.out_proj.bias)
    x = 2 * randn(2, T, D, seed=seed)
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    expected, _ = mha(x, x, x, attn_mask=~causal, need_weights=False)
    assert_close(caps.layer_call(gqa, x, causal), expected,
                 msg=f"H={H}, Hkv={Hkv}: query head h must share key/value head h // {G} (repeat_interleave)")


def test_by_default_no_projection_has_a_bias_as_in_llama(impl):
    m = impl.GroupedQueryAttention(16, 4, 2)  # bias not given
    with_bias = [name for name, p in m.named_parameters() if name.endswith("bias")]
    assert not with_bias, f"GroupedQueryAttention(16, 4, 2) has biases {with_bias}; the contract's default is bias=False (LLaMA)"


@pytest.mark.parametrize("D, H, Hkv", [(64, 8, 8), (64, 8, 2), (64, 8, 1), (96, 12, 4)])
def test_kv_projection_parameters_shrink_by_h_over_hkv_and_nothing_else_changes(impl, D, H, Hkv):
    mha, gqa = impl.GroupedQueryAttention(D, H, H), impl.GroupedQueryAttention(D, H, Hkv)
    kv = lambda m: nbytes(*caps.projections(m)[1].parameters(), *caps.projections(m)[2].parameters())
    rest = lambda m: nbytes(*caps.projections(m)[0].parameters(), *m.out_proj.parameters())
    assert kv(gqa) * H == kv(mha) * Hkv, f"K/V projection bytes {kv(gqa)} vs {kv(mha)}: expected a ratio of {Hkv}/{H}"
    assert rest(gqa) == rest(mha) and kv(gqa) > 0
    assert nbytes(*mha.parameters()) - nbytes(*gqa.parameters()) == kv(mha) - kv(gqa)


@pytest.mark.parametrize("H, Hkv", [(4, 4), (4, 2), (4, 1), (6, 3)])
def test_the_kv_cache_shrinks_by_h_over_hkv(impl, H, Hkv):
    D, T = 24, 5
    x = randn(2, T, D, seed=H + Hkv)
    size = {}
    for kv_heads in (H, Hkv):
        attn, cache = seeded_gqa(impl, D, H, kv_heads, 0, bias=False), impl.KVCache()
        for t in range(T):
            impl.decode_step(attn, x[:, t:t + 1], cache)
        size[kv_heads] = nbytes(cache.k, cache.v)
    assert size[Hkv] * H == size[H] * Hkv, f"cache bytes {size}: expected a ratio of {H}/{Hkv}"


@pytest.mark.parametrize("H, Hkv", [(4, 4), (4, 2), (8, 1)])
def test_grouping_leaves_the_attention_flops_unchanged_only_the_kv_projections_shrink(impl, H, Hkv):
    D, T = 32, 6
    Dk = D // H
    q, k, v = randn(1, H, T, Dk, seed=0), randn(1, Hkv, T, Dk, seed=1), randn(1, Hkv, T, Dk, seed=2)
    assert count_flops(impl.grouped_query_attention, q, k, v) == 4 * H * T * T * Dk  # as if every head had its own K, V
    flops = count_flops(seeded_gqa(impl, D, H, Hkv, 0, bias=False), randn(1, T, D, seed=3))
    projections = 2 * T * D * (2 * D + 2 * Hkv * Dk)  # Q and O at full width, K and V at Hkv * Dk
    assert flops == projections + 4 * H * T * T * Dk, f"{flops} FLOPs"


@given(st.sampled_from([(8, 4, 2), (8, 2, 1), (12, 3, 3)]), st.integers(2, 6), st.sampled_from([10000.0, 100.0]), seeds)
def test_with_rope_the_module_rotates_queries_and_keys_after_projecting_them_and_leaves_values_alone(impl, sizes, T, base, seed):
    D, H, Hkv = sizes
    Dk = D // H
    gqa, x = seeded_gqa(impl, D, H, Hkv, seed, bias=False, rope_base=base), randn(2, T, D, seed=seed)
    pos = torch.arange(T)
    heads = lambda y, n: y.view(2, T, n, Dk).transpose(1, 2)
    w_q, w_k, w_v = caps.projections(gqa)  # separate or fused
    q = impl.apply_rope(heads(w_q(x), H), pos, base)
    k = impl.apply_rope(heads(w_k(x), Hkv), pos, base)
    v = heads(w_v(x), Hkv)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
    expected = gqa.out_proj(out.transpose(1, 2).reshape(2, T, D))
    assert_close(caps.layer_call(gqa, x, torch.ones(T, T, dtype=torch.bool).tril()), expected,
                 msg="with rope_base, q and k of every head are rotated after the projections (halves layout)")


def test_llama_2_70b_caches_1_34_gb_per_4k_token_sequence_against_10_7_gb_with_a_kv_head_per_query_head(impl):
    # LLaMA-2-70B: 80 layers, d_model 8192, 64 query heads, 8 key/value heads (Touvron et al. 2023)
    layers, D, H, Hkv, T = 80, 8192, 64, 8, 4096
    with torch.device("meta"):  # shapes only: no memory, no arithmetic
        model = [impl.GroupedQueryAttention(D, H, Hkv, rope_base=10000.0).half() for _ in range(layers)]
        as_mha = impl.GroupedQueryAttention(D, H, H, rope_base=10000.0).half()  # one layer, a K/V head per query head
        x = torch.empty(1, 1, D, dtype=torch.float16)  # one token
    caches = [impl.KVCache() for _ in model]
    for attn, cache in zip(model, caches):
        impl.decode_step(attn, x, cache)
    per_token = sum(nbytes(c.k, c.v) for c in caches)  # the cache grows by this much per token
    mha_cache = impl.KVCache()
    impl.decode_step(as_mha, x, mha_cache)
    mha_per_token = layers * nbytes(mha_cache.k, mha_cache.v)  # 80 identical layers
    assert per_token == layers * 2 * Hkv * (D // H) * x.element_size(), per_token  # 320 KiB per token
    assert per_token * T == 1_342_177_280, per_token  # 1.34 GB for one 4k-token sequence
    assert mha_per_token == per_token * H // Hkv  # 8x more as plain multi-head attention
    assert round(mha_per_token * T / 1e9, 1) == 10.7
