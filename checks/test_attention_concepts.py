"""Claims about what self-attention is and how to read it (questions/attention/self-attention.yaml,
query-key-value-projections.yaml, why-separate-query-and-key-projections.yaml,
are-attention-weights-explanations.yaml).

The formula oracle is written out here with einsum and the module's own nn.Linear weights
(never the module's forward); modules carry seeded float64 weights (checks/modules.py).
"Shared" means one projection W used for both queries and keys (W_Q = W_K); the scores are
then the Gram matrix of the rows of X W, scaled by 1/√Dk. The two statistical checks draw
their sample from `stat_seed` (checks/conftest.py); their comments give the seed-0 values, the
standard errors and the margins (>= 5 SE), and they pass for seeds 1..200. Facts of the formula
that no classic bug would break (W_Q W_Kᵀ identifiability, Cauchy-Schwarz) are checked on
PyTorch's own softmax and attention, without `impl`.
"""

import math
from functools import lru_cache

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch.testing import assert_close

from checks import capabilities as caps
from checks.modules import seeded_attention
from checks.strategies import qkv, randn, seeds, sizes

heads = st.integers(min_value=1, max_value=3)


def _single_head_by_hand(m, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """softmax((x W_Qᵀ + b_Q)(x W_Kᵀ + b_K)ᵀ / √D) (x W_Vᵀ + b_V) W_Oᵀ + b_O from the module's
    own weights (separate or fused: checks/capabilities.py): one head, so Dk = D. `mask`
    (True = may attend) sets the blocked scores to -inf."""
    q, k, v = (x @ lin.weight.T + lin.bias for lin in caps.projections(m))  # [B, T, D] each
    scores = torch.einsum("btd,bsd->bts", q, k) / math.sqrt(x.size(-1))  # [B, T, T]
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.einsum("bts,bsd->btd", scores.softmax(dim=-1), v) @ m.out_proj.weight.T + m.out_proj.bias


# --- self-attention -------------------------------------------------------------------------

@given(sizes, sizes, sizes, seeds)
def test_self_attention_projects_queries_keys_and_values_from_one_sequence_then_mixes_the_values(
        impl, B, T, D, seed):
    m = seeded_attention(impl.MultiHeadAttention, D, 1, seed)
    x = randn(B, T, D, seed=seed + 1)
    _, _, _, causal = caps.self_regime(m, x, x, x)  # a causal-only module: by hand under the causal mask too
    assert_close(caps.attend(m, x, x, x, causal), _single_head_by_hand(m, x, causal))


def test_without_a_mask_every_self_attention_output_depends_on_every_input_position(impl):
    # a position that cannot see another gives a Jacobian block of exact zeros (float64
    # noise would be ~1e-16); measured smallest block norm 0.12, 0.0074, 0.076 for seeds 0, 1, 2
    for seed in range(3):
        m = seeded_attention(impl.MultiHeadAttention, 4, 2, seed)
        caps.require(m, "full attention")
        J = torch.autograd.functional.jacobian(lambda x: caps.attend(m, x, x, x), randn(1, 5, 4, seed=seed + 10))
        blocks = J[0, :, :, 0].norm(dim=(1, 3))  # [T, T]: how much output t moves with input s
        assert blocks.min() > 1e-6, f"seed {seed}: some output ignores some input position\n{blocks}"


@given(sizes, sizes, heads, heads, seeds)
def test_each_query_position_computed_alone_gives_its_row_of_the_all_positions_output(impl, B, T, H, Dk, seed):
    m = seeded_attention(impl.MultiHeadAttention, H * Dk, H, seed)
    caps.require(m, "cross inputs")  # one query against all T keys
    x = randn(B, T, H * Dk, seed=seed + 1)
    full = caps.attend(m, x, x, x)
    for t in range(T):  # no query row waits for another: all T rows can be computed at once
        assert_close(caps.attend(m, x[:, t:t + 1], x, x), full[:, t:t + 1])


# --- what Q, K and V do -----------------------------------------------------------------------

@given(sizes, sizes, seeds)
def test_changing_the_value_projection_changes_the_output_but_not_the_attention_weights(impl, T, D, seed):
    m = seeded_attention(impl.MultiHeadAttention, D, 1, seed)
    x = randn(1, T, D, seed=seed + 1)
    _, _, _, causal = caps.self_regime(m, x, x, x)  # None, or a causal-only module's causal mask
    before = caps.attend(m, x, x, x, causal)
    w_q, w_k, w_v = caps.projections(m)
    w = impl.attention_weights(w_q(x), w_k(x), causal).detach()  # [1, T, T], from W_Q and W_K only
    delta = randn(D, D, seed=seed + 2)
    with torch.no_grad():
        w_v.weight.add_(delta)
    after = caps.attend(m, x, x, x, causal)
    # the output moves by exactly the same weights applied to the changed values
    assert_close(after - before, (w @ (x @ delta.T)) @ m.out_proj.weight.T)
    assert (after - before).abs().max() > 1e-6, "a new W_V should change the output"


@given(qkv(batch=()), seeds)
def test_weights_depend_on_w_q_and_w_k_only_through_the_product_w_q_w_k_transpose(qkv, seed):
    q, k, _ = qkv
    Dk = q.size(-1)
    rotation = torch.linalg.qr(randn(Dk, Dk, seed=seed)).Q
    stretch = torch.linspace(0.5, 2.0, Dk, dtype=torch.float64)
    A = rotation * stretch  # invertible: rotation @ diag(stretch)
    A_inv_T = rotation / stretch  # (A⁻¹)ᵀ = rotation @ diag(1 / stretch)
    # q A and k A⁻ᵀ are the projections W_Q A and W_K A⁻ᵀ: the same product W_Q W_Kᵀ. A fact of
    # the formula softmax(q kᵀ/√Dk), checked on PyTorch's own attention (the weights: SDPA with v = I)
    eye = torch.eye(k.size(-2), dtype=torch.float64)
    assert_close(F.scaled_dot_product_attention(q @ A, k @ A_inv_T, eye), F.scaled_dot_product_attention(q, k, eye))


def test_a_d_model_by_dk_matrix_multiplies_row_vector_tokens_from_the_right():
    T, D, Dk = 3, 4, 2
    X, W = randn(T, D, seed=0), randn(D, Dk, seed=1)  # tokens as rows; W is d_model x d_k
    Q = X @ W  # [T, D] @ [D, Dk] -> [T, Dk]
    assert Q.shape == (T, Dk)
    assert_close(Q, F.linear(X, W.T))  # nn.Linear stores W transposed, [Dk, D], and computes X Wᵀ
    try:
        W @ X  # the column-vector formula "W X" with the same d_model x d_k matrix
    except RuntimeError:
        pass
    else:
        raise AssertionError("W @ X should not type-check for a d_model x d_k W and row tokens X")
    assert_close(W.T @ X.T, Q.T)  # the column convention needs the transposed, d_k x d_model matrix


# --- sharing one projection for queries and keys ----------------------------------------------

@given(st.integers(2, 5), sizes, sizes, seeds)
def test_with_one_shared_projection_for_queries_and_keys_the_scores_are_symmetric(impl, T, D, Dk, seed):
    X, W = randn(T, D, seed=seed), randn(D, Dk, seed=seed + 1)
    q = X @ W  # the shared projection: every token's query is also its key
    w = impl.attention_weights(q, q)  # [T, T]: w_ts = exp(s_ts) / Z_t
    # with s_ts = q_t·q_s/√Dk (the Gram matrix, symmetric), w_ts·Z_t = exp(s_ts) = w_st·Z_s
    log_Z = torch.logsumexp(q @ q.T / math.sqrt(Dk), dim=-1)  # [T]: each row's normaliser
    unnormalised = w * log_Z.exp()[:, None]  # [T, T]
    assert_close(unnormalised, unnormalised.T, msg=lambda m: f"w_ts·Z_t is not symmetric:\n{m}")
    assert_close(unnormalised, (q @ q.T / math.sqrt(Dk)).exp())


def test_with_separate_projections_the_scores_are_not_symmetric():
    # measured: largest |S - Sᵀ| is 3.0 to 12.5 over these seeds
    for seed in range(5):
        X, W_Q, W_K = randn(4, 4, seed=seed), randn(4, 4, seed=seed + 10), randn(4, 4, seed=seed + 20)
        scores = (X @ W_Q) @ (X @ W_K).T / 2
        assert (scores - scores.T).abs().max() > 0.5, f"seed {seed}: scores look symmetric"


@given(sizes, sizes, seeds, st.floats(0.1, 3.0))
def test_with_a_shared_projection_and_equal_query_norms_every_token_weighs_itself_most(T, Dk, seed, length):
    q = randn(T, Dk, seed=seed)
    q = length * q / q.norm(dim=-1, keepdim=True)  # every q_t has the same norm
    w = (q @ q.T / math.sqrt(Dk)).softmax(-1)  # shared projection: keys are the queries (a fact of the formula)
    # Cauchy–Schwarz: q_t·q_s <= |q_t||q_s| = |q_t|² = q_t·q_t
    assert (w.diagonal()[:, None] >= w - 1e-12).all(), f"a token outweighs itself:\n{w}"


def test_with_a_shared_projection_a_longer_neighbour_outweighs_the_token_itself(impl):
    q = torch.tensor([[1.0, 0.0], [3.0, 0.0]], dtype=torch.float64)  # same direction, 3x the norm
    w = impl.attention_weights(q, q)
    assert w[0].argmax() == 1, f"token 0 should weigh token 1 most: {w[0]}"
    assert w[0, 1] > 0.8, f"token 1 should get 0.80 of token 0's weight:\n{w}"  # scores [1, 3] / √2: weights 0.196, 0.804


@given(seeds)
def test_a_shared_projection_never_lets_two_tokens_each_prefer_the_other_to_itself(seed):
    q = randn(2, 3, seed=seed)  # two tokens' shared projections
    w = (q @ q.T / math.sqrt(3)).softmax(-1)  # a fact of any row-wise softmax of a Gram matrix
    # q0·q1 > q0·q0 and q0·q1 > q1·q1 would give (q0·q1)² > |q0|²|q1|², against Cauchy–Schwarz
    assert not (w[0, 1] > w[0, 0] and w[1, 0] > w[1, 1]), w


def test_separate_projections_can_make_two_tokens_each_attend_to_the_other(impl):
    x = torch.eye(2, dtype=torch.float64)  # two tokens, one-hot
    W_Q = 4 * torch.eye(2, dtype=torch.float64)
    W_K = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)  # key of token s = x_{1-s}
    w = impl.attention_weights(x @ W_Q, x @ W_K)  # scores [[0, 4], [4, 0]] / √2
    assert w[0, 1] > 0.9 and w[1, 0] > 0.9, f"each token should attend to the other:\n{w}"


