"""Claims about the Transformer as a whole: its sizes, parameter and FLOP accounting, encoder vs
decoder, token embeddings, the output layer and weight tying, the √d_model embedding scale, and
what it changed relative to recurrent seq2seq models (questions/architecture/*.yaml).

Each check is named as the claim reads. Parameter counts build the implementation's parts on
the meta device (shapes only) and compare them with PyTorch's nn.Transformer; published models
(GPT-3, LLaMA-2, Gemma) are built from their shapes on the meta device by checks/modules.py and
compared with their published counts; FLOPs come from torch.utils.flop_counter. Behavioural
checks use impl.EncoderLayer, in both placements where the fact does not depend on it, with
every weight set by name from seeded generators, in float64. Embedding, softmax and tying claims
are facts of PyTorch and mathematics and take no `impl`; the recurrent network the Transformer
replaced is the reference `rnn_forward` of checks/modules.py. Statistical checks (`stat_seed`)
give the spread of their statistic over seeds next to each threshold. A layer that declares one
norm placement (checks/capabilities.py) is counted and probed in that placement.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch import nn
from torch.testing import assert_close

from checks import capabilities as caps
from checks.modules import count_parts, llama_parts_on_meta, rnn_forward
from checks.strategies import randn, sizes, tensors

F64 = torch.float64
BASE = dict(D=512, H=8, F=2048)     # the base model: d_model, heads, d_ff (N = 6)
BIG = dict(D=1024, H=16, F=4096)    # the big model
VOCAB = 37_000                      # the shared source/target BPE vocabulary of the paper's EN-DE model


def _count(module: nn.Module) -> int:
    """Parameters, each shared tensor counted once (as module.parameters() yields them)."""
    return sum(p.numel() for p in module.parameters())


def _layer(impl, D: int, H: int, d_ff: int, seed: int, norm_first: bool = False) -> nn.Module:
    """impl.EncoderLayer (post-norm unless `norm_first`) in float64, every linear set by name
    from `seed` (scaled by 1/√fan_in like nn.Linear's init), LayerNorms fresh."""
    layer = caps.make_layer(impl.EncoderLayer, D, H, d_ff, norm_first=norm_first).to(F64)
    linears = (*caps.linears(layer.self_attn), layer.ffn.linear1, layer.ffn.linear2)  # W_Q, W_K, W_V, W_O, FFN
    with torch.no_grad():
        for i, lin in enumerate(linears):
            lin.weight.copy_(randn(*lin.weight.shape, seed=seed + 2 * i) / math.sqrt(lin.weight.size(1)))
            lin.bias.copy_(randn(*lin.bias.shape, seed=seed + 2 * i + 1) / math.sqrt(lin.weight.size(1)))
    return layer


def _block_norms(f, x: torch.Tensor) -> torch.Tensor:
    """[T, T] table: entry [t, s] is the norm of ∂f(x)[0, t] / ∂x[0, s] (x is [1, T, D])."""
    J = torch.autograd.functional.jacobian(f, x)  # [1, T, D, 1, T, D]
    return J[0, :, :, 0].pow(2).sum(dim=(1, 3)).sqrt()  # [T, T]


def _sinusoidal_table(T: int, D: int) -> torch.Tensor:
    """[T, D] sinusoidal encoding written from its formula (an oracle independent of `impl`)."""
    angle = torch.arange(T, dtype=F64)[:, None] * 10000 ** (-torch.arange(0, D, 2, dtype=F64) / D)  # [T, D/2]
    return torch.stack([angle.sin(), angle.cos()], dim=-1).flatten(1)  # interleaved: sin, cos, sin, cos, ...


def _last_row_norms(f, x: torch.Tensor) -> torch.Tensor:
    """[T] vector: entry s is the norm of ∂f(x) / ∂x[s], for f mapping x [T, D] to one [D] state."""
    J = torch.autograd.functional.jacobian(f, x)  # [D, T, D]
    return J.pow(2).sum(dim=(0, 2)).sqrt()


# ------------------------------------------------------------ sizes of the whole model


def _stack_counts(impl, D: int, H: int, d_ff: int, norm_first: bool) -> tuple[int, int]:
    """(encoder layer, decoder layer) parameters from the implementation's parts, on the meta
    device: a decoder layer is an encoder layer's parts + cross-attention + a third LayerNorm."""
    with torch.device("meta"):  # shapes only
        encoder_layer = _count(caps.make_layer(impl.EncoderLayer, D, H, d_ff, norm_first=norm_first))
        return encoder_layer, encoder_layer + _count(impl.CrossAttention(D, H)) + _count(impl.LayerNorm(D))


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")  # nn.Transformer with norm_first=True
def test_the_base_transformer_has_44138496_parameters_in_its_layers_and_63m_with_the_shared_embedding(impl):
    D, H, d_ff = BASE["D"], BASE["H"], BASE["F"]
    for norm_first in caps.placements(impl.EncoderLayer):  # both, or the one the layer declares
        _check_base_transformer(impl, D, H, d_ff, norm_first)


def _check_base_transformer(impl, D: int, H: int, d_ff: int, norm_first: bool) -> None:
    encoder_layer, decoder_layer = _stack_counts(impl, D, H, d_ff, norm_first)
    assert (encoder_layer, decoder_layer) == (3_152_384, 4_204_032), (encoder_layer, decoder_layer)
    layers = 6 * encoder_layer + 6 * decoder_layer  # the paper's post-norm model: nothing after the stacks
    assert layers == 44_138_496
    with torch.device("meta"):
        reference = _count(nn.Transformer(D, H, 6, 6, d_ff, batch_first=True, norm_first=norm_first))
    # nn.Transformer adds a final LayerNorm after each stack (what a pre-norm model needs): 2 · 2D more
    assert reference - layers == 2 * _count(nn.LayerNorm(D)) == 2_048, reference
    # one V x D matrix shared by the source embedding, the target embedding and the output layer
    assert layers + VOCAB * D == 63_082_496  # the paper rounds its base model to 65M


def test_a_decoder_layer_adds_a_cross_attention_and_a_third_layernorm_to_the_encoder_layers_parts(impl):
    D, H, d_ff = BASE["D"], BASE["H"], BASE["F"]
    for norm_first in caps.placements(impl.EncoderLayer):
        _, mine = _stack_counts(impl, D, H, d_ff, norm_first)
        with torch.device("meta"):
            torch_decoder = nn.TransformerDecoderLayer(D, H, d_ff, batch_first=True, norm_first=norm_first)
            torch_encoder = nn.TransformerEncoderLayer(D, H, d_ff, batch_first=True, norm_first=norm_first)
        assert mine == _count(torch_decoder) == 4_204_032, mine
        assert _count(torch_decoder) - _count(torch_encoder) == 4 * D * D + 4 * D + 2 * D  # W_Q,K,V,O + biases + LN


def test_the_big_models_parameter_count_does_not_depend_on_the_head_count_and_is_about_214m(impl):
    D, d_ff = BIG["D"], BIG["F"]
    for norm_first in caps.placements(impl.EncoderLayer):
        counts = {h: _stack_counts(impl, D, h, d_ff, norm_first) for h in (8, 16)}  # heads share the D x D maps
        assert counts[8] == counts[16], counts
        layers = 6 * sum(counts[16])
        assert (layers, layers + VOCAB * D) == (176_357_376, 214_245_376)  # the paper rounds its big model to 213M


# ------------------------------------------------------------ parameter and FLOP accounting


def _small_gpt(L: int, d: int, heads: int, vocab: int, ctx: int, device: str | None = None) -> nn.ModuleDict:
    """A whole GPT-style model with all L blocks built (pre-norm nn.TransformerEncoderLayer,
    d_ff = 4d, learned positions, final LayerNorm, output tied to the token embedding)."""
    return nn.ModuleDict(dict(
        tokens=nn.Embedding(vocab, d, device=device, dtype=F64),
        positions=nn.Embedding(ctx, d, device=device, dtype=F64),
        blocks=nn.ModuleList(nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, batch_first=True, norm_first=True,
                                                        device=device, dtype=F64) for _ in range(L)),
        final_norm=nn.LayerNorm(d, device=device, dtype=F64)))


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(2, 64), st.integers(1, 32))
def test_a_gpt_model_has_12ld2_plus_13ld_plus_vd_plus_ctx_d_plus_2d_parameters(L, heads, head_dim, V, ctx):
    d = heads * head_dim
    model = _small_gpt(L, d, heads, V, ctx)  # every block built (small: the meta device's first call costs more)
    # per block: QKV 3d² + 3d, output d² + d, FFN 8d² + 5d, two LayerNorms 4d
    assert _count(model) == 12 * L * d * d + 13 * L * d + V * d + ctx * d + 2 * d


