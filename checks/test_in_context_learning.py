"""Claims about in-context learning (questions/llm/prompting-and-in-context-learning.yaml).

A mechanism that code can show (von Oswald et al. 2023, "Transformers learn in-context by
gradient descent"): one linear self-attention layer (no softmax) with fixed weights, reading a
prompt of (x_i, y_i) pairs and a query (x_q, 0), outputs at the query exactly the prediction
of a linear model after one gradient-descent step on the prompt's pairs. The oracle for that
step is torch.optim.SGD on an nn.Linear, driven by autograd. These are facts of linear algebra:
the checks take no implementation under test.
"""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from checks.strategies import randn, seeds

F64 = torch.float64


def _prompt(X: torch.Tensor, y: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
    """Tokens e_i = (x_i, y_i) for the N examples, then each query (x_q, 0): [N + Q, d + 1]."""
    examples = torch.cat([X, y[:, None]], dim=1)
    return torch.cat([examples, torch.cat([queries, torch.zeros(len(queries), 1, dtype=F64)], dim=1)])


def _attention_weights(d: int, n_examples: int, lr: float):
    """W_Q = W_K = [[I, 0], [0, 0]] (compare the x parts), W_V = [[0, 0], [0, lr / N]] (carry y)."""
    W_QK = torch.zeros(d + 1, d + 1, dtype=F64)
    W_QK[:d, :d] = torch.eye(d, dtype=F64)
    W_V = torch.zeros(d + 1, d + 1, dtype=F64)
    W_V[d, d] = lr / n_examples
    return W_QK, W_QK, W_V


def _linear_self_attention(tokens, W_Q, W_K, W_V, n_examples: int) -> torch.Tensor:
    """tokens + sum over the example tokens j of (W_V e_j) (W_K e_j . W_Q e_t): no softmax,
    keys and values from the N examples only (the query does not attend to itself)."""
    q, k, v = tokens @ W_Q.T, tokens[:n_examples] @ W_K.T, tokens[:n_examples] @ W_V.T
    return tokens + (q @ k.T) @ v  # [N + 1, d + 1]


def _one_gradient_step(X, y, x_query, lr: float) -> torch.Tensor:
    """Prediction at x_query of a linear model w . x after one SGD step from w = 0 on the
    loss (1 / 2N) sum_i (w . x_i - y_i)^2."""
    model = nn.Linear(X.size(1), 1, bias=False, dtype=F64)
    nn.init.zeros_(model.weight)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss = 0.5 * (model(X).squeeze(-1) - y).pow(2).mean()
    loss.backward()
    opt.step()
    with torch.no_grad():
        return model(x_query[None]).squeeze()


@given(st.integers(1, 12), st.integers(1, 6), st.sampled_from([0.1, 0.5, 1.0, 3.0]), seeds)
def test_one_linear_attention_layer_outputs_the_prediction_after_one_gradient_step_on_the_prompt(N, d, lr, seed):
    X, w_task, x_query = randn(N, d, seed=seed), randn(d, seed=seed + 1), randn(d, seed=seed + 2)
    y = X @ w_task + 0.1 * randn(N, seed=seed + 3)
    out = _linear_self_attention(_prompt(X, y, x_query[None]), *_attention_weights(d, N, lr), n_examples=N)
    # the y slot of the query token; measured to agree to ~1e-15
    assert_close(out[-1, d], _one_gradient_step(X, y, x_query, lr), rtol=1e-12, atol=1e-12)
    assert_close(out[-1, :d], x_query)  # the x part passes through the residual unchanged


@pytest.mark.statistical
def test_the_same_frozen_layer_fits_whichever_linear_task_the_prompt_shows(stat_seed):
    # x ~ N(0, I_4), N = 1024 examples, 64 queries, learning rate 1: the one-step prediction is
    # x_q^T (X^T X / N) w, whose error x_q^T (X^T X / N - I) w has variance (|x_q|^2 |w|^2 +
    # (x_q . w)^2) / N, about 5 |w|^2 / 1024 = 0.005 |w|^2 per query against E[y^2] = |w|^2: the
    # expected error ratio is ~0.005 (SE over 64 queries ~0.001), the threshold 0.05 is > 40 SE
    # away. The two tasks are orthogonal and of equal norm, so a prompt of the other task gives
    # an expected ratio of |w1 - w2|^2 / |w1|^2 = 2; over 64 queries the ratio (of two
    # correlated chi-square means) has SD 0.37 (simulated, 100,000 draws), so the threshold 0.1
    # is > 5 SE below it.
    g = torch.Generator().manual_seed(stat_seed)
    d, N = 4, 1024
    W_Q, W_K, W_V = _attention_weights(d, N, lr=1.0)  # fixed: nothing below changes them
    w1, v = torch.randn(2, d, generator=g, dtype=F64)
    w2 = v - (v @ w1) / (w1 @ w1) * w1  # a second task orthogonal to the first, of the same norm
    tasks = torch.stack([w1, w2 * w1.norm() / w2.norm()])
    queries = torch.randn(64, d, generator=g, dtype=F64)
    predictions = []
    for w in tasks:
        X = torch.randn(N, d, generator=g, dtype=F64)
        out = _linear_self_attention(_prompt(X, X @ w, queries), W_Q, W_K, W_V, N)  # queries see examples only
        predictions.append(out[N:, d])
    for i, w in enumerate(tasks):
        truth = queries @ w
        own = (predictions[i] - truth).pow(2).mean() / truth.pow(2).mean()
        other = (predictions[1 - i] - truth).pow(2).mean() / truth.pow(2).mean()
        assert own < 0.05, f"task {i}: relative error {own:.4f} of the prediction from its own prompt"
        assert other > 0.1, f"task {i}: a prompt of the other task should not fit it; relative error {other:.4f}"
