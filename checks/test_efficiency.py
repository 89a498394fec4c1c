"""Claims about cost and efficiency (questions/efficiency/*.yaml).

Costs are counted, not timed: FLOPs with `FlopCounterMode` (2 per multiply-add; bias
additions, tanh, softmax and other elementwise work are not counted, except by the small
elementwise counter below) inside the MATH attention backend, the only one whose matrix
products the counter sees on CPU; memory as the sizes of the tensors autograd saves for the
backward pass. Counts of whole layers use PyTorch's own nn.TransformerEncoderLayer (facts of
the architecture, which no classic bug in an implementation would change). One timing is
asserted, loosely (additive vs dot-product attention: > 10x where 170-260x is measured).

Things outside the implementation contract (additive attention, an RNN, convolutions,
causal linear attention, a parallel scan) are small reference functions written below, each
checked against an oracle (a loop, PyTorch's own op, or the contract's attention and masks).
The errata checks of 003 re-create its patterns in a few lines of our own. The KV cache,
sliding windows, tiled attention and the other efficient-attention families have their own
files (test_kv_cache.py, test_sliding_window.py, test_softmax.py, test_efficient_attention.py).
Shape letters: B batch, H heads, T queries, S keys, D d_model, Dk, Dv, Da additive hidden width.
"""

import math
import time

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.testing import assert_close
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from checks.modules import rnn_forward
from checks.strategies import randn, seeds, sizes


def count_flops(fn, *args, **kwargs) -> int:
    """FLOPs of fn(*args) as FlopCounterMode counts them, with SDPA forced onto MATH."""
    with sdpa_kernel([SDPBackend.MATH]), FlopCounterMode(display=False) as counter, torch.no_grad():
        fn(*args, **kwargs)
    return counter.get_total_flops()


def largest_saved_tensor(fn, *args) -> int:
    """numel of the largest tensor autograd saves for backward while running fn(*args)."""
    sizes_seen = [0]

    def pack(t):
        sizes_seen.append(t.numel())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(*args)
    return max(sizes_seen)


# --- additive (Bahdanau) attention, written here ------------------------------------------

def additive_attention(q, k, v, w_q, w_k, v_a):
    """Additive attention, all pairs at once: score(t, s) = v_aᵀ tanh(W_q q_t + W_k k_s).

    q: [B, T, Dk]  k: [B, S, Dk]  v: [B, S, Dv]  w_q, w_k: [Da, Dk]  v_a: [Da]
    returns (output [B, T, Dv], weights [B, T, S]). The broadcast sum is [B, T, S, Da].
    """
    return additive_core(q @ w_q.T, k @ w_k.T, v, v_a)  # W_q q_t and W_k k_s: once per position


def additive_core(qp, kp, v, v_a):
    """Additive attention from the projected queries qp [B, T, Da] and keys kp [B, S, Da]."""
    hidden = torch.tanh(qp[:, :, None, :] + kp[:, None, :, :])  # [B, T, S, Da]
    weights = (hidden @ v_a[:, None])[..., 0].softmax(dim=-1)  # [B, T, S] (a matmul the counter sees)
    return weights @ v, weights


def dot_product_attention_with_projections(x_q, x_k, v, w_q, w_k):
    """Dot-product attention counted like additive attention: with the per-position projections
    of its queries and keys (W_Q x, W_K x) included. w_q, w_k: [Dk, D]."""
    return F.scaled_dot_product_attention(x_q @ w_q.T, x_k @ w_k.T, v)


def additive_attention_loop(q, k, v, w_q, w_k, v_a):
    """The same, one (query, key) pair at a time: the definition, written as a double loop."""
    B, T, S = q.size(0), q.size(1), k.size(1)
    scores = torch.empty(B, T, S, dtype=q.dtype)
    for t in range(T):
        for s in range(S):  # the batch rides along
            scores[:, t, s] = torch.tanh(q[:, t] @ w_q.T + k[:, s] @ w_k.T) @ v_a
    return scores.softmax(dim=-1) @ v


def additive_parameters(Dk: int, Da: int, seed: int, dtype=torch.float64):
    """W_q, W_k [Da, Dk] and v_a [Da]: the scorer's own parameters, 2·Da·Dk + Da numbers."""
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(Da, Dk, generator=g, dtype=dtype) / math.sqrt(Dk),
            torch.randn(Da, Dk, generator=g, dtype=dtype) / math.sqrt(Dk),
            torch.randn(Da, generator=g, dtype=dtype) / math.sqrt(Da))


