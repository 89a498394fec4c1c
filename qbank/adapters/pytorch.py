"""PyTorch's own implementations, exposed through the implementation contract.

`pytest checks --impl qbank.adapters.pytorch` grades PyTorch itself. A check that fails
here rejects a correct implementation, so it is the check that is wrong; `tests/`
runs this on every change.

Where PyTorch has no public module for a contract name this adapter leaves it out, says
why in ABSENT, and the checks of that name are skipped. The only code here
converts conventions: PyTorch's MultiheadAttention takes a bool mask that is True where
attending is NOT allowed, the opposite of the contract (and of SDPA).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# The contract names PyTorch has nothing public for (tests/test_impl_plugin.py holds this list to
# what the adapter really leaves out).
ABSENT = {
    "split_heads": "nn.MultiheadAttention splits heads inside F.multi_head_attention_forward",
    "merge_heads": "the inverse, likewise internal",
    "sinusoidal_positions": "PyTorch has no positional-encoding module",
    "noam": "torch.optim.lr_scheduler has no inverse-square-root schedule",
    "Lion": "torch.optim has no Lion optimizer",
    "decay_param_groups": "PyTorch leaves the choice of decayed parameters to the user",
    "perplexity": "a one-line exp of the loss; PyTorch has no function for it",
    "bits_per_byte": "PyTorch has no function for it",
    "causal_lm_loss": "PyTorch has F.cross_entropy but no shifted causal-LM loss",
    "apply_temperature": "PyTorch has no sampling utilities",
    "top_k_filter": "PyTorch has no sampling utilities (torch.topk keeps exactly k, breaking ties by index)",
    "top_p_filter": "PyTorch has no sampling utilities",
    "sample_next_token": "PyTorch has no sampling utilities",
    "beam_search": "PyTorch has no decoding utilities",
    "acceptance_probability": "PyTorch has no speculative decoding",
    "residual_distribution": "PyTorch has no speculative decoding",
    "speculative_sample": "PyTorch has no speculative decoding",
    "bpe_train": "PyTorch has no tokenizer",
    "bpe_encode": "PyTorch has no tokenizer",
    "bpe_decode": "PyTorch has no tokenizer",
    "LoRALinear": "PyTorch has no LoRA layer",
    "sequence_logprob": "PyTorch has F.cross_entropy but no sequence log-probability",
    "dpo_loss": "PyTorch has no preference-optimisation loss (Hugging Face's is TRL's DPOTrainer, not installed here)",
    "dequantize": "torch.dequantize reads only PyTorch's own (deprecated) quantized tensor types, not int8 codes "
                  "with a float scale",
    "top_k_gates": "PyTorch has no mixture-of-experts routing",
    "load_balancing_loss": "PyTorch has no mixture-of-experts routing",
    "expert_capacity": "PyTorch has no mixture-of-experts routing",
    "MoELayer": "PyTorch has no mixture-of-experts layer",
    "SwiGLU": "PyTorch has no SwiGLU module (qbank.adapters.huggingface has LLaMA's)",
    "swiglu_hidden_width": "a convention of the LLaMA code, not of PyTorch",
    "DecoderBlock": "PyTorch has no LLaMA-style block (qbank.adapters.huggingface has LLaMA's)",
    "rope_frequencies": "PyTorch has no rotary embedding (qbank.adapters.huggingface has LLaMA's)",
    "apply_rope": "PyTorch has no rotary embedding",
    "apply_rope_interleaved": "PyTorch has no rotary embedding",
    "interleaved_to_halves": "PyTorch has no rotary embedding",
    "GroupedQueryAttention": "PyTorch has SDPA with enable_gqa but no GQA module",
    "KVCache": "PyTorch has no KV cache",
    "RollingKVCache": "PyTorch has no KV cache",
    "sliding_window_mask": "PyTorch has no sliding-window mask helper",
    "decode_step": "PyTorch has no KV cache",
    **dict.fromkeys(["MultiHeadLatentAttention", "LatentKVCache", "mla_decode_step", "sink_window_mask", "softmax_off_by_one"], "PyTorch has neither multi-head latent attention nor attention sinks"),
    "attention_block": "PyTorch's tiled (flash) kernel is internal",
    "merge_blocks": "PyTorch's tiled (flash) kernel is internal",
    "tiled_attention": "PyTorch's tiled (flash) kernel is internal",
}


def attention_weights(q: Tensor, k: Tensor, mask: Tensor | None = None) -> Tensor:
    # SDPA returns weights @ v; with v = the identity, that is the weights themselves
    eye = torch.eye(k.size(-2), dtype=q.dtype).expand(*k.shape[:-1], k.size(-2))
    return F.scaled_dot_product_attention(q, k, eye, attn_mask=mask)


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def causal_mask(T: int) -> Tensor:
    return nn.Transformer.generate_square_subsequent_mask(T) == 0  # 0 = allowed, -inf = future


def padding_mask(is_pad: Tensor) -> Tensor:
    return ~is_pad[:, None, :]  # nn.MultiheadAttention's key_padding_mask is is_pad itself


class MultiHeadAttention(nn.Module):
    """`F.multi_head_attention_forward`, the function behind nn.MultiheadAttention,
    with separate q/k/v projections stored as the contract's nn.Linear layers."""

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d_model, d_model) for _ in range(4))

    def forward(self, query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None) -> Tensor:
        B, T, D = query.shape
        S = key.size(1)
        attn_mask = None
        if mask is not None:  # [B?, T?, S], True = may attend -> [B*H, T, S], True = blocked
            attn_mask = ~mask.expand(B, T, S).repeat_interleave(self.n_heads, dim=0)
        out, _ = F.multi_head_attention_forward(
            query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1), D, self.n_heads,
            in_proj_weight=None,
            in_proj_bias=torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]),
            bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0,
            out_proj_weight=self.out_proj.weight, out_proj_bias=self.out_proj.bias,
            need_weights=False, attn_mask=attn_mask, use_separate_proj_weight=True,
            q_proj_weight=self.q_proj.weight, k_proj_weight=self.k_proj.weight, v_proj_weight=self.v_proj.weight)
        return out.transpose(0, 1)  # [T, B, D] -> [B, T, D]