@lru_cache(maxsize=3)  # one seed's samples, one per Dk
def _shared_vs_separate(impl, Dk: int, stat_seed: int, R: int = 50, T: int = 16, D: int = 64):
    """Over R random sequences X [T, D] (entries N(0, 1)), each with its own projections of
    N(0, 1/D) entries: per sequence, the mean diagonal weight with W_Q = W_K, the same with
    separate W_Q, W_K, and the mean relative distance of the shared-projection output from the
    pointwise map X W_V. Returns three [R] tensors."""
    g = torch.Generator().manual_seed(10_000 * stat_seed + Dk)
    X = torch.randn(R, T, D, generator=g, dtype=torch.float64)
    W_Q, W_K, W_V = torch.randn(3, R, D, Dk, generator=g, dtype=torch.float64) / math.sqrt(D)
    q, k, v = X @ W_Q, X @ W_K, X @ W_V
    shared, separate = impl.attention_weights(q, q), impl.attention_weights(q, k)
    out = impl.scaled_dot_product_attention(q, q, v)
    return (shared.diagonal(dim1=-2, dim2=-1).mean(-1), separate.diagonal(dim1=-2, dim2=-1).mean(-1),
            ((out - v).norm(dim=-1) / v.norm(dim=-1)).mean(-1))


