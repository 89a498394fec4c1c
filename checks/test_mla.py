"""Claims about multi-head latent attention (questions/multi-head/multi-head-latent-attention.yaml).

Oracles: `checks.oracles.mla.explicit_mla` (every head's keys and values materialised from the
module's weights, RoPE by rotation matrices, the attention by `F.scaled_dot_product_attention`),
which the module's forward and the absorbed, cached decoding must both reproduce in float64; the
rotation R_m = exp(m·A) (A skew-symmetric, RoPE's frequencies on its 2x2 blocks, by
`torch.linalg.matrix_exp`) for why absorption fails with RoPE on the up-projected keys. FLOPs come from `FlopCounterMode` (2 per multiply-add), cache sizes
from the cache's own tensors (`numel() * element_size()`) of a layer built on the `meta` device.
"""

import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.testing import assert_close
from torch.utils.flop_counter import FlopCounterMode

from checks.capabilities import causal
from checks.modules import decode_in_chunks
from checks.oracles.mla import explicit_mla
from checks.strategies import randn, seeds

# (D, H, C = d_latent, R = d_rope): with and without decoupled RoPE, one head or several, C < Dk and C > Dk
configs = st.sampled_from([(8, 2, 4, 2), (8, 2, 3, 0), (12, 3, 6, 4), (8, 4, 5, 2), (6, 1, 2, 2), (16, 4, 6, 4)])


def seeded_mla(impl, D: int, H: int, C: int, R: int, seed: int, rope_base: float | None = None):
    """impl.MultiHeadLatentAttention in float64, every weight drawn from N(0, 1/fan_in); the RoPE
    base given, or the module's default."""
    base = {} if rope_base is None else {"rope_base": rope_base}
    m = impl.MultiHeadLatentAttention(D, H, C, d_rope=R, **base).double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) / p.size(-1) ** 0.5)
    return m


bases = st.sampled_from([None, 100.0])  # the default (10000) or one where far fewer turns separate positions


@given(configs, st.integers(1, 6), st.booleans(), seeds, bases)
def test_mla_equals_attention_over_every_heads_up_projected_keys_and_values(impl, config, T, masked, seed, base):
    D, H, C, R = config
    m, x = seeded_mla(impl, D, H, C, R, seed, base), randn(2, T, D, seed=seed)
    mask = (randn(2, T, T, seed=seed + 1) > 0) | torch.eye(T, dtype=torch.bool) if masked else None
    with torch.no_grad():
        assert_close(m(x, mask), explicit_mla(m, x, mask), rtol=0, atol=1e-12,
                     msg=f"(D, H, d_latent, d_rope) = {config}: MLA must equal attention with keys "
                         "[k_up(c)_h ; RoPE(k_rope(x))] and values v_up(c)_h, scaled by 1/sqrt(Dk + d_rope)")


@given(configs, st.lists(st.integers(1, 3), min_size=1, max_size=4), seeds, bases)
def test_absorbed_decoding_from_the_latent_cache_equals_the_explicit_causal_forward(impl, config, chunks, seed, base):
    D, H, C, R = config
    T = sum(chunks)
    m, x, cache = seeded_mla(impl, D, H, C, R, seed, base), randn(2, T, D, seed=seed), impl.LatentKVCache()
    with torch.no_grad():
        got = decode_in_chunks(impl.mla_decode_step, m, x, chunks, cache)
        assert_close(got, explicit_mla(m, x, causal(T)), rtol=0, atol=1e-11,
                     msg=f"(D, H, d_latent, d_rope) = {config}, chunks {chunks}: absorbed decoding must "
                         "equal explicit MLA under the causal mask")
        assert cache.seq_len == T, f"after {T} positions seq_len is {cache.seq_len}"
        assert_close(cache.c, m.kv_down(x), rtol=0, atol=1e-12, msg="the cache must hold the latents kv_down(x)")


def decode_flops(impl, m, x, cached: int) -> int:
    """FLOPs of one mla_decode_step for the position after `cached` cached ones."""
    cache = impl.LatentKVCache()
    with torch.no_grad():
        impl.mla_decode_step(m, x[:, :cached], cache)
        with FlopCounterMode(display=False) as counter:
            impl.mla_decode_step(m, x[:, cached:cached + 1], cache)
    return counter.get_total_flops()


def test_an_absorbed_decode_step_costs_4_h_c_plus_2_h_r_flops_per_cached_token_never_up_projecting_the_cache(impl):
    D, H, C, R = 16, 4, 6, 4
    Dk = D // H
    m, x = seeded_mla(impl, D, H, C, R, 0), randn(1, 12, D, seed=0)
    flops = [decode_flops(impl, m, x, cached) for cached in (4, 8)]
    per_token = (flops[1] - flops[0]) // 4
    # per cached token and head: a score against its latent (2C) and its rope key (2R), and the
    # latent's share of the weighted sum (2C). Up-projecting it to a key and a value would add 4·C·Dk.
    # An implementation may also take the weighted sum of the rope keys (2R more per token and head):
    # still absorbed, so it is allowed; up-projecting the cache is not.
    absorbed = H * (4 * C + 2 * R)
    assert absorbed <= per_token <= absorbed + 2 * H * R, (
        f"each cached token adds {per_token} FLOPs to a decode step; absorbed MLA adds H·(4C + 2R) = {absorbed} "
        f"(up-projecting each cached latent to a key and a value alone costs 4·H·C·Dk = {4 * H * C * Dk}): "
        "fold W_UK into the query and apply W_UV after the weighted sum of latents")