class CrossAttention(MultiHeadAttention):
    def forward(self, x: Tensor, memory: Tensor, mask: Tensor | None = None) -> Tensor:
        return super().forward(x, memory, memory, mask)


LayerNorm = nn.LayerNorm
BatchNorm = nn.BatchNorm1d


class RMSNorm(nn.RMSNorm):
    """nn.RMSNorm over the last dimension. Only the default eps differs: nn.RMSNorm's is
    None (the input dtype's machine epsilon), the contract's is LLaMA's 1e-6."""

    def __init__(self, d_model: int, eps: float = 1e-6):
        super().__init__(d_model, eps=eps)


class FeedForward(nn.Module):
    """The FFN of nn.TransformerEncoderLayer: linear1 -> ReLU -> linear2 (its dropouts at 0)."""

    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear2(F.relu(self.linear1(x)))


class EncoderLayer(nn.Module):
    """nn.TransformerEncoderLayer(d_model, n_heads, d_ff, dropout=0, batch_first=True, norm_first=...)
    itself, run on the contract's submodules: self_attn (MultiHeadAttention above), ffn
    (FeedForward above), norm1, norm2 (nn.LayerNorm). Each forward calls PyTorch's layer
    through torch.func.functional_call with its parameters taken from those submodules (the
    q/k/v weights concatenated into its fused in_proj), so the computation is PyTorch's own
    forward and gradients reach the submodules. PyTorch's layer is kept outside the module
    tree, so it adds no parameters, and always in training mode: with dropout 0 that changes
    nothing, but it keeps PyTorch off its fused inference fast path, which returns NaN for a
    query whose mask row is all False (the contract: that query attends to nothing)."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, norm_first: bool = False):
        super().__init__()
        self.n_heads, self.norm_first = n_heads, norm_first
        self.self_attn = MultiHeadAttention(d_model, n_heads)
        self.ffn = FeedForward(d_model, d_ff)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.__dict__["_torch_layer"] = nn.TransformerEncoderLayer(  # not a registered submodule
            d_model, n_heads, d_ff, dropout=0.0, batch_first=True, norm_first=norm_first, device="meta")

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        a, f = self.self_attn, self.ffn
        params = {
            "self_attn.in_proj_weight": torch.cat([a.q_proj.weight, a.k_proj.weight, a.v_proj.weight]),
            "self_attn.in_proj_bias": torch.cat([a.q_proj.bias, a.k_proj.bias, a.v_proj.bias]),
            "self_attn.out_proj.weight": a.out_proj.weight, "self_attn.out_proj.bias": a.out_proj.bias,
            "linear1.weight": f.linear1.weight, "linear1.bias": f.linear1.bias,
            "linear2.weight": f.linear2.weight, "linear2.bias": f.linear2.bias,
            **{f"{n}.{p}": getattr(getattr(self, n), p) for n in ("norm1", "norm2") for p in ("weight", "bias")},
        }
        src_mask = None
        if mask is not None:  # [B?, T?, T], True = may attend -> [B*H, T, T], True = blocked
            B, T, _ = x.shape
            src_mask = ~mask.expand(B, T, T).repeat_interleave(self.n_heads, dim=0)
        self._torch_layer.train()  # dropout is 0; see the docstring
        self._torch_layer.norm_first = self.norm_first
        return torch.func.functional_call(self._torch_layer, params, (x,), {"src_mask": src_mask})


# ---------------------------------------------------------------- learning-rate schedules
# PyTorch builds schedules from scheduler objects (LinearLR, CosineAnnealingLR, SequentialLR), not
# from a multiplier function; these run PyTorch's own composition on a throwaway optimizer and hand
# its learning rates back as the contract's f(s) (base lr 1, step t = s + 1). PyTorch has no
# inverse-square-root scheduler, so `noam` is left out.

def _rates(scheduler, steps: int) -> list[float]:
    opt = scheduler.optimizer
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return out


def _as_multiplier(rates: list[float]):
    return lambda s: rates[min(s, len(rates) - 1)]


def _unit_optimizer() -> torch.optim.Optimizer:
    return torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)


def warmup_cosine(warmup: int, total: int, floor: float = 0.0):
    from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

    opt = _unit_optimizer()
    cosine = CosineAnnealingLR(opt, T_max=total - warmup, eta_min=floor)
    sched = cosine if warmup == 1 else SequentialLR(
        opt, [LinearLR(opt, start_factor=1 / warmup, end_factor=1.0, total_iters=warmup - 1), cosine],
        milestones=[warmup - 1])
    return _as_multiplier(_rates(sched, total + 1))


def warmup_stable_decay(warmup: int, stable: int, decay: int):
    from torch.optim.lr_scheduler import LinearLR, SequentialLR

    opt, phases, milestones = _unit_optimizer(), [], []
    if warmup > 1:
        phases.append(LinearLR(opt, start_factor=1 / warmup, end_factor=1.0, total_iters=warmup - 1))
        milestones.append(warmup - 1)
    if stable > 0:
        phases.append(LinearLR(opt, start_factor=1.0, end_factor=1.0, total_iters=stable))
        milestones.append(warmup - 1 + stable)
    phases.append(LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=decay))
    sched = phases[0] if len(phases) == 1 else SequentialLR(opt, phases, milestones=milestones)
    return _as_multiplier(_rates(sched, warmup + stable + decay + 1))


# ---------------------------------------------------------------- loss scaling

class LossScaler(torch.amp.GradScaler):
    """torch.amp.GradScaler itself, on the CPU (the contract's arguments are its own)."""

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000):
        super().__init__("cpu", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval)