# ------------------------------------------------------------ logits: z-loss and soft-capping


@given(sizes, st.integers(2, 9), st.floats(-50, 50), st.data())
def test_cross_entropy_never_pins_the_level_of_the_logits_but_z_loss_pulls_log_z_to_zero(T, V, c, data):
    z = data.draw(tensors(T, V), label="logits").requires_grad_()  # [T, V]
    y = torch.tensor(data.draw(st.lists(st.integers(0, V - 1), min_size=T, max_size=T), label="targets"))
    ce = F.cross_entropy(z, y)
    assert_close(F.cross_entropy(z + c, y), ce)  # adding c to every logit changes nothing: they can drift
    (g_ce,) = torch.autograd.grad(ce, z)
    assert_close(g_ce.sum(dim=-1), torch.zeros(T, dtype=F64))  # softmax - one-hot: no push on the level
    log_z = torch.logsumexp(z, dim=-1)  # [T]
    (g_z,) = torch.autograd.grad(log_z.pow(2).mean(), z)  # z-loss (PaLM): mean of (log Z)²
    assert_close(g_z.sum(dim=-1), 2 * log_z.detach() / T)  # it pushes every logit down while log Z > 0
    assert_close(torch.logsumexp(z - log_z[:, None], dim=-1), torch.zeros(T, dtype=F64))  # its minimum: log Z = 0