def test_the_latent_cache_holds_d_latent_plus_d_rope_numbers_per_token_against_2_h_dk_for_multi_head(impl):
    # a DeepSeek-V2-Lite-shaped attention layer: d_model 2048, 16 heads of Dk = 128, d_c = 512,
    # d_rope = 64, float16 (the model uses bfloat16, also 2 bytes), on the meta device: shapes only
    D, H, C, R, S = 2048, 16, 512, 64, 10
    with torch.device("meta"):
        m = impl.MultiHeadLatentAttention(D, H, C, d_rope=R).half()
        x, cache = torch.empty(1, S, D, dtype=torch.float16), impl.LatentKVCache()
        with torch.no_grad():
            impl.mla_decode_step(m, x, cache)
            latent = m.kv_down(x)
            keys, values = m.k_up(latent), m.v_up(latent)  # what multi-head attention would cache instead
    nbytes = lambda *ts: sum(t.numel() * t.element_size() for t in ts)
    mla, mha = nbytes(cache.c, cache.k_rope) // S, nbytes(keys, values) // S
    expected = (m.kv_down.out_features + m.k_rope.out_features) * x.element_size()
    assert mla == expected, f"the cache holds {mla} bytes per token; expected (d_latent + d_rope)·2 = {expected}"
    assert mha == 8192 and mla == 1152, (mha, mla)
    kv_head_pair = mha // H  # one key head and one value head per token
    assert mla / kv_head_pair == 2.25, f"MLA's cache equals GQA with {mla / kv_head_pair} groups"


def test_with_rope_on_up_projected_keys_the_matrix_to_absorb_changes_with_the_offset_but_decoupled_rope_keeps_it_fixed():
    Dk, D, C = 8, 12, 5
    W_q, W_uk = randn(Dk, D, seed=0), randn(Dk, C, seed=1)
    A = torch.zeros(Dk, Dk, dtype=torch.float64)  # pair i turns at 10000^(-2i/Dk) radians per position
    for i in range(Dk // 2):
        A[2 * i + 1, 2 * i] = 10000.0 ** (-2 * i / Dk)
        A[2 * i, 2 * i + 1] = -A[2 * i + 1, 2 * i]
    R = lambda m: torch.linalg.matrix_exp(m * A)  # R_m, a rotation by m times each pair's angle
    # score(t, s) = (R_t W_q x_t) · (R_s W_uk c_s) = x_tᵀ M(t, s) c_s with M(t, s) = W_qᵀ R_tᵀ R_s W_uk
    M = lambda t, s: W_q.T @ R(t).T @ R(s) @ W_uk
    assert_close(M(0, 3), M(4, 7), rtol=0, atol=1e-12)  # a function of the offset s - t only ...
    gap = (M(0, 1) - M(0, 2)).abs().max() / M(0, 1).abs().max()
    assert gap > 0.1, f"... but a different matrix for every offset (relative gap {gap}): none can be folded once"
    # decoupled RoPE rotates separate features, so the content part has the one matrix W_qᵀ W_uk
    assert_close(M(0, 0), W_q.T @ W_uk, rtol=0, atol=1e-12)


def test_mla_defaults_to_no_decoupled_rope_and_base_10000_and_runs_where_its_weights_live(impl):
    plain = impl.MultiHeadLatentAttention(8, 2, 4)  # d_rope left to its default: no RoPE part
    explicit = impl.MultiHeadLatentAttention(8, 2, 4, d_rope=0)
    counts = [sum(p.numel() for p in m.parameters()) for m in (plain, explicit)]
    assert counts[0] == counts[1], f"{counts[0]} parameters by default, {counts[1]} with d_rope=0: the default is no RoPE"
    base = impl.MultiHeadLatentAttention(8, 2, 4, d_rope=2).rope_base
    assert base == 10000.0, f"default RoPE base {base}; the contract's (and the RoPE paper's) is 10000"
    # built on the meta device (no memory), forward and a cached decode step stay there
    with torch.device("meta"):
        m = impl.MultiHeadLatentAttention(8, 2, 4, d_rope=2)
    x = torch.empty(1, 3, 8, device="meta")
    out, step = m(x), impl.mla_decode_step(m, x, impl.LatentKVCache())
    assert (out.device.type, step.device.type) == ("meta", "meta") and out.shape == step.shape == (1, 3, 8), (
        f"forward on {out.device} {tuple(out.shape)}, decode on {step.device} {tuple(step.shape)}: "
        "every tensor made inside (positions, masks) must be made on the input's device")
