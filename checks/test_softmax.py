"""Claims about the numerically stable softmax, log-sum-exp and the online (tiled) softmax
(questions/attention/numerically-stable-softmax.yaml, questions/efficiency/flash-attention.yaml,
questions/efficiency/efficient-attention-variants.yaml).

Oracles: PyTorch's own `torch.softmax` and `torch.logsumexp` in float64 and
`F.scaled_dot_product_attention` (with its autograd backward); `checks/oracles/flash_attention.py`,
FlashAttention's recomputing backward written out, whose gradients are compared with PyTorch's.
Scores are drawn large (q scaled by 30, so |q·k/√Dk| reaches the thousands) so that an
implementation that skips the max subtraction overflows even in float64 (exp > 709).
FLOPs are counted by `FlopCounterMode` (2 per multiply-add; exp, scaling and sums are not counted),
with SDPA on its MATH backend, or on the `meta` device for PyTorch's fused kernels.
Sizes of intermediates are read with a dispatch mode that sees every tensor an operation returns.
"""

import math
from itertools import pairwise

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.testing import assert_close
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.flop_counter import FlopCounterMode

from checks.oracles.flash_attention import flash_attention
from checks.strategies import randn, seeds

# dtype -> absolute tolerance on probabilities (a few units of the dtype's epsilon near 1)
TOLERANCE = {torch.float16: 4e-3, torch.bfloat16: 3e-2, torch.float32: 1e-6, torch.float64: 1e-12}


def count_flops(fn, *args) -> int:
    with sdpa_kernel([SDPBackend.MATH]), FlopCounterMode(display=False) as counter:
        fn(*args)
    return counter.get_total_flops()


def block_states(impl, q, k, v, cuts):
    """impl.attention_block of each piece of the keys split at `cuts`."""
    edges = [0, *cuts, k.size(-2)]
    return [impl.attention_block(q, k[..., a:b, :], v[..., a:b, :]) for a, b in pairwise(edges)]


def fold(impl, states):
    state = states[0]
    for s in states[1:]:
        state = impl.merge_blocks(state, s)
    return state


def large_qkv(T: int, S: int, seed: int, Dk: int = 4, Dv: int = 3):
    return 30 * randn(2, T, Dk, seed=seed), 30 * randn(2, S, Dk, seed=seed + 1), randn(2, S, Dv, seed=seed + 2)


# --- the stable softmax and log-sum-exp -------------------------------------------------------

@given(st.sampled_from(list(TOLERANCE)), st.sampled_from([1.0, 20.0, 1e3, 1e4]), st.integers(1, 8), seeds)
def test_softmax_never_overflows_in_any_float_dtype_and_matches_float64(impl, dtype, scale, n, seed):
    x = (scale * randn(3, n, seed=seed)).to(dtype)  # scores up to ~4e4: every naive exp overflows
    got = impl.softmax(x, dim=-1)
    assert got.dtype == dtype, f"softmax returned {got.dtype} for {dtype} input"
    assert torch.isfinite(got).all(), f"{dtype} scores up to {x.abs().max().item():.3g} gave {got}: exp overflowed"
    expected = torch.softmax(x.to(torch.float64), dim=-1)  # the same (rounded) scores, in float64
    assert_close(got.to(torch.float64), expected, rtol=0, atol=TOLERANCE[dtype])


@given(st.integers(1, 6), st.floats(-1000, 1000), seeds)
def test_softmax_is_unchanged_by_adding_one_constant_to_every_score(impl, n, c, seed):
    x = randn(4, n, seed=seed)
    assert_close(impl.softmax(x + c, dim=-1), impl.softmax(x, dim=-1), rtol=0, atol=1e-12,
                 msg=f"softmax(x + {c}) must equal softmax(x): the shift cancels between numerator and denominator")
    assert_close(impl.softmax(x.T, dim=0), impl.softmax(x, dim=-1).T, rtol=0, atol=1e-15)  # `dim` is honoured


