"""Parameter and FLOP accounting of a decoder (questions/llm/decoder-parameter-and-flop-accounting.yaml).

Every number is read from real modules, never typed in: parameter counts from modules built
on the `meta` device (shapes without memory, so GPT-3's 175 B parameters cost nothing), FLOPs
from torch.utils.flop_counter.FlopCounterMode on a small decoder run forward and backward.
The GPT-style block is PyTorch's own nn.TransformerEncoderLayer with a causal mask (a decoder
block of a decoder-only model has no cross-attention); the LLaMA-style block is the
implementation under test (impl.DecoderBlock).
"""

import torch
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode


def _n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _gpt_block(D: int, H: int, bias: bool = False) -> nn.TransformerEncoderLayer:
    """A GPT-2-style block: pre-norm, self-attention, a 4D ReLU FFN (GPT uses GELU: same count)."""
    return nn.TransformerEncoderLayer(D, H, dim_feedforward=4 * D, dropout=0.0, bias=bias,
                                      batch_first=True, norm_first=True)


def test_a_gpt_block_holds_12_d_squared_weights_4_in_attention_and_8_in_the_ffn():
    for D, H in ((64, 4), (768, 12), (12288, 96)):  # a toy, GPT-2 small, GPT-3
        with torch.device("meta"):
            block, biased = _gpt_block(D, H), _gpt_block(D, H, bias=True)
        attention = _n_params(block.self_attn)  # W_Q, W_K, W_V, W_O: D x D each
        ffn = _n_params(block.linear1) + _n_params(block.linear2)  # D x 4D and 4D x D
        norms = _n_params(block.norm1) + _n_params(block.norm2)  # one gain vector each
        assert (attention, ffn, norms) == (4 * D * D, 8 * D * D, 2 * D), (
            f"D = {D}: attention {attention:,}, FFN {ffn:,}, norms {norms:,}; expected 4D², 8D², 2D")
        assert _n_params(block) == 12 * D * D + 2 * D
        # biases (4D in attention, 5D in the FFN) and LayerNorm's shifts (2D) add 11D: O(D), not O(D²)
        assert _n_params(biased) == 12 * D * D + 13 * D, f"D = {D}: {_n_params(biased):,} with biases"


def test_gpt3_shape_counts_175_billion_parameters_all_but_half_a_percent_in_12_l_d_squared_and_took_3e23_flops():
    L, D, H, V, ctx = 96, 12288, 96, 50257, 2048  # GPT-3 175B (Brown et al. 2020, table 2.1)
    with torch.device("meta"):
        blocks = nn.ModuleList(_gpt_block(D, H, bias=True) for _ in range(L))
        # tokens (tied to the output layer) and positions; given their (meta) weights, skipping the
        # normal_ initialisation, which on the meta device imports torch._dynamo (~5 s)
        embeddings = nn.ModuleList(nn.Embedding(n, D, _weight=torch.empty(n, D)) for n in (V, ctx))
        final_norm = nn.LayerNorm(D)
    total = _n_params(blocks) + _n_params(embeddings) + _n_params(final_norm)
    assert 174e9 < total < 175.5e9, f"GPT-3's shape counts {total / 1e9:.2f} B parameters"  # measured 174.59 B
    share = 12 * L * D * D / total
    assert 0.99 < share < 1, f"12·L·D² is {share:.4f} of the total"  # measured 0.9963: embeddings are 0.4 %
    # at 6 FLOPs per parameter per token (the next check), its 300 B training tokens took 6·N·300e9
    compute = 6 * total * 300e9
    assert 3.0e23 < compute < 3.3e23, f"{compute:.3g} FLOPs"  # measured 3.14e23, as Brown et al. report


