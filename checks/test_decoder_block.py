"""Claims about the LLaMA-style decoder block (questions/llm/llama-style-decoder-block.yaml,
questions/llm/modern-llm-block.yaml).

Each check is named as the claim reads. The oracle is checks/oracles/llama_block.py: the
block written out from torch primitives (F.rms_norm, F.scaled_dot_product_attention with
is_causal and enable_gqa, F.silu, RoPE rotation matrices), fed the implementation's own
weights in float64. Hugging Face's LlamaDecoderLayer passes the same checks
(tests/test_adapter_huggingface.py), so a block that matches the oracle matches it too.
"""

import math
from operator import attrgetter

import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from checks.oracles.llama_block import WEIGHTS, llama_block, weight_shapes
from checks.strategies import randn, seeds

F64 = torch.float64
# Hugging Face computes the rotary angles and RMSNorm's statistics in float32 whatever the input's
# dtype (~1e-7 relative rounding); post-norm, RoPE on the values or a missing causal mask change
# the output by more than 1e-2 on these inputs, so this tolerance accepts the one and rejects the others.
TOL = dict(rtol=1e-5, atol=1e-5)
lengths = st.integers(2, 6)  # T >= 2: causality and RoPE need two positions


@st.composite
def configs(draw) -> tuple[int, int, int, int]:
    """(D, H, Hkv, F) with Dk = D / H even (RoPE rotates pairs) and H a multiple of Hkv."""
    Dk, Hkv, G = draw(st.sampled_from([2, 4])), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    H = Hkv * G
    return H * Dk, H, Hkv, draw(st.integers(2, 8))


def _block(impl, D: int, H: int, Hkv: int, d_ff: int, seed: int) -> tuple[nn.Module, dict[str, torch.Tensor]]:
    """impl.DecoderBlock in float64 with seeded weights (linear W ~ N(0, 1/fan_in), norm gains
    1 + N(0, 1/4)), and those weights by their contract paths."""
    block = impl.DecoderBlock(D, H, Hkv, d_ff).to(F64)
    expected = weight_shapes(D, H, Hkv, d_ff)
    found = {path: tuple(attrgetter(path)(block).shape) for path in WEIGHTS}
    assert found == expected, (f"DecoderBlock({D}, n_heads={H}, n_kv_heads={Hkv}, d_ff={d_ff}) weight shapes "
                               f"{found}; expected {expected} (K and V have n_kv_heads * Dk rows)")
    weights = {}
    with torch.no_grad():
        for i, path in enumerate(WEIGHTS):
            w = attrgetter(path)(block)
            value = 1 + randn(*w.shape, seed=seed + i) / 2 if w.dim() == 1 else randn(*w.shape, seed=seed + i) / math.sqrt(w.size(1))
            w.copy_(value)
            weights[path] = w.detach().clone()
    return block, weights


@given(configs(), lengths, seeds)
def test_decoder_block_matches_a_llama_block_built_from_torch_primitives(impl, config, T, seed):
    D, H, Hkv, d_ff = config
    block, weights = _block(impl, D, H, Hkv, d_ff, seed)
    x = randn(2, T, D, seed=seed + 100)
    assert_close(block(x), llama_block(x, weights, H, Hkv), **TOL,
                 msg=lambda m: "DecoderBlock differs from x + attn(rms_norm(x)) -> h + swiglu(rms_norm(h)) with causal "
                               f"GQA and RoPE on q and k (D={D}, H={H}, Hkv={Hkv}, F={d_ff}, T={T}): {m}")


@given(configs(), lengths, seeds)
def test_decoder_block_defaults_to_llamas_eps_1e_6_and_rope_base_10000_and_passes_other_values_through(impl, config, T, seed):
    D, H, Hkv, d_ff = config
    block, weights = _block(impl, D, H, Hkv, d_ff, seed)  # built with the defaults
    x = randn(2, T, D, seed=seed + 100)
    explicit = impl.DecoderBlock(D, H, Hkv, d_ff, eps=1e-6, rope_base=10000.0).to(F64)
    explicit.load_state_dict(block.state_dict())
    # the same code on the same numbers agrees to the bit, so even a default base of 10001 shows
    assert torch.equal(block(x), explicit(x)), (
        f"DecoderBlock{config} with the default eps and rope_base differs from eps=1e-6, rope_base=10000 by "
        f"{(block(x) - explicit(x)).abs().max().item():.2e}; the contract's defaults are LLaMA's")
    other = impl.DecoderBlock(D, H, Hkv, d_ff, eps=0.5, rope_base=100.0).to(F64)
    other.load_state_dict(block.state_dict())
    assert_close(other(x), llama_block(x, weights, H, Hkv, eps=0.5, base=100.0), **TOL,
                 msg=lambda m: f"DecoderBlock(..., eps=0.5, rope_base=100) must use eps 0.5 in both norms and base 100 in RoPE: {m}")