@given(st.floats(1, 100), st.data())
def test_soft_capping_bounds_every_logit_by_the_cap_and_barely_changes_small_ones(cap, data):
    z = data.draw(tensors(64, low=-1e4, high=1e4), label="logits")
    capped = cap * torch.tanh(z / cap)  # Gemma 2's logit soft-capping
    assert (capped.abs() <= cap).all()
    small = z.abs() <= cap / 10
    # tanh(u) = u - u³/3 + ...: relative change at most u²/3 <= 1/300 for |u| <= 1/10
    assert ((capped[small] - z[small]).abs() <= z[small].abs() / 300 + 1e-12).all()


# ------------------------------------------------------------ encoder vs decoder


def test_the_encoder_layer_reads_the_whole_sequence_but_under_a_causal_mask_only_the_past(impl):
    T, D, H = 5, 4, 2
    for norm_first in caps.placements(impl.EncoderLayer):  # both, or the one the layer declares
        layer = _layer(impl, D, H, 8, seed=0, norm_first=norm_first)
        x = randn(1, T, D, seed=100)
        full = _block_norms(lambda x: layer(x), x)
        causal = _block_norms(lambda x: caps.layer_call(layer, x, impl.causal_mask(T)), x)
        assert (full > 1e-6).all(), f"encoder: min block norm {full.min():.2e}"  # every t reads every s
        past = torch.tril(torch.ones(T, T, dtype=torch.bool))
        assert (causal[past] > 1e-6).all()  # position t reads positions 0..t, itself included ...
        assert (causal[~past] == 0).all()  # ... and nothing after t: exactly zero


def test_appending_a_token_changes_every_earlier_output_of_an_encoder_layer_but_none_under_a_causal_mask(impl):
    T, D, H = 5, 4, 2
    for norm_first in caps.placements(impl.EncoderLayer):  # both, or the one the layer declares
        layer = _layer(impl, D, H, 8, seed=0, norm_first=norm_first)
        x = randn(1, T + 1, D, seed=100)  # a prefix of T tokens, then one more
        prefix, longer = x[:, :T], x
        causal_gap = (caps.layer_call(layer, longer, impl.causal_mask(T + 1))[:, :T]
                      - caps.layer_call(layer, prefix, impl.causal_mask(T)))
        assert_close(causal_gap, torch.zeros_like(causal_gap))  # earlier outputs can be kept (KV cache)
        moved = (layer(longer)[:, :T] - layer(prefix)).abs().amax(dim=-1)  # [1, T]
        # measured 0.007 to 0.24 (post), 0.19 to 2.7 (pre)
        assert (moved > 1e-3).all(), f"bidirectional outputs that did not move: {moved}"


