"""Claims about cost and efficiency (questions/efficiency/*.yaml).

Costs are counted, not timed: FLOPs with `FlopCounterMode` (2 per multiply-add; bias
additions, tanh, softmax and other elementwise work are not counted) inside the MATH
attention backend, the only one whose matrix products the counter sees on CPU; memory as
the sizes of the tensors autograd saves for the backward pass. Wall-clock ratios depend on
the device and the kernels, so no check asserts one.

Things outside the implementation contract (additive attention, an RNN, convolutions) are
small reference functions written below, each checked against an oracle (a loop, PyTorch's
own op, or the contract's attention). The KV cache, sliding windows, tiled attention and the
efficient-attention families have their own files (test_kv_cache.py, test_sliding_window.py,
test_softmax.py, test_efficient_attention.py).
Shape letters: B batch, H heads, T queries, S keys, D d_model, Dk, Dv, Da additive hidden width.
"""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.testing import assert_close
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
    hidden = torch.tanh((q @ w_q.T)[:, :, None, :] + (k @ w_k.T)[:, None, :, :])  # [B, T, S, Da]
    weights = (hidden @ v_a[:, None])[..., 0].softmax(dim=-1)  # [B, T, S] (a matmul the counter sees)
    return weights @ v, weights


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


@pytest.mark.parametrize("Dk, Da", [(4, 4), (64, 64), (64, 128)])
def test_additive_scoring_adds_2_da_dk_plus_da_parameters_and_dot_product_scoring_adds_none(impl, Dk, Da):
    scorer = nn.ModuleDict({"w_q": nn.Linear(Dk, Da, bias=False), "w_k": nn.Linear(Dk, Da, bias=False),
                            "v_a": nn.Linear(Da, 1, bias=False)})
    assert sum(p.numel() for p in scorer.parameters()) == 2 * Da * Dk + Da
    # dot-product scoring is a function of q and k alone: nothing to learn inside it
    q, k = randn(1, 3, Dk, seed=Dk), randn(1, 4, Dk, seed=Da)
    assert_close(impl.attention_weights(q, k), (q @ k.transpose(-2, -1) / math.sqrt(Dk)).softmax(-1))


@pytest.mark.parametrize("T, S, Dk, Dv", [(1, 1, 1, 1), (3, 5, 4, 2), (8, 8, 16, 16), (16, 4, 8, 24)])
def test_dot_product_attention_costs_exactly_2_t_s_dk_plus_2_t_s_dv_flops(impl, T, S, Dk, Dv):
    q, k, v = randn(2, T, Dk, seed=0), randn(2, S, Dk, seed=1), randn(2, S, Dv, seed=2)
    flops = count_flops(impl.scaled_dot_product_attention, q, k, v)
    assert flops == 2 * (2 * T * S * Dk + 2 * T * S * Dv), f"{flops} FLOPs"  # B = 2


def test_at_n_and_d_512_dot_product_attention_is_536870912_flops_and_134m_is_only_the_macs_of_qk(impl):
    n = d = 512
    q = torch.empty(1, n, d, device="meta")  # counted, never computed
    assert count_flops(impl.scaled_dot_product_attention, q, q, q) == 4 * n * n * d == 536_870_912
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


def test_at_equal_widths_additive_attention_does_more_work_than_dot_product_attention(impl):
    n = d = 512
    q = torch.empty(1, n, d, device="meta")
    dot = count_flops(impl.scaled_dot_product_attention, q, q, q)
    additive = additive_flops(n, n, d, d, d)
    assert dot == 536_870_912  # QKᵀ 2n²d + weights @ V 2n²d
    # projections 2·2nd·Da = 536,870,912 + v_a product 2n²Da = 268,435,456 + weights @ V 2n²d = 268,435,456
    assert additive == 1_073_741_824 == 2 * dot
    # and on top n²·Da additions and n²·Da tanh evaluations (268,435,456 each) the counter does not see


