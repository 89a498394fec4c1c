"""Claims about low-rank adaptation (questions/llm/transfer-learning.yaml, questions/llm/lora.yaml).

Every check grades the implementation under test (`impl.LoRALinear`) against PyTorch's own
nn.Linear in float64: the frozen layer it wraps, the formula W + (alpha / r) B A written out
with einsum, and full fine-tuning of the same nn.Linear on the same task.
"""

import copy

import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from checks.strategies import randn, seeds, sizes

F64 = torch.float64
ranks = st.integers(1, 4)
alphas = st.sampled_from([1.0, 2.0, 8.0, 16.0])


def _base(d_in: int, d_out: int, seed: int, bias: bool = True) -> nn.Linear:
    torch.manual_seed(seed)
    return nn.Linear(d_in, d_out, bias=bias, dtype=F64)


def _lora(impl, d_in: int, d_out: int, r: int, alpha: float, seed: int, trained: bool = True, bias: bool = True):
    """impl.LoRALinear around a seeded nn.Linear; with `trained`, A and B set to seeded values
    (as after some training: B is no longer zero)."""
    lora = impl.LoRALinear(_base(d_in, d_out, seed, bias), r=r, alpha=alpha)
    if trained:
        with torch.no_grad():
            lora.A.copy_(randn(r, d_in, seed=seed + 1))
            lora.B.copy_(randn(d_out, r, seed=seed + 2))
    return lora


def _fit(layer: nn.Module, target: nn.Linear, steps: int, seed: int) -> float:
    """Adam on the mean squared error to `target` on fresh Gaussian inputs; the last loss."""
    params = [p for p in layer.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=0.05)
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(64, target.in_features, generator=g, dtype=F64)
        loss = (layer(x) - target(x).detach()).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


def _rank(m: torch.Tensor) -> tuple[int, list[float]]:
    s = torch.linalg.svdvals(m)
    return int((s > 1e-9 * s.max()).sum()), [round(v, 6) for v in s.tolist()]


# ------------------------------------------------------------------ start, formula, merge


@given(sizes, sizes, ranks, alphas, seeds)
def test_lora_starts_equal_to_the_frozen_layer_it_wraps(impl, d_in, d_out, r, alpha, seed):
    base = _base(d_in, d_out, seed)
    reference = copy.deepcopy(base)
    lora = impl.LoRALinear(base, r=r, alpha=alpha)
    x = randn(3, 2, d_in, seed=seed + 3)
    assert_close(lora(x), reference(x), msg=lambda m: f"at step 0 LoRA must equal the pre-trained layer (B = 0): {m}")


@given(sizes, sizes, ranks, alphas, seeds)
def test_lora_output_is_the_base_output_plus_alpha_over_r_times_b_a_x(impl, d_in, d_out, r, alpha, seed):
    lora = _lora(impl, d_in, d_out, r, alpha, seed)
    W, b = lora.base.weight, lora.base.bias  # [D_out, D_in], [D_out]
    A, B = randn(r, d_in, seed=seed + 1), randn(d_out, r, seed=seed + 2)
    x = randn(5, d_in, seed=seed + 3)
    expected = torch.einsum("oi,ni->no", W + (alpha / r) * B @ A, x) + b
    assert_close(lora(x), expected, msg=lambda m: f"y = W x + b + (alpha / r) B A x with alpha={alpha}, r={r}: {m}")


@given(sizes, sizes, ranks, alphas, seeds, st.booleans())
def test_the_merged_layer_is_an_nn_linear_with_the_same_outputs_as_the_adapted_layer(impl, d_in, d_out, r, alpha,
                                                                                     seed, bias):
    lora = _lora(impl, d_in, d_out, r, alpha, seed, bias=bias)
    merged = lora.merged()
    assert isinstance(merged, nn.Linear) and tuple(merged.weight.shape) == (d_out, d_in)
    assert (merged.bias is None) == (not bias), f"the base layer has bias={bias}; the merged one has {merged.bias}"
    x = randn(4, d_in, seed=seed + 4)
    assert_close(merged(x), lora(x))
    expected = lora.base.weight + (alpha / r) * randn(d_out, r, seed=seed + 2) @ randn(r, d_in, seed=seed + 1)
    assert_close(merged.weight, expected)