# ------------------------------------------------------------ token embeddings


@given(sizes, sizes, st.integers(2, 9), st.data())
def test_an_embedding_lookup_is_the_one_hot_vector_times_the_embedding_matrix(B, T, V, data):
    D = 3
    ids = torch.from_numpy(data.draw(arrays(np.int64, (B, T), elements=st.integers(0, V - 1))))  # token ids
    emb = nn.Embedding(V, D, _weight=data.draw(tensors(V, D)))  # [V, D] table
    one_hot = F.one_hot(ids, V).to(F64)  # [B, T, V]
    assert_close(emb(ids), one_hot @ emb.weight)  # [B, T, V] @ [V, D] -> [B, T, D]


def test_an_embedding_row_gets_a_gradient_only_from_the_positions_holding_its_token():
    V, D = 6, 3
    emb = nn.Embedding(V, D, dtype=F64)
    ids = torch.tensor([[1, 4, 1], [4, 4, 2]])  # tokens 0, 3 and 5 do not occur
    upstream = randn(2, 3, D, seed=0)  # dLoss/d(embedded vector) at each position
    (emb(ids) * upstream).sum().backward()
    g = emb.weight.grad
    assert emb.weight.requires_grad  # the table is learned
    assert (g[[0, 3, 5]] == 0).all()
    assert_close(g[1], upstream[0, 0] + upstream[0, 2])  # the sum over the token's occurrences
    assert_close(g[4], upstream[0, 1] + upstream[1, 0] + upstream[1, 1])


@pytest.mark.statistical
def test_at_initialisation_the_cosine_similarity_of_two_embedding_rows_is_noise_of_std_one_over_sqrt_d(stat_seed):
    V, D = 200, 256
    with torch.random.fork_rng():  # nn.Embedding draws its init from the global generator
        torch.manual_seed(stat_seed)
        w = nn.Embedding(V, D).weight.detach().double()
    u = F.normalize(w, dim=1)
    cos = (u @ u.T)[torch.triu(torch.ones(V, V, dtype=torch.bool), diagonal=1)]  # 19,900 pairs
    # seeds 1..60: the mean has sd 4.1e-4, so 0.005 is 12 sd; std · √D has mean 1.0005 and sd
    # 0.0051, so 0.05 is 10 sd; the largest |cos| has mean 0.258 and sd 0.016, so 0.35 is 5.9 sd.
    # Seed 0: mean -3e-5, std 0.0630 (1/√256 = 0.0625), largest 0.25
    assert abs(cos.mean().item()) < 0.005, cos.mean()
    assert abs(cos.std().item() * math.sqrt(D) - 1) < 0.05, cos.std()
    assert cos.abs().max().item() < 0.35, cos.abs().max()  # no pair is anywhere near "similar"