@pytest.mark.parametrize("B, T, S, Dk, Da", [(1, 4, 6, 2, 8), (2, 8, 8, 4, 16)])
def test_vectorised_additive_attention_saves_a_t_by_s_by_da_tensor_where_dot_product_saves_t_by_s(
        impl, B, T, S, Dk, Da):
    q, k, v = (randn(B, n, Dk, seed=i).requires_grad_() for i, n in enumerate((T, S, S)))
    w_q, w_k, v_a = additive_parameters(Dk, Da, 0)
    assert largest_saved_tensor(additive_attention, q, k, v, w_q, w_k, v_a) == B * T * S * Da
    assert largest_saved_tensor(impl.scaled_dot_product_attention, q, k, v) <= B * T * S


@given(st.sampled_from([1, 4, 64, 1024]), st.floats(1, 1000), seeds)
def test_additive_scores_are_bounded_by_the_l1_norm_of_v_a_whatever_dk_and_the_input_scale(Dk, scale, seed):
    q, k = scale * randn(1, 4, Dk, seed=seed), scale * randn(1, 5, Dk, seed=seed + 1)
    w_q, w_k, v_a = additive_parameters(Dk, 8, seed)
    scores = torch.tanh((q @ w_q.T)[:, :, None] + (k @ w_k.T)[:, None]) @ v_a  # [1, T, S]
    assert scores.abs().max() <= v_a.abs().sum() + 1e-12


# --- cost per layer: attention, dense layers, RNNs, CNNs ------------------------------------

@pytest.mark.parametrize("n, D, H", [(6, 8, 2), (16, 8, 1), (4, 16, 4)])
def test_an_encoder_layer_costs_exactly_24_n_d2_plus_4_n2_d_flops(impl, n, D, H):
    layer = impl.EncoderLayer(D, H, 4 * D).double()
    flops = count_flops(layer, randn(1, n, D, seed=0))
    # Q, K, V, O projections 8nD² + FFN 16nD² (F = 4D) + QKᵀ and weights @ V 4n²D
    assert flops == 24 * n * D * D + 4 * n * n * D, f"{flops} FLOPs"


def test_the_attention_core_outweighs_the_dense_flops_only_beyond_n_equal_6d(impl):
    D = 8
    x_of = lambda n: randn(1, n, D, seed=n)  # noqa: E731
    for n in (4, 8, 16, 32, 47, 48, 49, 64):
        x = x_of(n)
        core = count_flops(impl.scaled_dot_product_attention, x, x, x)  # 4n²D
        dense = count_flops(impl.EncoderLayer(D, 1, 4 * D).double(), x) - core  # 24nD²
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


def test_attention_flops_grow_as_n_squared_not_exponentially(impl):
    D = 4
    xs = (randn(1, n, D, seed=n) for n in range(1, 65))
    flops = [count_flops(impl.scaled_dot_product_attention, x, x, x) for x in xs]
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


def test_activation_memory_of_a_layer_is_quadratic_in_n_and_linear_in_d_with_no_n_d2_term(impl):
    # saved(n, d) = c(d) + a(d)·n + b(d)·n² exactly; parameters sit in c(d), independent of n
    def coefficients(D):
        layer = impl.EncoderLayer(D, 2, 4 * D).double()
        s = [saved_numel(layer, randn(1, n, D, seed=n).requires_grad_()) for n in (2, 4, 6)]
        b = (s[2] - 2 * s[1] + s[0]) // 8  # second difference over steps of 2 is 8b
        a = (s[1] - s[0]) // 2 - 6 * b
        assert s[0] == s[1] - 2 * a - 12 * b and (s[2] - 2 * s[1] + s[0]) % 8 == 0, "not quadratic in n"
        return a, b

    (a4, b4), (a8, b8), (a16, b16) = coefficients(4), coefficients(8), coefficients(16)
    assert b4 == b8 == b16 > 0  # the n² part is H·n² attention weights: it does not grow with d
    assert a16 - a8 == 2 * (a8 - a4) > 0  # the n part is linear in d (an n·d² term would make it quadratic)