# ---------------------------------------------------------------- optimizers (PyTorch has no Lion)

AdamW = torch.optim.AdamW
# --- cross_entropy: F.cross_entropy itself (its defaults are the contract's: ignore_index=-100,
# label smoothing spread over all V classes, mean over the non-ignored targets). PyTorch has no
# perplexity, bits-per-byte or causal-LM loss of its own, so those names are left out.

def cross_entropy(logits: Tensor, target: Tensor, ignore_index: int = -100, label_smoothing: float = 0.0) -> Tensor:
    return F.cross_entropy(logits, target, ignore_index=ignore_index, label_smoothing=label_smoothing)
# --- rope, gqa, kv_cache, softmax (modern-b) ------------------------------------------------
# PyTorch has no rotary embedding, attention module with grouped K/V heads, or KV cache; it has
# grouped-query SDPA (enable_gqa=True: query head h reads K/V head h // (H / Hkv)), a lower-right
# aligned causal mask (torch.nn.attention.bias.causal_lower_right), softmax and logsumexp.


def grouped_query_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True)


def causal_mask_lower_right(T: int, S: int) -> Tensor:
    """PyTorch's CausalBias is applied inside SDPA, not handed out as a tensor: read it back
    through SDPA with equal scores and v = the identity (weight 1/n on each visible key, 0 elsewhere)."""
    from torch.nn.attention.bias import causal_lower_right

    zeros = lambda n: torch.zeros(1, n, 1, dtype=torch.float64)  # noqa: E731
    eye = torch.eye(S, dtype=torch.float64)[None]
    return (F.scaled_dot_product_attention(zeros(T), zeros(S), eye, attn_mask=causal_lower_right(T, S)) > 0)[0]


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    return torch.softmax(x, dim=dim)


