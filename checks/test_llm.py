"""Claims about large language models in practice (questions/llm/*.yaml): mixture of
experts, GELU, parameter-efficient fine-tuning, tokenization and the cost of long inputs.

MoE routing, LoRA and the tokenizers are not in the implementation contract, so
each has a small reference below, checked against PyTorch (`F.gelu`,
`FlopCounterMode`) or against the mathematical fact directly. Weights are seeded.
"""

import math

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close
from torch.utils.flop_counter import FlopCounterMode

from checks.strategies import randn, seeds


# --- mixture of experts ------------------------------------------------------------------

class TopKMoE(nn.Module):
    """Each token goes through the k experts with the largest gate logits; their outputs are
    mixed with softmax weights over those k logits (Shazeer et al. 2017; Switch when k = 1).
    Experts are ReLU FFNs D -> F -> D. Only the routed tokens are fed to an expert."""

    def __init__(self, D: int, F_: int, E: int, k: int, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.k = k
        self.gate = nn.Linear(D, E, bias=False, dtype=torch.float64)
        self.experts = nn.ModuleList(
            nn.Sequential(nn.Linear(D, F_, dtype=torch.float64), nn.ReLU(), nn.Linear(F_, D, dtype=torch.float64))
            for _ in range(E))

    def gates(self, x: torch.Tensor) -> torch.Tensor:
        """[N, E] weights: softmax over each token's top-k logits, exactly 0 elsewhere."""
        logits = self.gate(x)                                      # [N, E]
        top = logits.topk(self.k, -1)
        return torch.zeros_like(logits).scatter(-1, top.indices, top.values.softmax(-1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:           # x [N, D]
        w = self.gates(x)
        out = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            rows = w[:, e].nonzero().squeeze(-1)                   # the tokens routed to expert e
            if len(rows):
                out[rows] += w[rows, e, None] * expert(x[rows])
        return out


def dense_soft_mixture(moe: TopKMoE, x: torch.Tensor) -> torch.Tensor:
    """Item 003-26's formula: sum over ALL experts of softmax(W_g x)_i * expert_i(x)."""
    w = moe.gate(x).softmax(-1)                                    # [N, E]
    return sum(w[:, e, None] * expert(x) for e, expert in enumerate(moe.experts))


def _flops(fn) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


_GATES: dict[int, TopKMoE] = {}  # gate-only use: built once per E, k set per example


@given(st.sampled_from([4, 16, 64]), st.integers(1, 4), seeds)
def test_top_k_gate_weights_are_non_negative_sum_to_one_and_pick_exactly_k_experts(E, k, seed):
    if E not in _GATES:
        _GATES[E] = TopKMoE(8, 1, E, 1)
    gate = _GATES[E]
    gate.k = k
    w = gate.gates(randn(5, 8, seed=seed))
    assert (w >= 0).all()
    assert_close(w.sum(-1), torch.ones(5, dtype=torch.float64))
    assert ((w > 0).sum(-1) == k).all()                            # k = 1: Switch, one expert per token


def test_top_k_moe_with_k_equal_to_e_is_the_dense_soft_mixture():
    moe = TopKMoE(8, 16, 4, 4)
    x = randn(6, 8, seed=0)
    assert_close(moe(x), dense_soft_mixture(moe, x))


def test_moe_parameters_grow_linearly_with_the_number_of_experts():
    D, F_ = 64, 256
    counts = {E: sum(p.numel() for p in TopKMoE(D, F_, E, 2).parameters()) for E in (4, 16, 64)}
    for E, n in counts.items():
        assert n == E * (2 * D * F_ + F_ + D) + D * E              # every expert is resident
    assert counts == {4: 132_608, 16: 530_432, 64: 2_121_728}


def test_top_k_moe_flops_per_token_do_not_grow_with_experts_apart_from_the_gate_but_the_dense_mixture_does():
    D, F_, k, N = 16, 64, 2, 8
    x = randn(N, D, seed=1)
    top, dense = {}, {}
    for E in (4, 16, 64):
        moe = TopKMoE(D, F_, E, k)
        top[E] = _flops(lambda: moe(x)) // N
        assert top[E] == k * 2 * (2 * D * F_) + 2 * D * E          # k experts + the D x E gate
        if E < 64:                                                 # (the dense pass at E = 64 costs 0.8 s)
            dense[E] = _flops(lambda: dense_soft_mixture(moe, x)) // N
            assert dense[E] == E * (2 * (2 * D * F_) + 2 * D)       # every expert for every token
    # measured FLOPs/token at D=16, F=64: top-2 8,320 / 8,704 / 10,240; dense 16,512 / 66,048
    assert top[64] - top[4] == 2 * D * 60 and dense[16] == 4 * dense[4]


def switch_load_balancing_loss(gate_logits: torch.Tensor) -> torch.Tensor:
    """Switch Transformer auxiliary loss E * sum_i f_i * P_i: f_i the fraction of tokens whose
    top-1 expert is i, P_i the mean router probability of i. It is 1 for a uniform router."""
    E = gate_logits.size(-1)
    f = F.one_hot(gate_logits.argmax(-1), E).double().mean(0)
    P = gate_logits.softmax(-1).mean(0)
    return E * (f * P).sum()


def test_nothing_in_top_1_routing_balances_the_load_so_switch_adds_an_auxiliary_loss():
    # tokens that share a common direction (hidden states rarely have zero mean) all pick the
    # expert whose gate row best matches it: measured 64 of 64 tokens on one expert of 8
    moe = TopKMoE(16, 1, 8, 1, seed=0)
    shared = moe.gate.weight[3].detach() * 20                      # the direction expert 3 prefers
    x = randn(64, 16, seed=20) + shared
    counts = torch.bincount(moe.gates(x).argmax(-1), minlength=8)
    assert counts.max() == 64
    collapsed = switch_load_balancing_loss(moe.gate(x))
    uniform = switch_load_balancing_loss(torch.eye(8, dtype=torch.float64).repeat(8, 1) * 5)
    assert_close(uniform, torch.tensor(1.0, dtype=torch.float64))
    assert collapsed > 4 * uniform                                 # the loss penalises the collapse


# --- GELU (RMSNorm and SwiGLU: checks/test_rms_norm.py, checks/test_swiglu.py) ---------

@given(seeds)
def test_gelu_is_x_times_the_normal_cdf_and_the_tanh_form_approximates_it(seed):
    x = randn(50, seed=seed) * 3
    assert_close(F.gelu(x), x * 0.5 * (1 + torch.erf(x / math.sqrt(2))))
    assert (F.gelu(x, approximate="tanh") - F.gelu(x)).abs().max() < 1e-3  # measured max ~4.7e-4


def test_gelu_is_smooth_at_zero_and_lets_small_negative_inputs_through_unlike_relu():
    x = torch.tensor([-1.0, -0.5], dtype=torch.float64, requires_grad=True)
    F.gelu(x).sum().backward()
    assert (F.gelu(x) < 0).all() and (x.grad != 0).all()
    assert (F.relu(x) == 0).all()


# --- transfer learning: LoRA, freezing ---------------------------------------------------

class LoRALinear(nn.Module):
    """y = x W^T + b + (alpha / r) x A^T B^T with W, b frozen and only A [r, Din], B [Dout, r]
    trained; B starts at zero so fine-tuning starts from the pre-trained model."""

    def __init__(self, base: nn.Linear, r: int, alpha: float = 1.0):
        super().__init__()
        self.base, self.scale = base, alpha / r
        base.requires_grad_(False)
        self.A = nn.Parameter(torch.randn(r, base.in_features, dtype=base.weight.dtype) / r)
        self.B = nn.Parameter(torch.zeros(base.out_features, r, dtype=base.weight.dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.scale * (x @ self.A.T @ self.B.T)


def test_lora_starts_equal_to_the_base_layer_and_trains_r_times_din_plus_dout_parameters():
    torch.manual_seed(0)
    base = nn.Linear(512, 512, dtype=torch.float64)
    lora = LoRALinear(base, r=8)
    x = randn(3, 512, seed=10)
    assert_close(lora(x), base(x))
    trainable = sum(p.numel() for p in lora.parameters() if p.requires_grad)
    assert trainable == 8 * (512 + 512) == 8192                    # vs 262,656 in the full layer: 3.1 %


def test_lora_update_merges_into_the_weight_so_inference_costs_nothing_extra():
    torch.manual_seed(1)
    lora = LoRALinear(nn.Linear(6, 4, dtype=torch.float64), r=2, alpha=4.0)
    with torch.no_grad():
        lora.B.copy_(randn(4, 2, seed=11))
    merged = nn.Linear(6, 4, dtype=torch.float64)
    with torch.no_grad():
        merged.weight.copy_(lora.base.weight + lora.scale * lora.B @ lora.A)
        merged.bias.copy_(lora.base.bias)
    x = randn(5, 6, seed=12)
    assert_close(lora(x), merged(x))


def test_a_frozen_pretrained_layer_gets_no_gradient_and_does_not_change():
    torch.manual_seed(2)
    lora = LoRALinear(nn.Linear(6, 4, dtype=torch.float64), r=2)
    before = lora.base.weight.clone()
    opt = torch.optim.SGD([p for p in lora.parameters() if p.requires_grad], lr=0.1)
    lora(randn(5, 6, seed=13)).pow(2).sum().backward()
    opt.step()
    assert lora.base.weight.grad is None and torch.equal(lora.base.weight, before)
    assert lora.A.grad is not None


def test_in_context_examples_change_the_output_but_no_weight():
    torch.manual_seed(3)
    attn = nn.MultiheadAttention(8, 2, batch_first=True, dtype=torch.float64)
    weights = [p.clone() for p in attn.parameters()]
    query = randn(1, 1, 8, seed=14)
    demos = randn(1, 4, 8, seed=15)                                 # the "few-shot examples"
    with torch.no_grad():
        zero_shot = attn(query, query, query)[0]
        ctx = torch.cat([demos, query], 1)
        few_shot = attn(ctx, ctx, ctx)[0][:, -1:]
    assert not torch.allclose(zero_shot, few_shot)
    assert all(torch.equal(a, b) for a, b in zip(weights, attn.parameters()))


# --- tokens ------------------------------------------------------------------------------

def word_tokenize(text: str, vocab: dict[str, int]) -> list[int]:
    """Whitespace split; a word outside the vocabulary becomes <unk> (id 0)."""
    return [vocab.get(w, 0) for w in text.split()]


def byte_tokenize(text: str) -> list[int]:
    """Byte-level fallback (as in GPT-2's BPE before merges): one id per UTF-8 byte."""
    return list(text.encode("utf-8"))


@given(st.text(max_size=30))
def test_byte_level_tokens_round_trip_any_text_so_nothing_is_out_of_vocabulary(text):
    ids = byte_tokenize(text)
    assert all(0 <= i < 256 for i in ids)
    assert bytes(ids).decode("utf-8") == text


def test_a_word_level_vocabulary_maps_unseen_words_to_unk_and_loses_them():
    vocab = {"<unk>": 0, "the": 1, "cat": 2}
    assert word_tokenize("the cat purrs", vocab) == [1, 2, 0]
    assert word_tokenize("the cat meows", vocab) == word_tokenize("the cat purrs", vocab)


def test_non_ascii_text_needs_more_byte_tokens_than_characters():
    assert len(byte_tokenize("cat")) == 3
    assert len(byte_tokenize("naïve")) == 6 and len("naïve") == 5
    assert len(byte_tokenize("猫")) == 3


# --- challenges: cost of long inputs, memory of large models ----------------------------

def test_attention_flops_grow_fourfold_when_the_sequence_doubles(impl):
    D = 16
    f = {}
    for T in (64, 128, 256):
        q = randn(1, T, D, seed=T)
        f[T] = _flops(lambda: impl.scaled_dot_product_attention(q, q, q))
        assert f[T] == 4 * T * T * D                               # QK^T and AV: 2 T^2 D each
    assert f[128] == 4 * f[64] and f[256] == 4 * f[128]            # quadratic, not exponential


def test_gpt3_fp16_weights_alone_take_350_gb():
    params = 175e9
    assert params * 2 == 350e9                                    # bytes at 2 bytes per parameter
    assert round(params * 2 / 2 ** 30) == 326                      # GiB
    kv_per_2048_tokens = 2 * 96 * 12288 * 2048 * 2                  # K and V, 96 layers, d=12288, fp16
    assert round(kv_per_2048_tokens / 1e9, 1) == 9.7


def test_a_vision_transformer_turns_a_224_pixel_image_into_196_patch_tokens():
    img = randn(1, 3, 224, 224, seed=16)
    patches = img.unfold(2, 16, 16).unfold(3, 16, 16)              # [B, C, 14, 14, 16, 16]
    tokens = patches.permute(0, 2, 3, 1, 4, 5).reshape(1, 14 * 14, 3 * 16 * 16)
    conv = nn.Conv2d(3, 8, 16, stride=16, bias=False, dtype=torch.float64)
    embedded = conv(img).flatten(2).transpose(1, 2)                # [B, 196, 8]: the usual patch embedding
    assert tokens.shape == (1, 196, 768)
    assert_close(embedded, tokens @ conv.weight.reshape(8, -1).T)