small = st.integers(min_value=1, max_value=3)  # the reference loop runs T·S small steps per example


@given(small, small, small, sizes, sizes, seeds)
def test_additive_attention_scores_every_query_key_pair_with_a_one_hidden_layer_tanh_network(B, T, S, Dk, Da, seed):
    q, k, v = randn(B, T, Dk, seed=seed), randn(B, S, Dk, seed=seed + 1), randn(B, S, 3, seed=seed + 2)
    w_q, w_k, v_a = additive_parameters(Dk, Da, seed)
    out, weights = additive_attention(q, k, v, w_q, w_k, v_a)
    # the vectorised form (every pair in one broadcast tanh, no loop over positions) is the definition
    assert_close(out, additive_attention_loop(q, k, v, w_q, w_k, v_a))
    assert_close(weights.sum(-1), torch.ones(B, T, dtype=torch.float64))


@pytest.mark.parametrize("T, S, Dk, Dv", [(1, 1, 1, 1), (3, 5, 4, 2), (8, 8, 16, 16), (16, 4, 8, 24)])
def test_dot_product_attention_costs_exactly_2_t_s_dk_plus_2_t_s_dv_flops(T, S, Dk, Dv):
    q, k, v = randn(2, T, Dk, seed=0), randn(2, S, Dk, seed=1), randn(2, S, Dv, seed=2)
    flops = count_flops(F.scaled_dot_product_attention, q, k, v)  # PyTorch's own, on the MATH backend
    assert flops == 2 * (2 * T * S * Dk + 2 * T * S * Dv), f"{flops} FLOPs"  # B = 2


def test_at_n_and_d_512_dot_product_attention_is_536870912_flops_and_134m_is_only_the_macs_of_qk():
    n = d = 512
    q = torch.empty(1, n, d, device="meta")  # counted, never computed
    assert count_flops(F.scaled_dot_product_attention, q, q, q) == 4 * n * n * d == 536_870_912
    assert count_flops(torch.matmul, q, q.transpose(-2, -1)) == 2 * 134_217_728  # QKᵀ: n²d MACs


def additive_flops(T: int, S: int, Dk: int, Da: int, Dv: int) -> int:
    """Counted FLOPs of additive_attention on meta tensors (nothing is computed)."""
    meta = lambda *shape: torch.empty(*shape, device="meta")  # noqa: E731
    q, k, v, w_q, w_k, v_a = meta(1, T, Dk), meta(1, S, Dk), meta(1, S, Dv), meta(Da, Dk), meta(Da, Dk), meta(Da)
    return count_flops(additive_attention, q, k, v, w_q, w_k, v_a)


@pytest.mark.parametrize("T, S, Dk, Da, Dv", [(1, 1, 1, 1, 1), (3, 5, 4, 2, 6), (16, 8, 4, 32, 4)])
def test_additive_attention_costs_2_dk_da_per_position_plus_2_t_s_da_plus_2_t_s_dv_flops(T, S, Dk, Da, Dv):
    # W_q q_t and W_k k_s once per position, v_aᵀ(...) once per pair, then weights @ V
    assert additive_flops(T, S, Dk, Da, Dv) == 2 * (T + S) * Dk * Da + 2 * T * S * Da + 2 * T * S * Dv


def test_both_scorings_are_quadratic_in_length_dot_product_linear_in_dk_additive_linear_in_da():
    def dot(n, Dk):  # the scores only: QKᵀ
        q = torch.empty(1, n, Dk, device="meta")
        return count_flops(torch.matmul, q, q.transpose(-2, -1))

    def additive_pairs(n, Da):  # the per-pair part: everything but the per-position projections
        return additive_flops(n, n, 16, Da, 1) - 2 * 2 * n * 16 * Da - 2 * n * n

    for n in (8, 16, 32, 64):
        assert dot(n, 16) == 2 * n * n * 16 and additive_pairs(n, 16) == 2 * n * n * 16
        assert dot(2 * n, 16) == 4 * dot(n, 16) and additive_pairs(2 * n, 16) == 4 * additive_pairs(n, 16)
        assert dot(n, 32) == 2 * dot(n, 16) and additive_pairs(n, 32) == 2 * additive_pairs(n, 16)


