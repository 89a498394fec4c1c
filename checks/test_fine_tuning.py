"""Claims about fine-tuning: SFT, QLoRA and DPO (questions/llm/transfer-learning.yaml).

Library behaviour of PyTorch's cross-entropy, in float64: the label -100 (`ignore_index`)
takes a position out of the loss, which is how supervised fine-tuning trains on the response
and not on the prompt. A fact of storage: the bytes of a blockwise 4-bit quantized weight,
read from the tensors that hold it (numel * element_size). A fact of optimisation: DPO's loss
on a toy discrete space, minimised with L-BFGS, lands on the closed-form optimum of
KL-regularised RLHF.
"""

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch.testing import assert_close

from checks.strategies import randn, seeds


@given(st.integers(1, 6), st.integers(1, 6), st.integers(2, 9), seeds)
def test_labels_of_minus_100_take_prompt_tokens_out_of_the_loss_and_their_logits_get_no_gradient(P, R, V, seed):
    logits = randn(P + R, V, seed=seed).requires_grad_(True)  # P prompt then R response positions
    targets = torch.randint(V, (P + R,), generator=torch.Generator().manual_seed(seed))
    labels = targets.clone()
    labels[:P] = -100  # the prompt: no loss
    loss = F.cross_entropy(logits, labels)  # ignore_index=-100 is the default
    response_only = F.cross_entropy(logits[P:], targets[P:])
    assert_close(loss, response_only)  # the mean runs over the R response tokens only
    loss.backward()
    assert torch.equal(logits.grad[:P], torch.zeros(P, V, dtype=torch.float64))
    assert (logits.grad[P:].abs().sum(-1) > 0).all()


def _quantize_4bit(W: torch.Tensor, block: int = 64):
    """Blockwise absmax 4-bit quantization (QLoRA stores NF4 codes; plain int4 levels -7..7 take
    the same space): two codes per byte, one fp32 scale per block of 64 weights, and, with
    double quantization, those scales stored as int8 with one fp32 scale per 256 of them."""
    blocks = W.reshape(-1, block)
    scale = blocks.abs().amax(-1, keepdim=True)  # [n_blocks, 1], fp32
    codes = torch.round(blocks / scale * 7).to(torch.int8) + 8  # 1..15, 4 bits each
    packed = (codes[:, 0::2] * 16 + codes[:, 1::2]).to(torch.uint8)  # two codes per byte
    dequantized = ((codes.double() - 8) / 7 * scale.double()).reshape(W.shape)
    groups = scale.reshape(-1, 256)
    scale2 = groups.abs().amax(-1, keepdim=True)  # fp32, one per 256 scales
    scale_codes = torch.round(groups / scale2 * 127).to(torch.int8)
    return packed, scale, scale_codes, scale2, dequantized


def _nbytes(*tensors: torch.Tensor) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def test_qlora_stores_a_weight_in_about_half_a_byte_per_parameter():
    W = torch.randn(1024, 1024, generator=torch.Generator().manual_seed(0))  # fp32
    packed, scale, scale_codes, scale2, dequantized = _quantize_4bit(W)
    n = W.numel()
    plain = _nbytes(packed, scale) / n  # 0.5 + 4/64 = 0.5625 bytes per parameter
    double = _nbytes(packed, scale_codes, scale2) / n  # 0.5 + 1/64 + 4/(64 * 256) = 0.5159
    assert abs(plain - 0.5625) < 1e-12 and abs(double - (0.5 + 1 / 64 + 4 / (64 * 256))) < 1e-12, (plain, double)
    overhead_bits = 8 * (double - 0.5)  # the scales' cost per parameter: 0.127 bits, against 0.5 without
    assert round(overhead_bits, 3) == 0.127 and 8 * (plain - 0.5) == 0.5
    assert _nbytes(W.to(torch.bfloat16)) / n / double > 3.8  # bf16 weights take ~3.9x as much
    # each weight is off by at most half a quantization step of its block
    step = (scale / 7).double().expand(-1, 64).reshape(W.shape)
    assert ((dequantized - W.double()).abs() <= step / 2 + 1e-7).all()


def test_dpo_loss_is_minimised_by_the_reference_policy_tilted_by_exp_reward_over_beta():
    # a toy space of K responses to one prompt; preferences follow Bradley-Terry with reward r
    g = torch.Generator().manual_seed(0)
    K, beta = 6, 0.5
    r = torch.randn(K, generator=g, dtype=torch.float64) * 2
    log_ref = torch.log_softmax(torch.randn(K, generator=g, dtype=torch.float64), 0)
    prefer = torch.sigmoid(r[:, None] - r[None, :])  # P(i is preferred to j)
    theta = torch.zeros(K, dtype=torch.float64, requires_grad=True)  # the policy's logits
    opt = torch.optim.LBFGS([theta], lr=1, max_iter=500, tolerance_grad=1e-14, tolerance_change=1e-16,
                            line_search_fn="strong_wolfe")

    def dpo_loss():  # -E[log sigma(beta (log pi/pi_ref)(winner) - beta (log pi/pi_ref)(loser))], all pairs
        opt.zero_grad()
        h = beta * (torch.log_softmax(theta, 0) - log_ref)
        loss = -(prefer * F.logsigmoid(h[:, None] - h[None, :])).sum() / (K * (K - 1))
        loss.backward()
        return loss

    opt.step(dpo_loss)
    optimum = torch.log_softmax(log_ref + r / beta, 0)  # pi* = pi_ref exp(r / beta) / Z
    assert_close(torch.log_softmax(theta.detach(), 0), optimum, atol=1e-6, rtol=0)
    implicit = beta * (optimum - log_ref)  # the implicit reward: r up to the constant beta log Z
    assert_close(implicit - implicit.mean(), r - r.mean())
