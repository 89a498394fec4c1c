"""Building blocks several check files share: the implementation's attention modules with
seeded float64 weights, PyTorch's own nn.MultiheadAttention carrying the same weights (the
oracle most attention checks use), and a reference RNN (checked against nn.RNN in
checks/test_efficiency.py)."""

import math

import torch
from torch import nn

from checks.capabilities import linears, projections


def seeded_attention(cls: type[nn.Module], d_model: int, n_heads: int, seed: int) -> nn.Module:
    """`cls(d_model, n_heads)` (e.g. impl.MultiHeadAttention: name it at the call site, so
    `qbank grade` sees which contract names a check uses) in float64, every weight and bias
    drawn from N(0, 1/D) by a generator seeded with `seed` (W_Q, W_K, W_V, W_O in that order,
    whether the module keeps them separate or fused: checks/capabilities.py)."""
    module = cls(d_model, n_heads).double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for lin in linears(module):
            lin.weight.copy_(torch.randn(lin.weight.shape, generator=g, dtype=torch.float64) / math.sqrt(d_model))
            lin.bias.copy_(torch.randn(lin.bias.shape, generator=g, dtype=torch.float64) / math.sqrt(d_model))
    return module


def copy_attention_weights(mha: nn.Module, target: nn.MultiheadAttention) -> nn.MultiheadAttention:
    """Load the contract's W_Q, W_K, W_V and out_proj into PyTorch's attention: in_proj stacks W_Q, W_K, W_V."""
    q, k, v = projections(mha)
    with torch.no_grad():
        target.in_proj_weight.copy_(torch.cat([q.weight, k.weight, v.weight]))
        target.in_proj_bias.copy_(torch.cat([q.bias, k.bias, v.bias]))
        target.out_proj.weight.copy_(mha.out_proj.weight)
        target.out_proj.bias.copy_(mha.out_proj.bias)
    return target


def torch_twin(mha: nn.Module, n_heads: int) -> nn.MultiheadAttention:
    """nn.MultiheadAttention (batch_first, float64) with the same weights as `mha`. Left in
    training mode (dropout 0): in eval mode its fast path returns zeros at padded queries."""
    D = mha.out_proj.weight.size(0)
    return copy_attention_weights(mha, nn.MultiheadAttention(D, n_heads, batch_first=True, dtype=torch.float64))


def decode_in_chunks(step, attn: nn.Module, x: torch.Tensor, chunks: list[int], cache) -> torch.Tensor:
    """x [B, T, D] through `step(attn, x_chunk, cache)` (impl.decode_step, impl.mla_decode_step:
    name it at the call site) in chunks of the given sizes; the outputs concatenated along T."""
    out, start = [], 0
    for size in chunks:
        out.append(step(attn, x[:, start:start + size], cache))
        start += size
    return torch.cat(out, dim=1)


def rnn_forward(x, w_x, w_h):
    """Elman RNN h_t = tanh(x_t W_x + h_{t-1} W_h), h_{-1} = 0. x: [B, n, D] -> [B, n, D].
    Step t needs h_{t-1}: n steps, one after the other."""
    h, states = torch.zeros(x.size(0), w_h.size(0), dtype=x.dtype), []
    for t in range(x.size(1)):
        h = torch.tanh(x[:, t] @ w_x + h @ w_h)
        states.append(h)
    return torch.stack(states, dim=1)


# --- whole-model shapes on the meta device (parameter and memory accounting) ------------------

def gpt_parts_on_meta(*, L: int, d: int, heads: int, vocab: int, ctx: int,
                      dtype: torch.dtype = torch.float16) -> list[tuple[str, nn.Module, int]]:
    """A GPT-2/GPT-3-style decoder-only model as (name, module, copies) on the meta device
    (shapes only: no memory, no init). A block has the parameters of a pre-norm
    nn.TransformerEncoderLayer: fused QKV and output projection, FFN with d_ff = 4d, two
    LayerNorms, all with biases. Its L blocks share one shape, so one is built and counted
    L times. Learned positions; the output layer is tied to the token embedding."""
    with torch.device("meta"):
        return [("tokens", nn.Embedding(vocab, d, _weight=torch.empty(vocab, d, dtype=dtype)), 1),  # _weight: no init
                ("positions", nn.Embedding(ctx, d, _weight=torch.empty(ctx, d, dtype=dtype)), 1),
                ("block", nn.TransformerEncoderLayer(d, heads, 4 * d, norm_first=True, dtype=dtype), L),
                ("final_norm", nn.LayerNorm(d, dtype=dtype), 1)]


def llama_parts_on_meta(*, L: int, d: int, heads: int, kv_heads: int, d_ff: int, vocab: int, tied: bool,
                        head_dim: int | None = None, dtype: torch.dtype = torch.bfloat16
                        ) -> list[tuple[str, nn.Module, int]]:
    """A LLaMA-style decoder-only model as (name, module, copies) on the meta device, built
    from plain bias-free nn.Linear layers: grouped-query attention (`heads` query heads and
    `kv_heads` key/value heads of width head_dim, d / heads by default), a gated FFN with
    three d x d_ff matrices (gate, up, down: SwiGLU, or GeGLU in Gemma, the same shapes), two
    RMSNorms per block, a final RMSNorm, and an output layer that is the embedding when
    `tied`. One block is built and counted L times."""
    hd = head_dim or d // heads
    with torch.device("meta"):
        def linear(n_in: int, n_out: int) -> nn.Linear:
            return nn.Linear(n_in, n_out, bias=False, dtype=dtype)

        attention = nn.ModuleDict(dict(q=linear(d, heads * hd), k=linear(d, kv_heads * hd),
                                       v=linear(d, kv_heads * hd), o=linear(heads * hd, d)))
        ffn = nn.ModuleDict(dict(gate=linear(d, d_ff), up=linear(d, d_ff), down=linear(d_ff, d)))
        norms = nn.ModuleList([nn.RMSNorm(d, dtype=dtype), nn.RMSNorm(d, dtype=dtype)])
        parts = [("embedding", nn.Embedding(vocab, d, _weight=torch.empty(vocab, d, dtype=dtype)), 1),
                 ("attention", attention, L), ("ffn", ffn, L), ("norms", norms, L),
                 ("final_norm", nn.RMSNorm(d, dtype=dtype), 1)]
        if not tied:
            parts.append(("output", linear(d, vocab), 1))
        return parts


def count_parts(parts: list[tuple[str, nn.Module, int]], *names: str) -> int:
    """Parameters of the named parts (all parts if none is named), each counted `copies` times."""
    return sum(copies * p.numel() for name, m, copies in parts if not names or name in names
               for p in m.parameters())