DKS = (4, 16, 64)


@pytest.mark.statistical
def test_with_a_shared_projection_the_weight_on_the_diagonal_grows_with_dk(impl, stat_seed):
    # The self-score |q_t|²/√Dk grows like √Dk while cross scores stay ~N(0, 1). Seed 0 (T = 16,
    # 50 sequences, each with its own projections): shared 0.27, 0.62, 0.97; separate 0.066,
    # 0.063, 0.061 (uniform = 1/16 = 0.0625). SE of each mean over the 50 sequences (their sd /
    # √50): <= 0.008 shared, <= 0.003 separate. The steps (0.35, 0.35) are > 0.1 + 20 SE, 0.97 is
    # > 30 SE above 0.9, and 0.06 is > 25 SE below 0.15.
    shared = [_shared_vs_separate(impl, Dk, stat_seed)[0].mean().item() for Dk in DKS]
    separate = [_shared_vs_separate(impl, Dk, stat_seed)[1].mean().item() for Dk in DKS]
    assert all(a + 0.1 < b for a, b in zip(shared, shared[1:])), f"shared: {shared}"
    assert shared[-1] > 0.9, f"at Dk = 64 shared attention should be nearly the identity: {shared}"
    assert all(s < 0.15 for s in separate), f"separate projections should stay near uniform: {separate}"


