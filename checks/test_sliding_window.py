"""Claims about sliding-window attention and the rolling KV cache (questions/efficiency/sliding-window-attention.yaml).

Oracles: the module's own full forward under the band mask (`attn(x, sliding_window_mask)`),
which decoding with the rolling cache must reproduce to 1e-12 in float64; `F.scaled_dot_product_attention`
over each query's own slice of keys; the definition of the window written out (t - w < s <= t).
Cache sizes come from the cache's tensors; FLOPs from `FlopCounterMode` (MATH attention backend).
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
from checks.strategies import randn, seeds

configs = st.sampled_from([(8, 2, 2), (8, 4, 2), (8, 4, 1)])  # (D, H, Hkv)


def count_flops(fn, *args) -> int:
    with sdpa_kernel([SDPBackend.MATH]), FlopCounterMode(display=False) as counter, torch.no_grad():
        fn(*args)
    return counter.get_total_flops()


def seeded_gqa(impl, D: int, H: int, Hkv: int, seed: int, rope_base=None):
    """impl.GroupedQueryAttention in float64, every weight drawn from N(0, 1/D), no biases."""
    m = impl.GroupedQueryAttention(D, H, Hkv, rope_base=rope_base).double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) / D ** 0.5)
    return m


@given(st.integers(1, 9), st.integers(1, 6))
def test_the_window_lets_position_t_see_itself_and_the_w_minus_1_positions_before_it(impl, T, w):
    got = impl.sliding_window_mask(T, w)
    expected = torch.tensor([[t - w < s <= t for s in range(T)] for t in range(T)])
    assert torch.equal(got, expected), f"T={T}, window={w}:\n{got.int()}\nexpected (t - w < s <= t)\n{expected.int()}"


@given(st.integers(1, 10), st.integers(1, 5), seeds)
def test_band_masked_attention_equals_attention_over_each_querys_own_slice_of_keys(impl, T, w, seed):
    q, k, v = 3 * randn(1, T, 4, seed=seed), 3 * randn(1, T, 4, seed=seed + 1), randn(1, T, 2, seed=seed + 2)
    out = impl.scaled_dot_product_attention(q, k, v, impl.sliding_window_mask(T, w))
    for t in range(T):
        lo = max(0, t - w + 1)
        assert_close(out[:, t], F.scaled_dot_product_attention(q[:, t:t + 1], k[:, lo:t + 1], v[:, lo:t + 1])[:, 0],
                     msg=f"query {t} must attend to keys {lo}..{t} only (window {w})")


# windows from 2: a window of 1 (each position sees only itself) needs no cache, and transformers'
# rolling layer, which keeps `window - 1` positions, slices [-0:] there and keeps everything
@given(configs, st.integers(1, 12), st.integers(2, 5), st.sampled_from([None, 10000.0]), seeds)
def test_decoding_with_a_rolling_cache_equals_band_masked_attention_and_the_cache_never_outgrows_the_window(
        impl, config, T, w, base, seed):
    D, H, Hkv = config
    attn, x, cache = seeded_gqa(impl, D, H, Hkv, seed, base), randn(2, T, D, seed=seed), impl.RollingKVCache(w)
    steps = []
    for t in range(T):
        steps.append(impl.decode_step(attn, x[:, t:t + 1], cache))
        held = cache.k.size(-2)
        assert held <= w and cache.v.size(-2) == held, f"after {t + 1} steps the cache holds {held} > window {w} positions"
        assert cache.seq_len == t + 1, f"seq_len {cache.seq_len} after {t + 1} steps (RoPE positions depend on it)"
    assert_close(torch.cat(steps, dim=1), caps.layer_call(attn, x, impl.sliding_window_mask(T, w)), rtol=0, atol=1e-12,
                 msg=f"window {w}, rope_base={base}: rolling-cache decoding must equal attention under the band mask")


def test_a_band_mask_saves_no_flops_masked_full_attention_still_scores_every_pair():
    T, D, w = 32, 8, 4
    q, k, v = randn(1, T, D, seed=0), randn(1, T, D, seed=1), randn(1, T, D, seed=2)
    t, s = torch.arange(T)[:, None], torch.arange(T)[None, :]
    band = (s <= t) & (s > t - w)  # w keys per query: 4·T·w·D FLOPs would do
    dense = count_flops(F.scaled_dot_product_attention, q, k, v)
    assert count_flops(lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=band)) == dense == 4 * T * T * D


@pytest.mark.parametrize("w", [2, 4, 8])
def test_with_the_rolling_cache_each_query_scores_at_most_w_keys_so_the_flops_grow_linearly_in_t(impl, w):
    D, H = 8, 2
    attn, cache = seeded_gqa(impl, D, H, H, 0), impl.RollingKVCache(w)
    x = randn(1, 40, D, seed=0)
    flops = [count_flops(impl.decode_step, attn, x[:, t:t + 1], cache) for t in range(40)]
    for t, f in enumerate(flops):
        assert f == 8 * D * D + 4 * min(t + 1, w) * D, f"step {t}: {f} FLOPs"  # projections + min(t+1, w) keys
    assert len(set(flops[w:])) == 1  # once the window is full, every step costs the same


@pytest.mark.parametrize("layers, w", [(1, 3), (2, 3), (3, 3), (2, 5)])
def test_stacked_windowed_layers_see_l_times_w_minus_1_positions_back(impl, layers, w):
    D, H, T = 4, 1, 16
    stack = [seeded_gqa(impl, D, H, H, seed) for seed in range(layers)]
    mask = impl.sliding_window_mask(T, w)

    def forward(x):
        for attn in stack:
            x = caps.layer_call(attn, x, mask)  # the mask in attn's declared format
        return x

    x = randn(1, T, D, seed=0)
    jac = torch.autograd.functional.jacobian(forward, x)[0, :, :, 0]  # [T, D, T, D]
    reach = jac.abs().sum(dim=(1, 3)) > 0  # [t, s]: does output t depend on input s?
    t, s = torch.arange(T)[:, None], torch.arange(T)[None, :]
    expected = (s <= t) & (t - s <= layers * (w - 1))
    assert torch.equal(reach, expected), (
        f"{layers} layers of window {w}: output t should depend on inputs t - {layers * (w - 1)} .. t, got\n{reach.int()}")


@given(st.integers(3, 10), st.integers(1, 2), seeds)
def test_windowed_attention_is_a_different_function_from_full_causal_attention_not_an_exact_shortcut(impl, T, w, seed):
    q, k, v = randn(1, T, 4, seed=seed), randn(1, T, 4, seed=seed + 1), randn(1, T, 2, seed=seed + 2)
    windowed = impl.scaled_dot_product_attention(q, k, v, impl.sliding_window_mask(T, w))
    full = impl.scaled_dot_product_attention(q, k, v, torch.ones(T, T, dtype=torch.bool).tril())
    assert_close(windowed[:, :w], full[:, :w])  # the first w positions see their whole past anyway
    gap = (windowed[:, w:] - full[:, w:]).abs().max().item()
    assert gap > 1e-3, f"window {w} over {T} positions changed the outputs by only {gap:.3g}"