def logsumexp(x: Tensor, dim: int = -1) -> Tensor:
    return torch.logsumexp(x, dim=dim)


# --- distillation: F.kl_div and F.cross_entropy. F.kl_div(input, target) computes KL(target ‖ input) with
# `input` in log space, so the teacher is the target; reduction="batchmean" is the contract's mean over rows
# ("mean" would divide by N·V as well). The T² factor and the mixing are the contract's formula.

def distillation_loss(student_logits: Tensor, teacher_logits: Tensor, temperature: float,
                      target: Tensor | None = None, hard_weight: float = 0.0) -> Tensor:
    T = temperature
    soft = F.kl_div(F.log_softmax(student_logits / T, dim=-1), F.log_softmax(teacher_logits.detach() / T, dim=-1),
                    reduction="batchmean", log_target=True) * T ** 2
    hard = F.cross_entropy(student_logits, target) if hard_weight else 0.0
    return (1 - hard_weight) * soft + hard_weight * hard


# --- quantization: torch.ao's symmetric min/max observer computes the scale, fake quantisation rounds.
# Conventions differ in two places. (1) The observer's default qint8 range is −128..127 and its symmetric
# scale is max|w| / 127.5; given quant_min = −qmax, quant_max = qmax it is the contract's max|w| / qmax
# (checks/test_quantization.py shows both). (2) The observer returns float32 scales (clamped below at
# float32's eps, so an all-zero slice gets codes 0); the checks allow that rounding of the scale.
# PyTorch's quantized tensor types (torch.quantize_per_channel) take float32 only and are deprecated.

def quantize_absmax(w: Tensor, bits: int = 8, axis: int | None = None) -> tuple[Tensor, Tensor]:
    from torch.ao.quantization.observer import PerChannelMinMaxObserver

    qmax = 2 ** (bits - 1) - 1
    # per tensor = one channel holding everything; the observer wants >= 2 dimensions (a 1-D w per channel)
    channels = w.reshape(1, -1) if axis is None else w.unsqueeze(-1)
    ch_axis = 0 if axis is None else axis % w.dim()
    observer = PerChannelMinMaxObserver(ch_axis=ch_axis, dtype=torch.qint8, qscheme=torch.per_channel_symmetric,
                                        quant_min=-qmax, quant_max=qmax)
    observer(channels)
    scale, zero_point = observer.calculate_qparams()  # [C] float32, [C] zeros
    fake = torch.fake_quantize_per_channel_affine(channels, scale, zero_point.int(), ch_axis, -qmax, qmax)
    shape = [1] * w.dim()
    if axis is not None:
        shape[ch_axis] = -1
    s = scale.to(w.dtype).reshape(shape)
    q = torch.round(fake.reshape(w.shape) / s).to(torch.int8)  # fake holds q · s exactly: read q back
    return q, (s.reshape(()) if axis is None else s)
