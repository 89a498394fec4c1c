"""Claims about KV-cache decoding (questions/efficiency/kv-cache.yaml).

Oracles: the full causal forward of the same module (`attn(x, causal mask)`), which the
cached decode must reproduce to 1e-12 in float64; PyTorch's own lower-right causal mask
(`torch.nn.attention.bias.causal_lower_right`) and `F.scaled_dot_product_attention(is_causal=True)`.
Sizes come from the cache's own tensors (`numel() * element_size()`); the LLaMA-2-7B figure from
its 32 attention layers built on the `meta` device (shapes, no memory); FLOPs from
`FlopCounterMode` inside the MATH attention backend (2 per multiply-add; softmax, scaling and
other elementwise work are not counted).
"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.testing import assert_close
from torch.utils.flop_counter import FlopCounterMode

from checks import capabilities as caps
from checks.modules import decode_in_chunks
from checks.strategies import randn, seeds

configs = st.sampled_from([(8, 2, 2), (8, 4, 2), (12, 6, 3), (8, 4, 1), (6, 1, 1)])  # (D, H, Hkv)
rope_bases = st.sampled_from([None, 10000.0, 100.0])  # 100: decode_step must pass attn.rope_base on


def count_flops(fn, *args) -> int:
    with sdpa_kernel([SDPBackend.MATH]), FlopCounterMode(display=False) as counter, torch.no_grad():
        fn(*args)
    return counter.get_total_flops()


def nbytes(*tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def seeded_gqa(impl, D: int, H: int, Hkv: int, seed: int, rope_base=None):
    """impl.GroupedQueryAttention in float64, every weight drawn from N(0, 1/D), no biases (LLaMA)."""
    m = impl.GroupedQueryAttention(D, H, Hkv, rope_base=rope_base).double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) / D ** 0.5)
    return m


def full_causal_forward(attn, x):
    T = x.size(1)
    return caps.layer_call(attn, x, torch.ones(T, T, dtype=torch.bool).tril())  # the mask in attn's declared format


def torch_lower_right(T: int, S: int) -> torch.Tensor:
    """PyTorch's own lower-right causal mask, read through SDPA: with equal scores, query i puts
    weight 1/n on each of the n keys it may see, and 0 elsewhere (v = the identity). Imported here:
    torch.nn.attention.bias loads torch._dynamo (~1.4 s), which every collection would pay."""
    from torch.nn.attention.bias import causal_lower_right

    zeros = lambda n: torch.zeros(1, n, 1, dtype=torch.float64)
    eye = torch.eye(S, dtype=torch.float64)[None]
    return (F.scaled_dot_product_attention(zeros(T), zeros(S), eye, attn_mask=causal_lower_right(T, S)) > 0)[0]


@given(configs, st.integers(1, 7), rope_bases, seeds)
def test_decoding_one_position_at_a_time_with_the_cache_equals_the_full_causal_forward(impl, config, T, base, seed):
    D, H, Hkv = config
    attn, x = seeded_gqa(impl, D, H, Hkv, seed, base), randn(2, T, D, seed=seed)
    cache = impl.KVCache()
    steps = decode_in_chunks(impl.decode_step, attn, x, [1] * T, cache)
    assert_close(steps, full_causal_forward(attn, x), rtol=0, atol=1e-12,
                 msg=f"rope_base={base}: token-by-token decoding must equal the full causal forward")
    assert cache.seq_len == T, f"after {T} steps seq_len is {cache.seq_len}"
    # per layer and sequence: 2 (K and V) x T positions x the width of k_proj's output (Hkv * Dk)
    width = caps.projections(attn)[1].weight.size(0)
    assert cache.k.numel() + cache.v.numel() == 2 * 2 * T * width, (
        f"the cache holds {cache.k.numel() + cache.v.numel()} numbers for B=2, T={T}; expected 2·B·T·Hkv·Dk")


@given(configs, st.lists(st.integers(1, 4), min_size=1, max_size=4), rope_bases, seeds)
def test_prefilling_in_chunks_of_any_size_equals_the_full_causal_forward(impl, config, chunks, base, seed):
    D, H, Hkv = config
    T = sum(chunks)
    attn, x = seeded_gqa(impl, D, H, Hkv, seed, base), randn(2, T, D, seed=seed)
    assert_close(decode_in_chunks(impl.decode_step, attn, x, chunks, impl.KVCache()), full_causal_forward(attn, x),
                 rtol=0, atol=1e-12,
                 msg=f"decoding in chunks {chunks} must equal the full causal forward")


@given(st.integers(1, 6), st.integers(0, 6))
def test_the_lower_right_causal_mask_lets_query_i_of_a_chunk_see_every_key_up_to_its_own_position(impl, T, cached):
    S = T + cached
    got = impl.causal_mask_lower_right(T, S)
    expected = torch.tensor([[s <= cached + i for s in range(S)] for i in range(T)])
    assert torch.equal(got, expected), f"T={T} new queries after {cached} cached positions:\n{got.int()}\nexpected\n{expected.int()}"
    assert torch.equal(torch_lower_right(T, S), expected)


@pytest.mark.parametrize("T, S", [(2, 5), (3, 4), (1, 6)])
def test_torchs_is_causal_aligns_the_mask_top_left_so_a_chunk_after_a_cache_misses_its_past(T, S):
    q, k, v = randn(1, T, 4, seed=0), randn(1, S, 4, seed=1), randn(1, S, 3, seed=2)
    is_causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    top_left = torch.ones(T, S, dtype=torch.bool).tril()  # query i sees keys 0..i only
    lower_right = torch.ones(T, S, dtype=torch.bool).tril(diagonal=S - T)  # query i sees keys 0..S-T+i
    assert_close(is_causal, F.scaled_dot_product_attention(q, k, v, attn_mask=top_left))
    gap = (is_causal - F.scaled_dot_product_attention(q, k, v, attn_mask=lower_right)).abs().max()
    assert gap > 0.01, f"is_causal should differ from the lower-right mask when T={T} < S={S}: gap {gap}"


@pytest.mark.parametrize("H, Hkv", [(2, 2), (4, 1)])
def test_a_cached_step_costs_4d2_plus_4_hkv_dk_d_plus_4td_flops_per_attention_layer_against_8td2_plus_4t2d_to_recompute(impl, H, Hkv):
    D, n = 16, 10
    Dk = D // H
    attn, x, cache = seeded_gqa(impl, D, H, Hkv, 0), randn(1, n, D, seed=0), impl.KVCache()
    cached, recomputed = [], []
    for t in range(1, n + 1):
        cached.append(count_flops(impl.decode_step, attn, x[:, t - 1:t], cache))
        recomputed.append(count_flops(full_causal_forward, attn, x[:, :t]))
        # Q and O projections 4D², K and V 4·Hkv·Dk·D (8D² for multi-head), attention over t keys 4tD
        assert cached[-1] == 4 * D * D + 4 * Hkv * Dk * D + 4 * t * D, f"step {t}: {cached[-1]} FLOPs"
        assert recomputed[-1] == t * (4 * D * D + 4 * Hkv * Dk * D) + 4 * t * t * D, f"prefix {t}: {recomputed[-1]}"
    assert sum(cached) * 3 < sum(recomputed)  # O(nD² + n²D) against O(n²D² + n³D)


def test_with_a_4d_ffn_a_cached_decoder_layer_step_costs_24d2_plus_4td_flops(impl):
    D, H, n = 16, 4, 6
    attn, ffn, x, cache = seeded_gqa(impl, D, H, H, 0), impl.FeedForward(D, 4 * D).double(), randn(1, n, D, seed=0), impl.KVCache()
    for t in range(1, n + 1):
        x_t = x[:, t - 1:t]
        flops = count_flops(lambda x_t=x_t: ffn(impl.decode_step(attn, x_t, cache)))
        assert flops == 24 * D * D + 4 * t * D, f"step {t}: {flops} FLOPs"  # attention 8D² + 4tD, FFN 16D²


@pytest.mark.parametrize("T, S, D, H", [(6, 5, 8, 2), (1, 9, 4, 1), (3, 3, 16, 4)])
def test_cross_attention_costs_4td2_for_queries_and_output_plus_4sd2_for_memory_keys_values_plus_4tsd(impl, T, S, D, H):
    m = impl.CrossAttention(D, H).double()
    flops = count_flops(m, randn(1, T, D, seed=0), randn(1, S, D, seed=1))
    assert flops == 4 * T * D * D + 4 * S * D * D + 4 * T * S * D, f"{flops} FLOPs"


def llama_2_7b_attention_layers(impl):
    """The 32 attention layers of LLaMA-2-7B (d_model 4096, 32 heads of 128, no GQA, RoPE) in
    float16 on the meta device: shapes only, no memory."""
    with torch.device("meta"):
        return [impl.GroupedQueryAttention(4096, 32, 32, rope_base=10000.0).half() for _ in range(32)]


def test_the_cache_of_llama_2_7b_takes_half_a_mebibyte_per_token_in_float16(impl):
    layers = llama_2_7b_attention_layers(impl)
    caches = [impl.KVCache() for _ in layers]
    x = torch.empty(1, 1, 4096, dtype=torch.float16, device="meta")  # one token
    for attn, cache in zip(layers, caches):
        impl.decode_step(attn, x, cache)
    per_token = sum(nbytes(c.k, c.v) for c in caches)
    assert per_token == 2 ** 19, f"{per_token} bytes per token"  # 0.5 MiB: 32 layers · 2 · 4096 numbers · 2 bytes
    assert per_token * 4096 == 2 * 2 ** 30  # a full 4k-token context: 2 GiB per sequence


def arithmetic_intensity(impl, attn, cached: int, B: int, T: int) -> float:
    """FLOPs of one decode_step of T new positions per sequence, over the bytes it must read at
    least once: every weight, and the cached keys and values (the new ones included)."""
    cache = impl.KVCache()
    D = attn.out_proj.weight.size(0)
    if cached:
        impl.decode_step(attn, torch.empty(B, cached, D, dtype=torch.float16, device="meta"), cache)
    flops = count_flops(impl.decode_step, attn, torch.empty(B, T, D, dtype=torch.float16, device="meta"), cache)
    return flops / (nbytes(*attn.parameters()) + nbytes(cache.k, cache.v))


def test_a_decode_step_does_about_one_flop_per_byte_read_at_batch_1_so_it_is_memory_bound(impl):
    attn = llama_2_7b_attention_layers(impl)[0]
    one = arithmetic_intensity(impl, attn, cached=4095, B=1, T=1)
    assert 0.99 < one < 1.01, f"{one:.4f} FLOP/byte"  # 2 FLOPs per weight or cached number read, 2 bytes each
    eight = arithmetic_intensity(impl, attn, cached=4095, B=8, T=1)
    assert 2 < eight < 8, f"{eight:.2f} FLOP/byte"  # batching reuses the weights, not the per-sequence caches
    prefill = arithmetic_intensity(impl, attn, cached=0, B=1, T=512)
    assert prefill > 300, f"{prefill:.0f} FLOP/byte"  # a 512-token prompt reuses every weight 512 times
