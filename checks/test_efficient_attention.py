"""Claims about the efficient-attention families (questions/efficiency/efficient-attention-variants.yaml):
kernel (linear) attention, random features, low-rank projection, Fourier mixing, recomputation.

These are facts of linear algebra, sampling and cost, derived here in a few lines each (the feature
map φ(x) = elu(x) + 1 of Katharopoulos et al. 2020; Performer's positive random features; PyTorch's
own attention for the Linformer count). Oracles: explicit T x S
kernel matrices normalised row by row, explicit DFT matrices, PyTorch's `torch.fft`. FLOPs are
counted by `FlopCounterMode` on `meta` tensors (shapes only).
"""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.testing import assert_close
from torch.utils.flop_counter import FlopCounterMode

from checks.strategies import randn, seeds, sizes


def count_flops(fn, *args) -> int:
    with sdpa_kernel([SDPBackend.MATH]), FlopCounterMode(display=False) as counter, torch.no_grad():
        fn(*args)
    return counter.get_total_flops()


def phi(x):
    """The positive feature map φ(x) = elu(x) + 1 of the Linear Transformer."""
    return F.elu(x) + 1


@given(sizes, sizes, sizes, sizes, seeds)
def test_normalised_linear_attention_equals_row_normalised_kernel_attention(B, T, S, Dk, seed):
    q, k, v = randn(B, T, Dk, seed=seed), randn(B, S, Dk, seed=seed + 1), randn(B, S, 3, seed=seed + 2)
    summary = phi(k).transpose(-2, -1) @ v  # [B, Dk, Dv]: built once, whatever T
    linear = (phi(q) @ summary) / (phi(q) @ phi(k).sum(dim=-2, keepdim=True).transpose(-2, -1))
    kernel = phi(q) @ phi(k).transpose(-2, -1)  # [B, T, S]: the matrix linear attention never forms
    assert_close(linear, (kernel / kernel.sum(-1, keepdim=True)) @ v)


def test_linear_attention_flops_grow_linearly_in_n():
    def linear(x):
        summary = phi(x).transpose(-2, -1) @ x
        return (phi(x) @ summary) / (phi(x) @ phi(x).sum(dim=-2, keepdim=True).transpose(-2, -1))

    flops = [count_flops(linear, torch.empty(1, n, 8, device="meta")) for n in (64, 128, 256)]
    assert flops[1] == 2 * flops[0] and flops[2] == 2 * flops[1], flops


def test_linear_attention_without_its_normaliser_is_not_a_weighted_average():
    n = 100
    fq, fk = phi(randn(1, n, 8, seed=0)), phi(randn(1, n, 8, seed=1))
    row_sums = fq @ fk.sum(dim=-2).T  # the weights implied by φ(Q)(φ(K)ᵀV) sum to this, not to 1
    assert row_sums.min() > 10  # measured: min ≈ 588, mean ≈ 1,094 at n = 100; a weighted average needs 1
    v = torch.ones(1, n, 1, dtype=torch.float64)  # averaging a constant must return it
    unnormalised = fq @ (fk.transpose(-2, -1) @ v)
    assert (unnormalised - 1).abs().min() > 10
    normalised = unnormalised / (fq @ fk.sum(dim=-2, keepdim=True).transpose(-2, -1))
    assert_close(normalised, v)


def positive_random_features(x, w):
    """Performer's positive features φ(x) = exp(W x − ‖x‖²/2) / √m, W: [m, Dk] standard normal.
    E[φ(q)·φ(k)] = exp(q·k) exactly, and every term is positive."""
    return torch.exp(x @ w.T - (x * x).sum(-1, keepdim=True) / 2) / math.sqrt(w.size(0))