@pytest.mark.statistical
def test_as_shared_projection_attention_nears_the_identity_the_output_nears_the_pointwise_map_x_w_v(impl, stat_seed):
    # Seed 0: mean |out_t - x_t W_V| / |x_t W_V| = 0.79, 0.40, 0.035 for Dk = 4, 16, 64; SE over
    # the 50 sequences <= 0.009. The ratios asserted (1.5x) and the bound 0.1 are > 10 SE away.
    gaps = [_shared_vs_separate(impl, Dk, stat_seed)[2].mean().item() for Dk in DKS]
    assert all(a > 1.5 * b for a, b in zip(gaps, gaps[1:])), f"gaps: {gaps}"
    assert gaps[-1] < 0.1, f"at Dk = 64 each output should be close to its own value: {gaps}"


def test_a_shared_projection_still_scores_every_pair_and_mixes_in_other_tokens(impl):
    # small Dk: shared attention is far from the identity; measured smallest weight 0.15 and
    # output change 0.51 when token 3 is replaced
    X, W, W_V = randn(4, 6, seed=0), randn(6, 2, seed=1) / math.sqrt(6), randn(6, 2, seed=2) / math.sqrt(6)
    q = X @ W
    w = impl.attention_weights(q, q)
    assert (w > 1e-3).all(), f"every off-diagonal pair should get weight:\n{w}"
    X2 = X.clone()
    X2[3] = randn(6, seed=3)
    out, out2 = (impl.scaled_dot_product_attention(x @ W, x @ W, x @ W_V) for x in (X, X2))
    assert (out2[0] - out[0]).abs().max() > 0.01, "token 0's output should depend on token 3"


# --- reading the weights as explanations ------------------------------------------------------

def test_different_attention_weights_give_the_same_output_when_value_rows_coincide(impl):
    # keys k0 = (1, 0), k1 = (-1, 0), k2 = (0, 1); √2 undoes the 1/√Dk of the scores
    k = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    q = math.sqrt(2) * torch.tensor([[0.0, 0.0], [math.log(3), math.log(5 / 3)]], dtype=torch.float64)
    v = torch.tensor([[1.0, 2.0], [1.0, 2.0], [-3.0, 0.5]], dtype=torch.float64)  # v0 = v1
    w = impl.attention_weights(q, k)
    assert_close(w, torch.tensor([[1 / 3, 1 / 3, 1 / 3], [0.6, 1 / 15, 1 / 3]], dtype=torch.float64))
    out = impl.scaled_dot_product_attention(q, k, v)
    assert_close(out[0], out[1])  # two different attention maps, one output