def test_decoder_block_built_on_the_meta_device_runs_there(impl):
    # Shapes without memory: the accounting checks count a block's parameters and FLOPs this way.
    # Every tensor the block makes itself (the causal mask, the rotary positions) must follow x.
    with torch.device("meta"):
        block = impl.DecoderBlock(8, 2, 1, 16)
    x = torch.empty(2, 5, 8, device="meta")
    try:
        y = block(x)
    except RuntimeError as error:
        raise AssertionError(f"DecoderBlock on the meta device: {error}. A tensor made inside forward "
                             "(the causal mask?) stayed on the CPU: create it on x.device") from None
    assert y.device == x.device and y.shape == x.shape, f"output {tuple(y.shape)} on {y.device}, expected [2, 5, 8] on meta"


@given(configs(), lengths, seeds, st.data())
def test_decoder_block_output_at_t_ignores_tokens_after_t(impl, config, T, seed, data):
    D, H, Hkv, d_ff = config
    block, _ = _block(impl, D, H, Hkv, d_ff, seed)
    t = data.draw(st.integers(0, T - 2), label="t")
    x = randn(2, T, D, seed=seed + 100)
    changed = x.clone()
    changed[:, t + 1:] = randn(2, T - t - 1, D, seed=seed + 200)  # new tokens after t
    y, y_changed = block(x), block(changed)
    assert_close(y_changed[:, :t + 1], y[:, :t + 1], **TOL,
                 msg=lambda m: f"changing the tokens after position {t} changed the outputs up to {t}: {m}")
    moved = (y_changed[:, t + 1:] - y[:, t + 1:]).abs().max().item()
    assert moved > 1e-3, f"the outputs after {t} did not change ({moved:.1e}) when their own tokens did"


@given(configs(), lengths, seeds)
def test_decoder_block_is_x_plus_attn_of_norm_x_then_h_plus_ffn_of_norm_h(impl, config, T, seed):
    D, H, Hkv, d_ff = config
    block, _ = _block(impl, D, H, Hkv, d_ff, seed)
    x = randn(2, T, D, seed=seed + 100)
    causal = torch.ones(T, T, dtype=torch.bool).tril()  # True = may attend: s <= t
    # pre-norm: the norms feed the branches; the residual stream only ever has something added to it
    h = x + block.self_attn(block.norm1(x), causal)
    assert_close(block(x), h + block.ffn(block.norm2(h)), **TOL,
                 msg=lambda m: "the block should be h = x + self_attn(norm1(x)), y = h + ffn(norm2(h)) "
                               f"(pre-norm, built from its own submodules): {m}")


@given(configs(), lengths, seeds)
def test_with_both_output_projections_at_zero_the_block_is_the_identity(impl, config, T, seed):
    D, H, Hkv, d_ff = config
    block, _ = _block(impl, D, H, Hkv, d_ff, seed)
    with torch.no_grad():  # the last matrix of each branch: attention's W_O and SwiGLU's W_2
        block.self_attn.out_proj.weight.zero_()
        block.ffn.w2.weight.zero_()
    x = randn(2, T, D, seed=seed + 100)
    # pre-norm: nothing but the two branches touches the residual stream (post-norm would return norm(x))
    assert_close(block(x), x, **TOL, msg=lambda m: f"with W_O = 0 and W_2 = 0 the block should return x itself: {m}")


def _formula(D: int, H: int, Hkv: int, d_ff: int) -> int:
    """2 gains of D, W_Q and W_O D x D, W_K and W_V D x Hkv·Dk, three D x F SwiGLU matrices."""
    return 2 * D + 2 * D * D + 2 * D * Hkv * (D // H) + 3 * D * d_ff


@given(configs())
def test_decoder_block_has_2d_plus_2d2_plus_2d_hkv_dk_plus_3df_parameters_and_no_bias(impl, config):
    D, H, Hkv, d_ff = config
    with torch.device("meta"):  # real modules, no memory
        block = impl.DecoderBlock(D, H, Hkv, d_ff)
    biases = [name for name, _ in block.named_parameters() if name.endswith("bias")]
    assert not biases, f"DecoderBlock{config} has biases {biases}; a LLaMA block has none"
    found = sum(p.numel() for p in block.parameters())
    assert found == _formula(*config), (f"DecoderBlock{config} has {found:,} parameters; "
                                        f"2D + 2D² + 2·D·Hkv·Dk + 3·D·F = {_formula(*config):,}")