def test_training_costs_6n_flops_per_token_forward_2n_and_backward_4n_plus_the_attention_scores():
    L, D, H, T, B, V = 2, 64, 4, 16, 2, 96
    torch.manual_seed(0)
    embed, head = nn.Embedding(V, D), nn.Linear(D, V, bias=False)
    blocks = nn.ModuleList(_gpt_block(D, H) for _ in range(L))
    # N: every weight matrix that multiplies an activation. The embedding lookup is an index, not a
    # matmul, and the norms' gains (2·L·D numbers) are element-wise
    N = sum(p.numel() for p in [*blocks.parameters(), *head.parameters()] if p.dim() == 2)
    tokens = torch.randint(V, (B, T), generator=torch.Generator().manual_seed(0))
    causal = nn.Transformer.generate_square_subsequent_mask(T)
    # the math kernel runs attention as two batched matmuls, which the counter sees (PyTorch's
    # fused CPU kernel is invisible to FlopCounterMode)
    with sdpa_kernel(SDPBackend.MATH):
        with FlopCounterMode(display=False) as forward:
            x = embed(tokens)  # [B, T, D]
            for block in blocks:
                x = block(x, src_mask=causal, is_causal=True)
            loss = head(x).logsumexp(dim=-1).mean()  # a scalar to differentiate; its FLOPs are not matmuls
        with FlopCounterMode(display=False) as backward:
            loss.backward()
    per_token = {name: counter.get_total_flops() / (B * T) for name, counter in
                 (("forward", forward), ("backward", backward))}
    # a matmul by a D_in x D_out weight costs 2 D_in D_out FLOPs per token (a multiply and an add);
    # the scores q kᵀ and the weighted sum of v add 2·T·D each per layer, computed densely
    attention = 4 * L * T * D
    assert per_token["forward"] == 2 * N + attention, (per_token, N)
    # backward: one matmul for the gradient of the input and one for the gradient of the weight
    assert per_token["backward"] == 2 * per_token["forward"], per_token
    training = per_token["forward"] + per_token["backward"]
    assert training == 6 * N + 3 * attention
    # ≈ 6N while T << 6D: the attention term 12·L·T·D is at most T / (6D) of 6N (N >= 12·L·D²)
    assert 1 < training / (6 * N) < 1 + T / (6 * D), training / (6 * N)  # measured 1.038


def _block_params(impl, D: int, H: int, Hkv: int, d_ff: int) -> tuple[int, int, int]:
    """(all, attention, FFN) parameters of impl.DecoderBlock, built on the meta device."""
    with torch.device("meta"):
        block = impl.DecoderBlock(D, H, Hkv, d_ff)
    return _n_params(block), _n_params(block.self_attn), _n_params(block.ffn)


def test_a_llama_2_70b_block_with_gqa_and_swiglu_holds_12_75_d_squared_with_82_percent_in_the_ffn(impl):
    D, H, Hkv, d_ff = 8192, 64, 8, 28672  # LLaMA-2-70B: 8 key/value heads, F = 3.5 D
    total, attention, ffn = _block_params(impl, D, H, Hkv, d_ff)
    # W_Q and W_O: 2D²; W_K and W_V at Hkv / H = 1/8 of the width: D²/4; SwiGLU: 3·D·3.5D = 10.5 D²
    assert attention == 2 * D * D + 2 * D * (D * Hkv // H), f"attention: {attention:,} = {attention / D**2:.3f} D²"
    assert ffn == 3 * D * d_ff, f"FFN: {ffn:,} = {ffn / D**2:.3f} D²"
    assert total == attention + ffn + 2 * D, f"block: {total:,}"
    share = ffn / total  # measured 0.8235; a GPT block (4D² + 8D²) has 2/3
    assert 0.82 < share < 0.83, f"the FFN holds {share:.4f} of a LLaMA-2-70B block"


def test_llama_7b_shape_counts_6_7_billion_parameters(impl):
    L, D, H, d_ff, V = 32, 4096, 32, 11008, 32000  # LLaMA-7B: multi-head (Hkv = H), untied embeddings
    total, _, _ = _block_params(impl, D, H, H, d_ff)
    with torch.device("meta"):
        rest = _n_params(nn.Linear(D, V, bias=False)) + _n_params(impl.RMSNorm(D))  # output layer, final norm
    rest += _n_params(nn.Embedding(V, D, _weight=torch.empty(V, D, device="meta")))  # input table (see above)
    n = L * total + rest
    # per block 2D (norms) + 4D² (attention) + 3·D·F (SwiGLU); plus two V x D tables and the final norm
    formula = L * (2 * D + 4 * D * D + 3 * D * d_ff) + 2 * V * D + D
    assert n == formula, f"LLaMA-7B's shape counts {n:,} parameters; the formula gives {formula:,}"
    assert 6.7e9 < n < 6.8e9, f"LLaMA-7B's shape counts {n / 1e9:.3f} B parameters"  # measured 6.738 B