@given(st.integers(1, 6), st.sampled_from([1.0, 1e3, 1e5]), seeds)
def test_logsumexp_matches_torch_for_huge_scores_and_is_minus_infinity_for_a_row_of_minus_infinities(impl, n, scale, seed):
    x = scale * randn(4, n, seed=seed)
    x[1, : n // 2] = float("-inf")  # masked keys
    x[3] = float("-inf")  # a fully masked row
    got = impl.logsumexp(x, dim=-1)
    assert got[3].item() == float("-inf"), f"log Σ exp over an empty row is -inf, got {got[3].item()}"
    assert_close(got, torch.logsumexp(x, dim=-1), rtol=1e-13, atol=0)
    assert_close(impl.logsumexp(x.T[:, :3], dim=0), torch.logsumexp(x[:3], dim=-1), rtol=1e-13, atol=0)


def test_float16_exp_overflows_just_above_log_of_its_largest_value_and_a_naive_softmax_turns_nan():
    for dtype in (torch.float16, torch.float32, torch.float64):
        limit = math.log(torch.finfo(dtype).max)  # 11.09 for float16, 88.72 float32, 709.78 float64
        assert torch.isfinite(torch.exp(torch.tensor(limit - 0.01, dtype=dtype)))
        assert torch.isinf(torch.exp(torch.tensor(limit + 0.01, dtype=dtype)))
    assert round(math.log(torch.finfo(torch.float16).max), 2) == 11.09
    scores = torch.tensor([12.0, 0.0], dtype=torch.float16)  # a perfectly ordinary float16 logit
    naive = torch.exp(scores) / torch.exp(scores).sum()
    assert torch.isnan(naive[0]), naive  # inf / inf
    stable = torch.exp(scores - scores.max()) / torch.exp(scores - scores.max()).sum()
    assert torch.isfinite(stable).all() and stable[0] >= 0.999


def test_an_unscaled_float16_score_can_overflow_before_the_softmax_folding_1_over_sqrt_dk_into_q_avoids_it():
    Dk = 128
    q = k = torch.full((1, Dk), 23.0, dtype=torch.float16)  # ‖q‖‖k‖ = 23²·128 = 67,712 > 65,504
    assert torch.isinf(q @ k.T).all()  # the raw score is already inf: no softmax can repair it
    assert torch.isfinite((q / math.sqrt(Dk)) @ k.T).all()  # 5,985: scaling q first keeps it finite


def test_torch_softmax_of_a_fully_masked_row_is_nan_its_logsumexp_minus_infinity_and_sdpa_returns_zeros():
    row = torch.full((1, 4), float("-inf"), dtype=torch.float64)
    assert torch.isnan(torch.softmax(row, dim=-1)).all()  # -inf - (-inf)
    assert torch.logsumexp(row, dim=-1).item() == float("-inf")
    q, k, v = randn(1, 1, 3, seed=0), randn(1, 4, 3, seed=1), randn(1, 4, 2, seed=2)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=torch.zeros(1, 4, dtype=torch.bool))
    assert torch.equal(out, torch.zeros_like(out))


# --- the online softmax: block states and their merge -----------------------------------------

@given(st.integers(1, 4), st.integers(1, 12), seeds, st.data())
def test_merging_the_block_states_of_any_split_of_the_keys_gives_exact_attention_and_its_log_sum_exp(impl, T, S, seed, data):
    cuts = sorted(data.draw(st.sets(st.integers(1, S - 1), max_size=S - 1)) if S > 1 else [])
    q, k, v = large_qkv(T, S, seed)
    m, l, acc = fold(impl, block_states(impl, q, k, v, cuts))
    assert_close(acc / l, F.scaled_dot_product_attention(q, k, v), rtol=1e-12, atol=1e-12,
                 msg=f"merging the blocks of the split {cuts} of {S} keys must give full attention")
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    assert_close((m + torch.log(l)).squeeze(-1), torch.logsumexp(scores, dim=-1), rtol=1e-13, atol=0,
                 msg="m + log(l) of the merged state must be the log-sum-exp of all the scores")


@given(st.integers(1, 3), st.integers(3, 9), seeds, st.data())
def test_merging_block_states_is_associative_and_commutative(impl, T, S, seed, data):
    a, b = sorted(data.draw(st.lists(st.integers(1, S - 1), min_size=2, max_size=2, unique=True)))
    q, k, v = large_qkv(T, S, seed)
    x, y, z = block_states(impl, q, k, v, [a, b])
    merge = impl.merge_blocks
    for other, order in ((merge(x, merge(y, z)), "x(yz)"), (merge(merge(z, x), y), "(zx)y"), (merge(y, merge(z, x)), "y(zx)")):
        for got, want, name in zip(other, merge(merge(x, y), z), ("m", "l", "acc")):
            assert_close(got, want, rtol=1e-12, atol=0, msg=f"{name} of {order} differs from (xy)z")


@given(st.integers(1, 4), st.integers(1, 12), st.integers(1, 14), seeds)
def test_tiled_attention_equals_full_attention_for_any_block_size(impl, T, S, block, seed):
    q, k, v = large_qkv(T, S, seed)
    assert_close(impl.tiled_attention(q, k, v, block), F.scaled_dot_product_attention(q, k, v), rtol=1e-12, atol=1e-12,
                 msg=f"tiled attention with blocks of {block} of {S} keys must equal full attention")