@pytest.mark.statistical
def test_after_training_words_seen_in_the_same_contexts_have_similar_embeddings(stat_seed):
    # a toy corpus in which "king" and "queen" are followed by the same words, and so are "dog"
    # and "cat": an embedding table E (D = 8, N(0, 1) init, as nn.Embedding's) and an output
    # matrix W trained to predict the next word, full-batch gradient descent, lr 2, weight decay 0.01
    words = "the king queen dog cat rules reigns barks sleeps".split()
    ix = {w: i for i, w in enumerate(words)}
    sentences = [f"the {who} {does}" for who in ("king", "queen") for does in ("rules", "reigns")] + \
                [f"the {who} {does}" for who in ("dog", "cat") for does in ("barks", "sleeps")]
    pairs = torch.tensor([[ix[a], ix[b]] for s in sentences for a, b in zip(s.split(), s.split()[1:])])
    g = torch.Generator().manual_seed(stat_seed)
    E = torch.randn(len(words), 8, generator=g, dtype=F64).requires_grad_()
    W = (torch.randn(len(words), 8, generator=g, dtype=F64) / math.sqrt(8)).requires_grad_()

    def cos(a: str, b: str) -> float:
        return F.cosine_similarity(E[ix[a]], E[ix[b]], dim=0).item()

    before = cos("king", "queen")  # two random vectors: seeds 1..100 mean 0.01, sd 0.37
    for _ in range(100):
        loss = F.cross_entropy(F.embedding(pairs[:, 0], E) @ W.T, pairs[:, 1])
        grad_E, grad_W = torch.autograd.grad(loss, [E, W])
        with torch.no_grad():
            E -= 2.0 * (grad_E + 0.01 * E)
            W -= 2.0 * (grad_W + 0.01 * W)
    related, unrelated = cos("king", "queen"), max(cos("king", "dog"), cos("queen", "cat"))
    # seeds 1..100: king-queen 0.968 (sd 0.020), so 0.8 is 8 sd below; its lead over the larger of
    # king-dog and queen-cat 1.27 (sd 0.036), so 1.0 is 7 sd below
    assert related > 0.8 and related - unrelated > 1.0, \
        f"cosine king-queen {before:.2f} -> {related:.2f}, king-dog/queen-cat {unrelated:.2f}"


# ------------------------------------------------------------ output layer and weight tying


@given(sizes, sizes, st.integers(2, 9), st.data())
def test_softmax_over_the_vocabulary_is_a_distribution_that_keeps_the_argmax_of_the_logits(B, T, V, data):
    logits = data.draw(tensors(B, T, V))  # [B, T, V]: one score per vocabulary entry
    p = logits.softmax(dim=-1)
    assert (p > 0).all()
    assert_close(p.sum(dim=-1), torch.ones(B, T, dtype=F64))
    # softmax is strictly increasing in each logit, so the most probable token is the top logit
    assert (p.gather(-1, logits.argmax(dim=-1, keepdim=True)) == p.max(dim=-1, keepdim=True).values).all()


def test_tying_makes_the_output_weight_the_embedding_matrix_and_removes_v_times_d_parameters():
    V, D = VOCAB, BASE["D"]
    with torch.device("meta"):
        # _weight skips the N(0, 1) init, whose first call on the meta device takes ~2 s
        emb, out = nn.Embedding(V, D, _weight=torch.empty(V, D)), nn.Linear(D, V, bias=False)  # both [V, D]
        untied = _count(nn.ModuleList([emb, out]))
        out.weight = emb.weight  # tie: the pre-softmax linear reuses the embedding table
        tied = _count(nn.ModuleList([emb, out]))
        # the paper also shares it between the source and the target embeddings: three uses, one table
        three = nn.ModuleList([nn.Embedding(V, D, _weight=torch.empty(V, D)),
                               nn.Embedding(V, D, _weight=torch.empty(V, D)), nn.Linear(D, V, bias=False)])
        three[1].weight = three[0].weight
        three[2].weight = three[0].weight
    assert out.weight is emb.weight
    assert untied - tied == V * D == 18_944_000
    assert _count(three) == V * D  # instead of 3 V D: 37,888,000 parameters saved