def _meta(*shape):
    return torch.empty(*shape, device="meta")  # counted, never computed


class _ElementwiseCounter(TorchDispatchMode):
    """Counts the elements produced by additions and tanh, the elementwise work FlopCounterMode skips."""

    def __init__(self):
        super().__init__()
        self.count = {"add": 0, "tanh": 0}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = func.overloadpacket.__name__
        if name in self.count:
            self.count[name] += out.numel()
        return out


def test_counted_the_same_way_additive_and_dot_product_attention_do_the_same_matrix_flops_at_equal_widths():
    n = d = 512  # and d_a = d_v = d
    x, v = _meta(1, n, d), _meta(1, n, d)
    w_q, w_k, v_a = _meta(d, d), _meta(d, d), _meta(d)
    # without the per-position projections: QKᵀ + weights·V against v_aᵀ tanh(.) + weights·V
    dot_core = count_flops(F.scaled_dot_product_attention, x, x, v)
    additive_core_flops = count_flops(additive_core, x, x, v, v_a)
    assert dot_core == additive_core_flops == 4 * n * n * d == 536_870_912
    # with them on both sides (W_Q x, W_K x for the dot product; W_q q, W_k k for additive)
    dot_full = count_flops(dot_product_attention_with_projections, x, x, v, w_q, w_k)
    additive_full = count_flops(additive_attention, x, x, v, w_q, w_k, v_a)
    assert dot_full == additive_full == 1_073_741_824
    # the often-quoted "twice" sets additive WITH projections against the dot core WITHOUT them:
    # the ratio is 1 + d/n, 2 only at n = d
    for n_ in (512, 4096):
        x_, v_ = _meta(1, n_, d), _meta(1, n_, d)
        ratio = count_flops(additive_attention, x_, x_, v_, w_q, w_k, v_a) / count_flops(
            F.scaled_dot_product_attention, x_, x_, v_)
        assert ratio == 1 + d / n_, f"n={n_}: ratio {ratio}"  # 2.0 at n = 512, 1.125 at n = 4096
    # what additive attention adds is elementwise work on an n x n x d_a tensor the counter ignores
    with _ElementwiseCounter() as counter:
        additive_core(x, x, v, v_a)
    assert counter.count == {"add": n * n * d, "tanh": n * n * d} == {"add": 134_217_728, "tanh": 134_217_728}


def _fastest_of(repeats: int, fn, *args) -> float:
    """The best wall-clock time of `repeats` calls: the least disturbed by other processes."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - start)
    return best


def test_on_pytorchs_cpu_kernels_vectorised_additive_attention_is_over_ten_times_slower_than_dot_product():
    # A timing, so a loose bound: measured 170x to 260x at n = 256, d = d_a = 32 (float32, one
    # thread), against "2-3x" in one source. Its FLOPs are the same (see above): the gap is the
    # n x n x d_a tanh tensor and the matrix-vector product by v_a, both memory-bound, against two
    # GEMMs. The fastest of several runs is compared, so a busy machine slows both sides alike.
    n, d = 256, 32
    g = torch.Generator().manual_seed(0)
    q, k, v = torch.randn(3, 1, n, d, generator=g)
    w_q, w_k, v_a = additive_parameters(d, d, 0, dtype=torch.float32)
    with torch.no_grad():
        dot = _fastest_of(7, F.scaled_dot_product_attention, q, k, v)
        additive = _fastest_of(3, additive_attention, q, k, v, w_q, w_k, v_a)
    assert additive > 10 * dot, f"additive {additive * 1e3:.2f} ms vs dot product {dot * 1e3:.2f} ms"


@pytest.mark.parametrize("B, T, S, Dk, Da", [(1, 4, 6, 2, 8), (2, 8, 8, 4, 16)])
def test_vectorised_additive_attention_saves_a_t_by_s_by_da_tensor_where_dot_product_saves_t_by_s(
        B, T, S, Dk, Da):
    q, k, v = (randn(B, n, Dk, seed=i).requires_grad_() for i, n in enumerate((T, S, S)))
    w_q, w_k, v_a = additive_parameters(Dk, Da, 0)
    assert largest_saved_tensor(additive_attention, q, k, v, w_q, w_k, v_a) == B * T * S * Da
    with sdpa_kernel([SDPBackend.MATH]):  # PyTorch's textbook kernel, which keeps its weights
        assert largest_saved_tensor(F.scaled_dot_product_attention, q, k, v) <= B * T * S


# --- errata of 003 on the two scorers, re-created in a few lines each (not copied) -------------

SCORER_WITHOUT_ITS_WIDTH = """
def scaled_scores(queries, keys, values):  # the key width is used but never defined here
    logits = queries @ keys.transpose(-2, -1) / math.sqrt(d_k)
    return torch.softmax(logits, dim=-1) @ values