@given(seeds)
def test_with_more_keys_than_value_dimensions_plus_one_many_weight_rows_give_the_same_output(impl, seed):
    S, Dv = 4, 2
    v = randn(S, Dv, seed=seed)
    p = randn(S, seed=seed + 1).softmax(-1)  # a weight row with every entry > 0
    # a direction that changes no output coordinate and keeps the sum: the null space of
    # [vᵀ; 1ᵀ] (3 x 4) is not empty
    n = torch.linalg.svd(torch.cat([v.T, torch.ones(1, S, dtype=v.dtype)])).Vh[-1]
    p2 = p + 0.5 * p.min() / n.abs().max() * n  # still > 0, still sums to 1
    # any positive row is the softmax of its log: keys √S·I make the scores q itself
    k = math.sqrt(S) * torch.eye(S, dtype=torch.float64)
    q = torch.stack([p.log(), p2.log()])
    w = impl.attention_weights(q, k)
    assert_close(w, torch.stack([p, p2]))
    assert (w[0] - w[1]).abs().max() > 1e-3 * p.min(), "the two weight rows should differ"
    out = impl.scaled_dot_product_attention(q, k, v)
    assert_close(out[0], out[1])


def test_the_key_with_the_largest_weight_can_contribute_nothing_to_the_output(impl):
    k = torch.tensor([[2.0, 0.0], [0.0, 0.0], [0.0, 0.0]], dtype=torch.float64)
    q = torch.tensor([[2.0, 0.0]], dtype=torch.float64)  # scores [4, 0, 0] / √2
    v = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]], dtype=torch.float64)  # key 0 carries nothing
    w = impl.attention_weights(q, k)[0]
    out = impl.scaled_dot_product_attention(q, k, v)[0]

    def without(s):  # the output with key s's contribution w_s v_s removed, the weights kept
        v2 = v.clone()
        v2[s] = 0
        return impl.scaled_dot_product_attention(q, k, v2)[0]

    assert w[0] > 0.8 and w[1] < 0.1, f"key 0 should hold most of the weight: {w}"  # 0.89, 0.053
    assert_close(without(0), out)  # removing the most-attended key changes nothing
    moved = (without(1) - out).norm().item()
    assert moved > 0.5, f"removing key 1 moved the output by {moved}"  # 5.3 % of the weight moves it by 0.53


def test_an_output_depends_on_tokens_that_its_layers_weights_give_zero(impl):
    # layer 2 lets each position attend only to itself, so its weights are the identity and
    # "explain" output t by token t alone; layer 1 has already mixed every token into it.
    # Measured: smallest Jacobian block norm 0.20 (layer 2 alone: exact zeros off the diagonal).
    first, second = seeded_attention(impl.MultiHeadAttention, 4, 2, 0), seeded_attention(impl.MultiHeadAttention, 4, 2, 1)
    only_itself = torch.eye(5, dtype=torch.bool)
    caps.require(first, "full attention")  # layer 1 must mix every token into every position

    def two_layers(x):
        h = caps.attend(first, x, x, x)
        return caps.attend(second, h, h, h, only_itself)

    x = randn(1, 5, 4, seed=2)
    alone = torch.autograd.functional.jacobian(lambda h: caps.attend(second, h, h, h, only_itself),
                                               x)[0, :, :, 0].norm(dim=(1, 3))
    assert_close(alone * ~only_itself, torch.zeros(5, 5, dtype=torch.float64))  # layer 2 mixes nothing
    blocks = torch.autograd.functional.jacobian(two_layers, x)[0, :, :, 0].norm(dim=(1, 3))  # [T, T]
    assert blocks.min() > 1e-6, f"some output ignores a token:\n{blocks}"