def _tied_model_grads(norm_first: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One step of a tiny tied model (embed -> PyTorch's encoder layer under a causal mask ->
    project back onto the vocabulary, V = 7): (grad of the tied matrix, grad of the input copy,
    grad of the output copy). The chain rule, not the layer, is what these checks are about."""
    V, D, H = 7, 4, 2
    layer = nn.TransformerEncoderLayer(D, H, 8, dropout=0.0, batch_first=True, norm_first=norm_first, dtype=F64)
    with torch.no_grad():
        for i, p in enumerate(layer.parameters()):
            p.copy_(randn(*p.shape, seed=10 + i) / math.sqrt(p.size(-1)))
    causal = nn.Transformer.generate_square_subsequent_mask(4, dtype=F64)  # -inf above the diagonal
    ids, targets = torch.tensor([[1, 5, 2, 5]]), torch.tensor([[5, 2, 5, 0]])  # tokens 0, 3, 4, 6 absent

    def loss(W_in, W_out):
        logits = layer(F.embedding(ids, W_in), src_mask=causal) @ W_out.T  # [1, T, D] @ [D, V]
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten())

    W = randn(V, D, seed=1).requires_grad_()
    loss(W, W).backward()
    W_in, W_out = W.detach().clone().requires_grad_(), W.detach().clone().requires_grad_()
    loss(W_in, W_out).backward()  # the same matrix as two separate copies
    return W.grad, W_in.grad, W_out.grad


@pytest.mark.parametrize("norm_first", [False, True])
def test_the_gradient_of_a_tied_matrix_is_the_sum_of_the_gradients_of_its_two_uses(norm_first):
    tied, as_input, as_output = _tied_model_grads(norm_first)
    assert_close(tied, as_input + as_output)


@pytest.mark.parametrize("norm_first", [False, True])
def test_every_row_of_a_tied_matrix_gets_an_output_gradient_but_only_present_tokens_get_an_input_gradient(norm_first):
    _, as_input, as_output = _tied_model_grads(norm_first)
    present = torch.zeros(7, dtype=torch.bool)
    present[[1, 2, 5]] = True  # the input ids [1, 5, 2, 5]
    rows_out, rows_in = as_output.norm(dim=1), as_input.norm(dim=1)  # [V]
    assert (rows_out > 0).all(), f"output-side gradient by row: {rows_out}"  # every token is scored
    assert (rows_in[present] > 0).all() and (rows_in[~present] == 0).all(), f"input-side gradient by row: {rows_in}"


def test_the_embedding_table_is_4_percent_of_llama_2_7b_but_21_percent_of_gemma_2b():
    # counted on the meta device from the published shapes: LLaMA-2-7B (Touvron et al. 2023), a
    # 32k vocabulary with separate input and output tables; Gemma 2B (Gemma Team 2024), a 256k
    # vocabulary, 18 layers of d = 2048, 8 query heads of 256 sharing one key/value head, its
    # embedding tied to the output
    llama = llama_parts_on_meta(L=32, d=4096, heads=32, kv_heads=32, d_ff=11008, vocab=32_000, tied=False)
    gemma = llama_parts_on_meta(L=18, d=2048, heads=8, kv_heads=1, head_dim=256, d_ff=16384, vocab=256_000,
                                tied=True)
    assert (count_parts(llama), count_parts(gemma)) == (6_738_415_616, 2_506_172_416)  # the published counts
    llama_tables = count_parts(llama, "embedding", "output") / count_parts(llama)  # both V x D tables
    gemma_table = count_parts(gemma, "embedding") / count_parts(gemma)  # one table, used twice
    untied_gemma = count_parts(gemma) + count_parts(gemma, "embedding")  # a second 256k x 2048 table
    # measured 0.039, 0.209, and untying would add 0.524 B parameters (21 %) to Gemma
    assert llama_tables < 0.05 and gemma_table > 0.2, (llama_tables, gemma_table)
    assert untied_gemma / count_parts(gemma) > 1.2


# ------------------------------------------------------------ the √d_model embedding scale


@pytest.mark.statistical
def test_with_tied_weights_a_small_embedding_init_gives_unit_scale_logits_and_the_default_init_sqrt_d(impl, stat_seed):
    D, V, T = 512, 1000, 64
    # a final decoder state: LayerNorm gives it RMS 1 per position, whatever the scale and offset before
    h = impl.LayerNorm(D).to(F64)(5 * randn(T, D, seed=3 * stat_seed) + 2)
    small = randn(V, D, seed=3 * stat_seed + 1) * D**-0.5  # std 1/√D, the init used with tied weights
    default = randn(V, D, seed=3 * stat_seed + 2)  # nn.Embedding's default N(0, 1)
    # 64,000 logits each; seeds 1..60: std 1.0006 (sd 0.0028) and 1.0000 √D (sd 0.0026), so the
    # 0.05 tolerances are 18 sd. Seed 0: 1.006 and 22.5 (√512 = 22.6)
    small_std, default_std = (h @ small.T).std().item(), (h @ default.T).std().item()
    assert abs(small_std - 1) < 0.05, f"logit std with rows of std 1/√D: {small_std:.3f}, expected 1"
    assert abs(default_std / math.sqrt(D) - 1) < 0.05, f"logit std with N(0, 1) rows: {default_std:.3f}, expected √D"


@given(st.integers(1, 256).map(lambda h: 2 * h), st.integers(1, 64))
def test_each_positions_sinusoidal_encoding_has_rms_exactly_one_over_sqrt_2_at_any_d(D, T):
    # built from the formula: PE[p, 2i] = sin(p ω_i), PE[p, 2i+1] = cos(p ω_i), ω_i = 10000^(-2i/D)
    pe = _sinusoidal_table(T, D)
    # each (sin, cos) pair contributes sin² + cos² = 1, so every row has mean square (D/2) / D
    assert_close(pe.pow(2).mean(dim=-1).sqrt(), torch.full((T,), 2**-0.5, dtype=F64))


def test_a_single_coordinate_of_the_sinusoidal_table_does_not_have_rms_one_over_sqrt_2():
    D = 512
    per_coordinate = {T: _sinusoidal_table(T, D).pow(2).mean(dim=0).sqrt() for T in (64, 2048)}  # [D], over positions
    # the slowest sine stays near sin(0) = 0 and the slowest cosine near 1: measured over positions
    # 0..63 from 0.0038 to 1.000, over 0..2047 from 0.12 to 0.99
    for T, rms in per_coordinate.items():
        assert rms.min() < 0.2 and rms.max() > 0.95, (T, rms.min().item(), rms.max().item())


# ------------------------------------------------------------ what replaced recurrence


def test_an_rnns_gradient_to_a_distant_input_shrinks_or_grows_geometrically_while_one_attention_layer_reaches_every_input(
        impl):
    T, D = 24, 8
    Q = torch.linalg.qr(randn(D, D, seed=0))[0]  # orthogonal: every singular value 1
    W_x = randn(D, D, seed=1) / math.sqrt(D)
    x = randn(T, D, seed=2)
    # a contractive tanh RNN (every singular value of W_h 0.9): the last state reaches x_s only
    # through T-1-s steps, each multiplying by W_h (norm 0.9) and tanh' <= 1
    tanh_rnn = _last_row_norms(lambda x: rnn_forward(x[None], W_x, 0.9 * Q)[0, -1], x)  # ‖∂h_{T-1}/∂x_s‖
    assert tanh_rnn[0] < 1e-2 * tanh_rnn[-1], f"{tanh_rnn[0]:.1e} vs {tanh_rnn[-1]:.1e}"  # measured 2.4e-6 vs 1.76

    def linear_rnn(x):  # h_t = x_t W_x + h_(t-1) W_h with W_h = 1.2 Q: every singular value 1.2
        h = torch.zeros(D, dtype=F64)
        for t in range(T):
            h = x[t] @ W_x + h @ (1.2 * Q)
        return h

    # ∂h_{T-1}/∂x_s = W_x (1.2 Q)^(T-1-s), whose norm is exactly 1.2^(T-1-s) |W_x|: it explodes
    grows = _last_row_norms(linear_rnn, x)
    assert_close(grows[0] / grows[-1], torch.tensor(1.2 ** (T - 1), dtype=F64))  # 1.2^23 = 66
    for norm_first in caps.placements(impl.EncoderLayer):  # both, or the one the layer declares
        layer = _layer(impl, D, 2, 16, seed=3, norm_first=norm_first)
        reach = _block_norms(lambda x: layer(x), x[None])  # [T, T]: ‖∂y_t/∂x_s‖ after one encoder layer
        # one step away whatever the distance, in both directions: the last output reads the first
        # input, the first output the last input, each at least a tenth as strongly as its neighbour.
        # Measured: last row 0.32 vs 0.25 (post-norm), 0.53 vs 0.22 (pre-norm)
        for t, far, near in [(T - 1, 0, T - 2), (0, T - 1, 1)]:
            assert reach[t, far] > 0.1 * reach[t, near], \
                f"output {t}: input {far} {reach[t, far]:.2e}, input {near} {reach[t, near]:.2e}"