class LargestTensor(TorchDispatchMode):
    """Records the largest numel among the tensors that operations return (inputs not included)."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        sizes = [t.numel() for t in tree_flatten(out)[0] if isinstance(t, torch.Tensor)]
        self.largest = max([self.largest, *sizes])
        return out


def test_tiled_attention_never_holds_a_t_by_s_tensor_its_largest_intermediate_does_not_grow_with_s(impl):
    T, Dk, block = 4, 4, 16
    largest = {}
    for S in (32, 128, 512):
        q, k, v = randn(1, T, Dk, seed=0), randn(1, S, Dk, seed=1), randn(1, S, Dk, seed=2)
        with LargestTensor() as mode:
            impl.tiled_attention(q, k, v, block)
        largest[S] = mode.largest
    assert largest[32] == largest[128] == largest[512], f"largest intermediate by S: {largest}"
    tile = max(T * block, block * Dk, T * Dk)  # one block of scores, of keys or values, or the accumulator
    assert largest[512] <= tile < T * 32, f"{largest[512]} numbers: more than one tile"


# --- what tiling costs and saves --------------------------------------------------------------

@pytest.mark.parametrize("n, d, block", [(16, 4, 4), (32, 8, 8), (24, 4, 5)])
def test_tiling_keeps_the_forward_flops_but_training_with_its_recomputing_backward_costs_14n2d_not_12n2d(impl, n, d, block):
    q, k, v = (randn(1, n, d, seed=i).requires_grad_() for i in range(3))
    d_out = randn(1, n, d, seed=3)
    assert count_flops(impl.tiled_attention, q.detach(), k.detach(), v.detach(), block) == 4 * n * n * d  # QKᵀ, PV

    def textbook():  # PyTorch's MATH attention: the [n, n] weights are saved, backward = 4 products
        F.scaled_dot_product_attention(q, k, v).backward(d_out)

    def forward(q_, k_, v_):  # the implementation's online softmax gives O and one log-sum-exp per query
        m, l, acc = fold(impl, block_states(impl, q_, k_, v_, list(range(block, n, block))))
        return acc / l, m + torch.log(l)

    def recomputing():  # FlashAttention: only q, k, v, O and L saved; backward recomputes q kᵀ
        flash_attention(q, k, v, block, forward).backward(d_out)

    assert count_flops(textbook) == 12 * n * n * d  # forward 4n²d + backward 8n²d
    expected = [g.clone() for g in (q.grad, k.grad, v.grad)]
    for t in (q, k, v):
        t.grad = None
    assert count_flops(recomputing) == 14 * n * n * d  # forward 4n²d + backward 10n²d: 1/6 more, not the same
    for got, want in zip((q.grad, k.grad, v.grad), expected):
        assert_close(got, want, rtol=1e-10, atol=1e-12)  # and the very same gradients


def test_pytorchs_own_flop_count_charges_its_fused_attention_kernel_14n2d_per_training_step_and_math_12n2d():
    n, d = 64, 8
    for fused in (torch.ops.aten._scaled_dot_product_flash_attention, torch.ops.aten._scaled_dot_product_efficient_attention):
        q, k, v = (torch.empty(1, 1, n, d, device="meta", requires_grad=True) for _ in range(3))
        with FlopCounterMode(display=False) as counter:
            out = fused(q, k, v) if fused is torch.ops.aten._scaled_dot_product_flash_attention else fused(q, k, v, None, True)
            out[0].sum().backward()
        counts = {str(op): c for op, c in counter.get_flop_counts()["Global"].items()}
        assert sorted(counts.values()) == [4 * n * n * d, 10 * n * n * d], counts  # forward, backward (recomputes QKᵀ)
    q, k, v = (randn(1, 1, n, d, seed=i).requires_grad_() for i in range(3))
    assert count_flops(lambda: F.scaled_dot_product_attention(q, k, v).sum().backward()) == 12 * n * n * d


@pytest.mark.parametrize("T", [16, 64, 256])
def test_pytorchs_flash_attention_kernel_saves_no_t_by_t_matrix_only_q_k_v_output_and_one_number_per_query(T):
    B, H, Dk = 1, 2, 8
    q, k, v = (randn(B, H, T, Dk, seed=i).requires_grad_() for i in range(3))

    def saved(backend) -> int:
        total = [0]

        def pack(t):
            total[0] += t.numel()
            return t

        with sdpa_kernel([backend]), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            F.scaled_dot_product_attention(q, k, v)
        return total[0]

    assert saved(SDPBackend.FLASH_ATTENTION) == 4 * B * H * T * Dk + B * H * T  # q, k, v, output, log-sum-exp
    assert saved(SDPBackend.MATH) >= B * H * T * T  # the textbook path keeps the [T, T] weights for backward