# -------------------------------------------------------------------- what trains


@given(sizes, sizes, ranks)
def test_lora_trains_r_times_din_plus_dout_parameters(impl, d_in, d_out, r):
    lora = impl.LoRALinear(nn.Linear(d_in, d_out, dtype=F64), r=r, alpha=1.0)
    trainable = sum(p.numel() for p in lora.parameters() if p.requires_grad)
    assert trainable == r * (d_in + d_out), f"D_in={d_in}, D_out={d_out}, r={r}: {trainable} trainable numbers"


def test_a_512_by_512_layer_at_rank_8_trains_8192_numbers_instead_of_262656(impl):
    base = nn.Linear(512, 512, device="meta", dtype=torch.bfloat16)  # counted on the meta device: no memory
    full = sum(p.numel() for p in base.parameters())
    lora = impl.LoRALinear(base, r=8, alpha=16.0)
    trainable = sum(p.numel() for p in lora.parameters() if p.requires_grad)
    assert (trainable, full) == (8192, 262_656), f"{trainable} trainable numbers (expected 8 * (512 + 512)); the layer has {full}"
    # 8,192 / 262,656 = 3.1 %; merged back, the layer is the base's size again
    merged = lora.merged()
    assert sum(p.numel() for p in merged.parameters()) == full
    # A, B and the merged layer live where the base layer does, in its dtype (bfloat16 on a GPU, say)
    placed = {name: (t.device.type, t.dtype) for name, t in (("A", lora.A), ("B", lora.B), ("merged", merged.weight))}
    assert set(placed.values()) == {("meta", torch.bfloat16)}, (
        f"(device, dtype) of {placed}; the base layer's is ('meta', torch.bfloat16), and the contract puts A and B there")


def test_only_a_and_b_train_and_the_base_weight_and_bias_never_change(impl):
    torch.manual_seed(0)
    base = nn.Linear(6, 4, dtype=F64)
    W, b = base.weight.detach().clone(), base.bias.detach().clone()
    lora = impl.LoRALinear(base, r=2, alpha=4.0)
    trainable = {id(p) for p in lora.parameters() if p.requires_grad}
    assert trainable == {id(lora.A), id(lora.B)}, "only A and B may require a gradient; the base layer is frozen"
    A0 = lora.A.detach().clone()
    _fit(lora, _base(6, 4, seed=1), steps=5, seed=2)
    assert torch.equal(lora.base.weight, W) and torch.equal(lora.base.bias, b), "the frozen weight changed"
    assert not torch.equal(lora.A, A0) and lora.B.abs().max() > 0, "A and B should have trained"


def test_after_training_the_lora_update_has_rank_at_most_r_while_full_fine_tuning_has_full_rank(impl):
    d, r = 8, 2
    target = _base(d, d, seed=10)  # a full-rank change away from the pre-trained layer
    torch.manual_seed(11)
    base = nn.Linear(d, d, dtype=F64)
    full = copy.deepcopy(base)
    W0 = base.weight.detach().clone()
    lora = impl.LoRALinear(base, r=r, alpha=2 * r)
    lora_loss = _fit(lora, target, steps=150, seed=12)
    full_loss = _fit(full, target, steps=150, seed=12)
    lora_rank, lora_s = _rank(lora.merged().weight.detach() - W0)
    full_rank, full_s = _rank(full.weight.detach() - W0)
    assert lora_rank <= r, f"LoRA's update W' - W has rank {lora_rank} > r = {r}; singular values {lora_s}"
    assert lora_rank == r, f"LoRA's update should use all r = {r} directions; singular values {lora_s}"
    assert full_rank == d, f"full fine-tuning's update should have full rank {d}; singular values {full_s}"
    # measured: loss 0.26 for LoRA (near its best rank-2 fit, and it cannot move the bias) against 1.7e-7
    assert full_loss < 1e-3 < lora_loss, (lora_loss, full_loss)