"""


def test_a_scorer_that_divides_by_a_d_k_it_never_defines_raises_name_error_and_reading_it_from_q_fixes_it():
    q, k, v = randn(2, 3, 4, seed=0), randn(2, 5, 4, seed=1), randn(2, 5, 2, seed=2)
    namespace = {"math": math, "torch": torch}
    exec(SCORER_WITHOUT_ITS_WIDTH, namespace)  # the pattern of 003's snippet: d_k is free in the body
    with pytest.raises(NameError, match="d_k"):
        namespace["scaled_scores"](q, k, v)
    exec(SCORER_WITHOUT_ITS_WIDTH.replace("math.sqrt(d_k)", "math.sqrt(queries.size(-1))"), namespace)
    assert_close(namespace["scaled_scores"](q, k, v), F.scaled_dot_product_attention(q, k, v))


def test_the_additive_score_needs_every_query_key_pair_so_w_q_q_plus_w_k_k_only_types_with_pairwise_broadcasting():
    T, S, Dk, Da = 3, 5, 4, 6
    q, k = randn(T, Dk, seed=0), randn(S, Dk, seed=1)
    w_q, w_k, v_a = additive_parameters(Dk, Da, seed=2)
    with pytest.raises(RuntimeError):  # "W_q Q + W_k K" as a matrix formula: [T, Da] + [S, Da], T != S
        q @ w_q.T + k @ w_k.T
    pairs = torch.tanh((q @ w_q.T)[:, None, :] + (k @ w_k.T)[None, :, :])  # [T, S, Da]: one row per pair
    scores = pairs @ v_a  # v_a maps each pair's Da features to one score: it is the only "W_a"
    assert scores.shape == (T, S)
    loop = torch.tensor([[float(torch.tanh(w_q @ q[t] + w_k @ k[s]) @ v_a) for s in range(S)] for t in range(T)],
                        dtype=torch.float64)
    assert_close(scores, loop)


def test_with_tokens_as_rows_matmul_by_w_q_needs_it_dk_by_da_while_the_text_gives_da_by_dk():
    T, Dk, Da = 3, 4, 6
    q = randn(1, T, Dk, seed=0)
    w_q = randn(Da, Dk, seed=1)  # W_q ∈ R^(d_a × d_k), as the text declares it
    with pytest.raises(RuntimeError):
        torch.matmul(q.unsqueeze(2), w_q)  # the code's form: [1, T, 1, Dk] @ [Da, Dk]
    assert torch.matmul(q.unsqueeze(2), w_q.T).shape == (1, T, 1, Da)  # it needs the d_k × d_a transpose
    assert_close(torch.matmul(q.unsqueeze(2), w_q.T)[:, :, 0], q @ w_q.T)  # = W_q q_t for every row


@given(st.sampled_from([1, 4, 64, 1024]), st.floats(1, 1000), seeds)
def test_additive_scores_are_bounded_by_the_l1_norm_of_v_a_whatever_dk_and_the_input_scale(Dk, scale, seed):
    q, k = scale * randn(1, 4, Dk, seed=seed), scale * randn(1, 5, Dk, seed=seed + 1)
    w_q, w_k, v_a = additive_parameters(Dk, 8, seed)
    scores = torch.tanh((q @ w_q.T)[:, :, None] + (k @ w_k.T)[:, None]) @ v_a  # [1, T, S]
    assert scores.abs().max() <= v_a.abs().sum() + 1e-12


# --- cost per layer: attention, dense layers, RNNs, CNNs ------------------------------------

def torch_encoder_layer(D: int, H: int) -> nn.Module:
    """PyTorch's own encoder layer, d_ff = 4D, float64, in training mode with dropout 0: its eval-mode
    fast path is a fused kernel whose matrix products the FLOP counter does not see."""
    return nn.TransformerEncoderLayer(D, H, 4 * D, dropout=0.0, batch_first=True, dtype=torch.float64).train()


@pytest.mark.parametrize("n, D, H", [(6, 8, 2), (16, 8, 1), (4, 16, 4)])
def test_an_encoder_layer_costs_exactly_24_n_d2_plus_4_n2_d_flops(n, D, H):
    flops = count_flops(torch_encoder_layer(D, H), randn(1, n, D, seed=0))
    # Q, K, V, O projections 8nD² + FFN 16nD² (F = 4D) + QKᵀ and weights @ V 4n²D
    assert flops == 24 * n * D * D + 4 * n * n * D, f"{flops} FLOPs"


def test_the_attention_core_outweighs_the_dense_flops_only_beyond_n_equal_6d():
    D = 8
    for n in (4, 8, 16, 32, 47, 48, 49, 64):
        x = randn(1, n, D, seed=n)
        core = count_flops(F.scaled_dot_product_attention, x, x, x)  # 4n²D
        dense = count_flops(torch_encoder_layer(D, 1), x) - core  # 24nD²
        assert core * 6 * D == dense * n  # ratio core/dense = n / 6D exactly
        assert (core > dense) == (n > 6 * D), f"n={n}"


def test_rnn_matches_torch_rnn():
    D, x = 4, randn(2, 5, 4, seed=0)
    rnn = nn.RNN(D, D, bias=False, batch_first=True, dtype=torch.float64)
    assert_close(rnn_forward(x, rnn.weight_ih_l0.T, rnn.weight_hh_l0.T), rnn(x)[0])


def test_doubling_n_multiplies_flops_by_4_for_self_attention_and_by_2_for_rnn_and_convolution(impl):
    D, k = 8, 3
    w = randn(D, D, seed=0)
    conv = nn.Conv1d(D, D, k, padding=1, bias=False, dtype=torch.float64)
    cost = {}
    for n in (16, 32, 64):
        x = randn(1, n, D, seed=n)
        cost[n] = (count_flops(impl.scaled_dot_product_attention, x, x, x),
                   count_flops(rnn_forward, x, w, w),
                   count_flops(conv, x.transpose(1, 2)))
        assert cost[n] == (4 * n * n * D, 4 * n * D * D, 2 * k * n * D * D)  # O(n²d), O(nd²), O(knd²)
    for n in (16, 32):
        assert [b / a for a, b in zip(cost[n], cost[2 * n])] == [4, 2, 2]


def test_attention_flops_grow_as_n_squared_not_exponentially():
    # a fact about attention itself, counted on PyTorch's kernel (any correct implementation
    # does the same two matmuls; the multi-head checks count the learner's module)
    D = 4
    xs = (randn(1, n, D, seed=n) for n in range(1, 65))
    flops = [count_flops(F.scaled_dot_product_attention, x, x, x) for x in xs]
    assert flops == [4 * n * n * D for n in range(1, 65)]
    # an exponential has a constant ratio > 1 between consecutive lengths; here it tends to 1
    assert flops[-1] / flops[-2] < 1.04


def test_an_rnn_links_input_s_to_state_t_only_through_t_minus_s_recurrent_steps():
    n, D = 6, 3
    x, w_x, w_h = randn(1, n, D, seed=0), randn(D, D, seed=1), randn(D, D, seed=2)
    jac = torch.autograd.functional.jacobian(lambda x: rnn_forward(x, w_x, w_h), x)[0, :, :, 0]  # [n, D, n, D]
    h = rnn_forward(x, w_x, w_h)[0]
    step = [torch.diag(1 - h[t] ** 2) @ w_h.T for t in range(n)]  # ∂h_t/∂h_{t-1}
    for t in range(n):
        for s in range(n):
            block = jac[t, :, s, :]
            if s > t:
                assert block.abs().max() == 0
                continue
            expected = torch.diag(1 - h[s] ** 2) @ w_x.T  # ∂h_s/∂x_s
            for r in range(s + 1, t + 1):  # the t - s steps of the chain
                expected = step[r] @ expected
            assert_close(block, expected)


def receptive_field(layers: list[nn.Conv1d], n: int) -> int:
    """How many input positions the middle output position of the conv stack depends on."""
    x = randn(1, 1, n, seed=0).requires_grad_()
    y = x
    for conv in layers:
        y = conv(y)
    y[0, 0, n // 2].backward()
    return int((x.grad[0, 0] != 0).sum())


def conv_stack(L: int, k: int, dilated: bool) -> list[nn.Conv1d]:
    g = torch.Generator().manual_seed(L)
    layers = []
    for i in range(L):
        d = k ** i if dilated else 1
        conv = nn.Conv1d(1, 1, k, dilation=d, padding=d * (k - 1) // 2, bias=False, dtype=torch.float64)
        with torch.no_grad():
            conv.weight.copy_(torch.rand(conv.weight.shape, generator=g, dtype=torch.float64) + 0.5)
        layers.append(conv)
    return layers


def test_contiguous_convolutions_need_n_over_k_minus_1_layers_to_connect_n_positions_dilated_ones_log_k_n():
    n, k = 64, 3
    width = 4 * 81 + 1  # wide enough that no receptive field reaches the ends
    for L in (1, 2, 5, 31, 32):
        assert receptive_field(conv_stack(L, k, dilated=False), width) == L * (k - 1) + 1
    for L in (1, 2, 3, 4):
        assert receptive_field(conv_stack(L, k, dilated=True), width) == k ** L
    # to link positions 0 and n - 1 the field must cover n positions
    assert receptive_field(conv_stack(31, k, False), width) < n <= receptive_field(conv_stack(32, k, False), width)
    assert receptive_field(conv_stack(3, k, True), width) < n <= receptive_field(conv_stack(4, k, True), width)


def test_autoregressive_generation_with_a_causal_convolution_still_takes_one_pass_per_token():
    # A causal (left-padded) convolutional generator: token t+1 is computed from tokens <= t. Run
    # it in parallel passes over the whole sequence, each pass feeding the previous pass's outputs
    # back in: after pass j only the first j generated tokens are right, so T tokens need T passes,
    # one after another. Only training (all inputs known) is one parallel pass.
    T, C, k = 8, 3, 3
    conv = nn.Conv1d(C, C, k, bias=True, dtype=torch.float64)  # its init is overwritten below
    with torch.no_grad():
        conv.weight.copy_(randn(C, C, k, seed=1))
        conv.bias.copy_(randn(C, seed=2))

    def next_tokens(x):  # x: [C, T] -> prediction for position t+1 from positions <= t, for every t
        return torch.tanh(conv(F.pad(x, (k - 1, 0))[None]))[0]

    start = randn(C, 1, seed=3)
    sequential = start
    for _ in range(T):  # generation: one step per token
        sequential = torch.cat([sequential, next_tokens(sequential)[:, -1:]], dim=1)
    guess = torch.cat([start, torch.zeros(C, T, dtype=torch.float64)], dim=1)
    for passes in range(1, T + 1):  # parallel passes, each over all positions at once
        guess = torch.cat([start, next_tokens(guess)[:, :-1]], dim=1)
        right = (guess - sequential).abs().amax(dim=0) < 1e-12  # [T + 1]
        assert right[:passes + 1].all() and (passes == T or not right[passes + 1:].all()), (
            f"after {passes} parallel passes the correct prefix is {int(right.long().cumprod(0).sum())} long")
    assert_close(guess, sequential)


def test_an_rnn_decoding_step_is_a_matrix_vector_product_doing_about_one_flop_per_byte_of_weights():
    # One step h_t = tanh(x_t W_x + h_{t-1} W_h) at batch 1 reads both d x d matrices to do 2 FLOPs
    # per weight: 1 FLOP per byte in float16, 0.5 in float32. A transformer's training projection
    # over n tokens reuses each weight n times. Accelerators do hundreds of FLOPs per byte of
    # memory traffic, so the RNN step is bandwidth-bound, not "computation-bound".
    d, n = 1024, 512
    for dtype in (torch.float16, torch.float32):
        w_x, w_h = torch.empty(d, d, dtype=dtype, device="meta"), torch.empty(d, d, dtype=dtype, device="meta")
        x, h = torch.empty(1, d, dtype=dtype, device="meta"), torch.empty(1, d, dtype=dtype, device="meta")
        step = count_flops(lambda: torch.tanh(x @ w_x + h @ w_h))
        weight_bytes = 2 * w_x.numel() * w_x.element_size()
        assert step / weight_bytes == 2 / w_x.element_size()  # 1.0 in float16, 0.5 in float32
        tokens = torch.empty(n, d, dtype=dtype, device="meta")
        projection = count_flops(torch.matmul, tokens, w_x)
        assert projection / (w_x.numel() * w_x.element_size()) == n * step / weight_bytes  # n times the reuse


def test_a_linear_recurrence_runs_as_a_parallel_scan_in_log2_n_steps():
    # h_t = a_t h_{t-1} + b_t (linear in h: S4, Mamba, RWKV, causal linear attention). Pairs (a, b)
    # compose associatively, (a1, b1) then (a2, b2) = (a2 a1, a2 b1 + b2), so a Hillis-Steele scan
    # gives every h_t in ceil(log2 n) vectorised steps. A tanh RNN has no such composition.
    n, D = 37, 4
    a, b = randn(n, D, seed=0).sigmoid(), randn(n, D, seed=1)  # decay factors in (0, 1), inputs
    h, loop = torch.zeros(D, dtype=torch.float64), []
    for t in range(n):  # the sequential definition, h_{-1} = 0
        h = a[t] * h + b[t]
        loop.append(h)
    A, B, steps, shift = a.clone(), b.clone(), 0, 1
    while shift < n:  # each step combines every position with the one `shift` before it
        A_prev = torch.cat([torch.ones(shift, D, dtype=torch.float64), A[:-shift]])
        B_prev = torch.cat([torch.zeros(shift, D, dtype=torch.float64), B[:-shift]])
        A, B = A * A_prev, A * B_prev + B
        steps, shift = steps + 1, 2 * shift
    assert steps == math.ceil(math.log2(n)) == 6
    assert_close(B, torch.stack(loop))


# --- activation memory -----------------------------------------------------------------------

def saved_numel(fn, *args, backend=SDPBackend.MATH) -> int:
    """Total numel of the tensors autograd saves for backward while running fn(*args),
    with SDPA on `backend` (MATH: the textbook softmax(QKᵀ/√Dk)V, weights and all)."""
    total = [0]

    def pack(t):
        total[0] += t.numel()
        return t

    with sdpa_kernel([backend]), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(*args)
    return total[0]


def test_activation_memory_of_a_layer_is_quadratic_in_n_and_linear_in_d_with_no_n_d2_term():
    # saved(n, d) = c(d) + a(d)·n + b(d)·n² exactly (PyTorch's encoder layer, MATH attention): five
    # lengths give third differences of 0, which three lengths (always fitting a quadratic) could not show
    def coefficients(D):
        layer = torch_encoder_layer(D, 2)
        s = [saved_numel(layer, randn(1, n, D, seed=n).requires_grad_()) for n in (2, 4, 6, 8, 10)]
        d1 = [b - a for a, b in zip(s, s[1:])]
        d2 = [b - a for a, b in zip(d1, d1[1:])]
        assert [b - a for a, b in zip(d2, d2[1:])] == [0, 0], f"D={D}: saved numels {s} are not quadratic in n"
        b = d2[0] // 8  # the second difference over steps of 2 is 8b
        a = d1[0] // 2 - 6 * b  # s(4) - s(2) = 2a + 12b
        return a, b

    (a4, b4), (a8, b8), (a16, b16) = coefficients(4), coefficients(8), coefficients(16)
    assert b4 == b8 == b16 > 0  # the n² part (attention weights, per head) does not grow with d
    assert a16 - a8 == 2 * (a8 - a4) > 0  # the n part is linear in d (an n·d² term would make it quadratic)
# --- causal linear attention is an RNN -------------------------------------------------------------

def _positive_features(x):
    """φ(x) = elu(x) + 1 > 0 (Katharopoulos et al. 2020), written here for the causal checks."""
    return F.elu(x) + 1


def causal_linear_attention_parallel(q, k, v, mask):
    """The masked parallel form: weights κ_ts = φ(q_t)·φ(k_s) where mask[t, s] allows it, 0
    elsewhere, each row normalised to 1. Builds the [T, T] matrix, like softmax attention."""
    kernel = _positive_features(q) @ _positive_features(k).transpose(-2, -1)  # [B, T, T]
    kernel = kernel.masked_fill(~mask, 0.0)
    return (kernel / kernel.sum(-1, keepdim=True)) @ v


def causal_linear_attention_recurrent(q, k, v):
    """The same as an RNN: a state S_t = S_(t-1) + φ(k_t) v_tᵀ [Dk, Dv] and a normaliser
    z_t = z_(t-1) + φ(k_t) [Dk]; o_t = φ(q_t)ᵀ S_t / φ(q_t)ᵀ z_t. Returns (outputs, the state
    sizes seen at every step)."""
    B, T, Dk = q.shape
    S = torch.zeros(B, Dk, v.size(-1), dtype=q.dtype)
    z = torch.zeros(B, Dk, dtype=q.dtype)
    outputs, state_sizes = [], []
    for t in range(T):
        fk, fq = _positive_features(k[:, t]), _positive_features(q[:, t])  # [B, Dk]
        S = S + fk[:, :, None] * v[:, t, None, :]
        z = z + fk
        outputs.append((fq[:, None, :] @ S)[:, 0] / (fq * z).sum(-1, keepdim=True))
        state_sizes.append(S.numel() + z.numel())
    return torch.stack(outputs, dim=1), state_sizes


@given(sizes, st.integers(2, 6), sizes, sizes, seeds)
def test_causal_linear_attention_run_as_an_rnn_equals_its_masked_parallel_form(impl, B, T, Dk, Dv, seed):
    # the recurrence has seen exactly keys 0..t at step t: the implementation's causal mask must
    # select the same keys in the parallel form
    q, k, v = randn(B, T, Dk, seed=seed), randn(B, T, Dk, seed=seed + 1), randn(B, T, Dv, seed=seed + 2)
    recurrent, _ = causal_linear_attention_recurrent(q, k, v)
    assert_close(causal_linear_attention_parallel(q, k, v, impl.causal_mask(T)), recurrent)


def test_causal_linear_attention_decodes_with_a_state_of_fixed_size_where_softmax_attention_caches_every_key():
    # The RNN form keeps Dk·Dv + Dk numbers per sequence whatever t is; a softmax decoder's KV cache
    # holds (Dk + Dv)·t numbers after t tokens, growing without bound.
    B, Dk, Dv = 1, 4, 3
    for T in (4, 64):
        q, k, v = randn(B, T, Dk, seed=T), randn(B, T, Dk, seed=T + 1), randn(B, T, Dv, seed=T + 2)
        _, state_sizes = causal_linear_attention_recurrent(q, k, v)
        assert set(state_sizes) == {B * (Dk * Dv + Dk)}, state_sizes  # the same at every step
        kv_cache = [k[:, :t + 1].numel() + v[:, :t + 1].numel() for t in range(T)]
        assert kv_cache == [B * (Dk + Dv) * (t + 1) for t in range(T)]
    assert kv_cache[-1] > 5 * state_sizes[-1]  # at T = 64: 448 cached numbers against 16


def test_causal_linear_attention_prefix_sums_are_a_linear_recurrence_that_a_parallel_scan_computes():
    # S_t = S_(t-1) + φ(k_t) v_tᵀ is h_t = a_t h_(t-1) + b_t with a_t = 1: a cumulative sum, which
    # torch.cumsum (a parallel scan) computes for all t at once, giving the same outputs again.
    B, T, Dk, Dv = 2, 9, 3, 2
    q, k, v = randn(B, T, Dk, seed=0), randn(B, T, Dk, seed=1), randn(B, T, Dv, seed=2)
    fq, fk = _positive_features(q), _positive_features(k)
    states = torch.cumsum(fk[..., :, None] * v[..., None, :], dim=1)  # [B, T, Dk, Dv]: every S_t
    normalisers = torch.cumsum(fk, dim=1)  # [B, T, Dk]: every z_t
    scanned = (fq[..., None, :] @ states)[..., 0, :] / (fq * normalisers).sum(-1, keepdim=True)
    assert_close(scanned, causal_linear_attention_recurrent(q, k, v)[0])