def trig_random_features(x, w):
    """Random Fourier features for the same kernel: exp(‖x‖²/2) [cos(W x), sin(W x)] / √m.
    Also unbiased for exp(q·k), but its terms can be negative."""
    z = x @ w.T
    return torch.exp((x * x).sum(-1, keepdim=True) / 2) * torch.cat([z.cos(), z.sin()], -1) / math.sqrt(w.size(0))


@pytest.mark.statistical
def test_positive_random_features_estimate_exp_q_dot_k_without_bias_and_never_go_negative(stat_seed):
    g = torch.Generator().manual_seed(stat_seed)
    q = torch.tensor([0.3, -0.5, 0.2, 0.1], dtype=torch.float64)
    k = torch.tensor([-0.4, 0.6, 0.1, -0.2], dtype=torch.float64)
    m = 200_000
    w = torch.randn(m, 4, generator=g, dtype=torch.float64)
    terms = positive_random_features(q, w) * positive_random_features(k, w) * m  # m i.i.d. estimates
    exact = math.exp(q @ k)  # 0.6570
    se = terms.std() / math.sqrt(m)  # ≈ 5e-4 (seed 0: mean 0.6572, 0.33 SE from exact)
    assert abs(terms.mean() - exact) < 5 * se
    assert (terms > 0).all()
    # trigonometric features: the same kernel, but single-feature estimates go negative
    trig = trig_random_features(q, w[:2000]) * trig_random_features(k, w[:2000]) * 2000
    per_feature = trig[:2000] + trig[2000:]  # cos·cos + sin·sin for each random direction
    # measured 24 % negative; SE of a fraction p = 0.24 over 2,000 draws is √(p(1-p)/2000) ≈ 0.0095,
    # so the threshold 0.1 sits 14 SE below it
    assert (per_feature < 0).float().mean() > 0.1


def test_linformer_projection_of_keys_and_values_to_k_rows_makes_attention_linear_in_n():
    Dk, r = 8, 16  # r: the projected length (Linformer's k)
    flops = []
    for n in (64, 128, 256):
        x, E = torch.empty(1, n, Dk, device="meta"), torch.empty(r, n, device="meta")
        flops.append(count_flops(lambda x=x, E=E: F.scaled_dot_product_attention(x, E @ x, E @ x)))
        assert flops[-1] == 2 * (2 * r * n * Dk) + 4 * n * r * Dk  # project K and V, then n × r attention
    assert flops[1] == 2 * flops[0] and flops[2] == 2 * flops[1]


@given(sizes, sizes, seeds)
def test_fnets_fourier_mixing_is_a_parameter_free_2d_dft_keeping_the_real_part(T, D, seed):
    x = randn(2, T, D, seed=seed)

    def dft(n):  # F[j, m] = exp(-2πi jm / n)
        idx = torch.arange(n, dtype=torch.float64)
        return torch.exp(-2j * math.pi * torch.outer(idx, idx) / n)

    by_matrices = (dft(T) @ x.to(torch.complex128) @ dft(D)).real  # mix along positions, then features
    assert_close(torch.fft.fft2(x, dim=(-2, -1)).real, by_matrices)  # one FFT per axis: O(TD log TD), no weights


def test_recomputing_activations_in_the_backward_pass_costs_at_most_a_third_more_flops_and_changes_no_gradient():
    from torch.utils.checkpoint import checkpoint
    block = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 16)).double()
    x = randn(8, 16, seed=0).requires_grad_()

    def train_step(use_checkpoint):
        x.grad = None
        with FlopCounterMode(display=False) as counter:
            y = checkpoint(block, x, use_reentrant=False) if use_checkpoint else block(x)
            y.square().sum().backward()
        return counter.get_total_flops(), x.grad.clone()

    (plain, g_plain), (recomputed, g_ckpt) = train_step(False), train_step(True)
    forward = count_flops(block, x)
    assert plain == 3 * forward  # backward costs twice the forward
    assert plain < recomputed <= plain + forward  # at most one extra forward: +33 %
    assert_close(g_ckpt, g_plain, rtol=0, atol=0)
