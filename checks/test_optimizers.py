"""Optimizers and the optimizer step (questions/training/optimizer-details.yaml,
training-techniques.yaml, learning-rate-schedules.yaml): AdamW's bias correction and decoupled
weight decay, Lion's single state, the parameter groups weight decay is given, Adafactor's
factored state, RAdam's built-in warmup, gradient clipping and accumulation, and why the
linear learning-rate scaling rule belongs to SGD.

Oracles: torch.optim.AdamW for impl.AdamW, checks/oracles/lion.py for impl.Lion, a real
torch.optim.AdamW step for impl.decay_param_groups. Library checks exercise torch.optim itself.
"""

import copy
import math

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from checks.oracles.lion import lion_update
from checks.strategies import randn, seeds

F64 = torch.float64


def _params(seed: int, *shapes) -> list[nn.Parameter]:
    return [nn.Parameter(randn(*shape, seed=seed + i)) for i, shape in enumerate(shapes)]


def _moves(opt_cls, grad: torch.Tensor, steps: int = 1, start: torch.Tensor | None = None, **kw) -> list[torch.Tensor]:
    """Each step's change of a parameter (starting at `start`, default zeros) under a constant gradient."""
    p = nn.Parameter(torch.zeros_like(grad) if start is None else start.clone())
    opt = opt_cls([p], **kw)
    out = []
    for _ in range(steps):
        before = p.detach().clone()
        p.grad = grad.clone()
        opt.step()
        out.append(p.detach() - before)
    return out


# ---------------------------------------------------------------- AdamW (component)


@given(seeds, st.sampled_from([1e-3, 0.1]), st.sampled_from([0.0, 0.01, 0.3]),
       st.sampled_from([(0.9, 0.999), (0.8, 0.95), (0.0, 0.5)]), st.booleans())
def test_adamw_matches_torch_adamw_step_for_step(impl, seed, lr, wd, betas, defaults):
    ours, ref = _params(seed, (3, 4), (4,)), _params(seed, (3, 4), (4,))
    # with `defaults`, both optimizers get no hyperparameter at all: the contract's defaults are torch's
    kw = {} if defaults else dict(lr=lr, betas=betas, eps=1e-8, weight_decay=wd)
    opt = impl.AdamW(ours, **kw)
    oracle = torch.optim.AdamW(ref, **kw)
    for step in range(5):
        for k, (a, b) in enumerate(zip(ours, ref)):
            a.grad = randn(*a.shape, seed=seed + 100 * step + k) * 10 ** (k - 1)  # two gradient scales
            b.grad = a.grad.clone()
        opt.step()
        oracle.step()
        for a, b in zip(ours, ref):
            assert_close(a.detach(), b.detach(), msg=lambda m: f"after step {step + 1}: {m}")


@given(seeds, st.sampled_from([1e-6, 1e-2, 1.0, 1e4]))
def test_adamw_first_step_moves_every_coordinate_by_lr_whatever_the_gradient_scale(impl, seed, scale):
    grad = randn(6, seed=seed) * scale
    (move,) = _moves(impl.AdamW, grad, lr=0.1, weight_decay=0.0, eps=0.0)
    assert_close(move, -0.1 * grad.sign(), rtol=1e-12, atol=0, msg=lambda m: (
        f"the first step should be -lr * sign(g) = ±0.1 (bias correction undoes the zero start of m and v), "
        f"whatever the gradient's size ({scale:g}); it moved by {move.tolist()}"))


def test_adamw_with_zero_gradient_shrinks_weights_by_exactly_lr_times_weight_decay(impl):
    start = torch.tensor([1.0, -2.0, 0.5], dtype=F64)
    moves = _moves(impl.AdamW, torch.zeros(3, dtype=F64), steps=3, start=start, lr=0.1, weight_decay=0.1)
    expected = [start * (1 - 0.01) ** k * -0.01 for k in range(3)]  # p <- p (1 - lr wd): decay, nothing else
    assert_close(moves, expected, msg=lambda m: (
        f"with a zero gradient each AdamW step should only multiply the weights by 1 - lr*wd = 0.99: moves "
        f"{[x.tolist() for x in moves]}, expected {[x.tolist() for x in expected]} (decay sent through "
        f"m/sqrt(v), as L2, would move each by a full lr)"))


# ---------------------------------------------------------------- Lion (component)

LION_DEFAULTS = (1e-4, 0.0, (0.9, 0.99))  # lr, weight decay, betas: Chen et al.'s, the contract's defaults


@given(seeds, st.sampled_from([1e-4, 0.05]), st.sampled_from([0.0, 0.1]), st.sampled_from([(0.9, 0.99), (0.95, 0.98)]),
       st.booleans())
def test_lion_matches_the_sign_of_interpolated_momentum_update_step_for_step(impl, seed, lr, wd, betas, defaults):
    (p,) = _params(seed, (4, 3))
    if defaults:  # the paper's settings are the contract's defaults: pass none
        (lr, wd, betas), opt = LION_DEFAULTS, impl.Lion([p])
    else:
        opt = impl.Lion([p], lr=lr, betas=betas, weight_decay=wd)
    q, m = p.detach().clone(), torch.zeros(4, 3, dtype=F64)
    for step in range(5):
        p.grad = randn(4, 3, seed=seed + step + 1)
        opt.step()
        q, m = lion_update(q, p.grad, m, lr, *betas, wd)
        assert_close(p.detach(), q, msg=lambda msg: f"after step {step + 1}: {msg}")


def _state_tensors(opt: torch.optim.Optimizer, p: torch.Tensor) -> dict[str, torch.Tensor]:
    """The optimizer's per-element state of p: the state tensors shaped like p."""
    return {k: v for k, v in opt.state[p].items() if torch.is_tensor(v) and v.shape == p.shape}


def test_lion_keeps_one_state_tensor_per_parameter_where_adamw_keeps_two(impl):
    states = {}
    for name, cls in (("Lion", impl.Lion), ("AdamW", impl.AdamW)):
        (p,) = _params(0, (8, 4))
        opt = cls([p])
        p.grad = randn(8, 4, seed=1)
        opt.step()
        states[name] = _state_tensors(opt, p)
    bytes_per = {k: sum(v.numel() * v.element_size() for v in s.values()) / 32 for k, s in states.items()}
    assert (len(states["Lion"]), len(states["AdamW"])) == (1, 2), (
        f"state tensors kept per parameter: {({k: sorted(s) for k, s in states.items()})}; Lion should keep one "
        f"(its momentum), AdamW two (both moments)")
    assert bytes_per["Lion"] * 2 == bytes_per["AdamW"], bytes_per  # float64 here: 8 vs 16 bytes per parameter


@given(seeds, st.sampled_from([1e-6, 1.0, 1e4]))
def test_every_lion_step_moves_every_coordinate_by_exactly_lr(impl, seed, scale):
    (p,) = _params(seed, (5,))
    opt = impl.Lion([p], lr=1e-3)
    for step in range(3):
        before = p.detach().clone()
        p.grad = randn(5, seed=seed + step + 1) * scale
        opt.step()
        assert_close((p.detach() - before).abs(), torch.full((5,), 1e-3, dtype=F64), msg=lambda m: (
            f"step {step + 1}: a sign update moves each coordinate by lr = 1e-3 whatever the gradient's size; {m}"))


# ---------------------------------------------------------------- weight-decay groups (component)


def _tiny_model() -> nn.ModuleDict:
    """An embedding, a LayerNorm, Linear layers with and without bias, and a head tied to the embedding."""
    model = nn.ModuleDict(dict(embed=nn.Embedding(10, 8), norm=nn.LayerNorm(8), proj=nn.Linear(8, 8),
                               ffn=nn.Sequential(nn.Linear(8, 16, bias=False), nn.GELU(), nn.Linear(16, 8)),
                               head=nn.Linear(8, 10, bias=False)))
    model["head"].weight = model["embed"].weight  # tied output layer
    return model.double()


def test_decay_param_groups_decay_the_linear_weight_matrices_and_nothing_else(impl):
    model = _tiny_model()
    groups = impl.decay_param_groups(model, 0.1)
    listed = [p for g in groups for p in g["params"]]
    assert sorted(map(id, listed)) == sorted(id(p) for p in model.parameters()), (
        "every parameter must be in exactly one group (the tied embedding/head weight once)")
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = torch.optim.AdamW(groups, lr=0.1)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()
    shrunk = sorted(n for n, p in model.named_parameters() if not torch.equal(p.detach(), before[n]))
    assert shrunk == ["ffn.0.weight", "ffn.2.weight", "proj.weight"], (
        f"with zero gradients, AdamW changed {shrunk}; only the Linear weight matrices should decay "
        f"(not biases, the LayerNorm, or the embedding tied to the head)")
    assert_close(model["proj"].weight.detach(), before["proj.weight"] * (1 - 0.1 * 0.1))


# ---------------------------------------------------------------- torch.optim (library)


def test_with_zero_gradient_adamw_shrinks_a_weight_by_lr_times_wd_but_adam_with_l2_takes_a_full_step():
    start = torch.ones(1, dtype=F64)
    (adamw,) = _moves(torch.optim.AdamW, torch.zeros(1, dtype=F64), start=start, lr=0.1, weight_decay=0.1)
    (adam_l2,) = _moves(torch.optim.Adam, torch.zeros(1, dtype=F64), start=start, lr=0.1, weight_decay=0.1)
    assert_close(start + adamw, start * (1 - 0.1 * 0.1))     # 0.99: decay decoupled from the gradient
    assert_close(start + adam_l2, start - 0.1, atol=1e-6, rtol=0)  # 0.90: wd*w went through m/sqrt(v)


def test_adam_keeps_two_state_tensors_per_parameter():
    (p,) = _params(0, (3,))
    opt = torch.optim.AdamW([p])
    p.grad = torch.ones_like(p)
    opt.step()
    assert set(_state_tensors(opt, p)) == {"exp_avg", "exp_avg_sq"}


def test_without_bias_correction_adams_first_step_would_be_3_2_times_larger():
    # torch.optim.Adam's raw moments after one step: m = (1 - b1) g, v = (1 - b2) g^2
    (p,) = _params(0, (5,))
    opt = torch.optim.Adam([p], lr=0.1, eps=0.0)                # betas (0.9, 0.999)
    before = p.detach().clone()
    p.grad = randn(5, seed=1)
    opt.step()
    raw = opt.state[p]["exp_avg"] / opt.state[p]["exp_avg_sq"].sqrt()  # m / sqrt(v), uncorrected
    assert_close(raw, p.grad.sign() * (1 - 0.9) / math.sqrt(1 - 0.999))  # 3.16 in every coordinate
    assert_close((p.detach() - before).abs(), torch.full((5,), 0.1, dtype=F64))  # the corrected step: lr


def test_torch_adafactor_keeps_a_row_and_a_column_vector_for_a_weight_matrix():
    n, m = 64, 32
    w = nn.Parameter(randn(n, m, seed=0))
    ada, adam = torch.optim.Adafactor([w]), torch.optim.Adam([w])
    w.grad = randn(n, m, seed=1)
    ada.step()
    adam.step()
    count = lambda opt: sum(v.numel() for v in opt.state[w].values() if torch.is_tensor(v) and v.dim() > 0)
    shapes = sorted(tuple(v.shape) for v in ada.state[w].values() if torch.is_tensor(v) and v.dim() > 0)
    assert shapes == [(1, m), (n, 1)], shapes                  # second moment factored: rows and columns
    assert (count(ada), count(adam)) == (n + m, 2 * n * m)     # 96 numbers against 4096


def test_radam_takes_plain_momentum_steps_first_then_adaptive_steps_scaled_up_from_near_zero():
    grad = torch.tensor([2.0, -0.5, 1e-3], dtype=F64)
    moves = _moves(torch.optim.RAdam, grad, steps=12, lr=0.1, eps=0.0)  # betas (0.9, 0.999)
    for t in range(5):                                          # rho_t <= 5: no adaptive rate yet
        assert_close(moves[t], -0.1 * grad, msg=lambda m: f"step {t + 1} should be -lr * m_hat = -lr * g; {m}")
    rect = [(moves[t][0] / -0.1).item() for t in range(5, 12)]  # then lr * r_t * sign(g), r_t rising
    for t in range(5, 12):
        assert_close(moves[t], moves[t][0].abs() * -grad.sign())  # the same size in every coordinate
    assert rect == sorted(rect) and rect[0] < 0.05 and rect[-1] < 0.1, rect


@given(seeds, st.sampled_from([0.1, 1.0, 100.0]))
def test_clipping_by_norm_caps_the_norm_and_keeps_the_direction(seed, max_norm):
    params = _params(seed, (3, 4), (5,))
    grads = [randn(3, 4, seed=seed + 7) * 10, randn(5, seed=seed + 8) * 10]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    before = torch.cat([g.flatten() for g in grads])
    torch.nn.utils.clip_grad_norm_(params, max_norm)
    after = torch.cat([p.grad.flatten() for p in params])       # the norm is over all parameters jointly
    assert_close(after.norm(), torch.minimum(before.norm(), torch.tensor(max_norm, dtype=F64)), rtol=1e-6, atol=0)
    assert_close(F.cosine_similarity(after, before, dim=0).item(), 1.0)


def test_accumulating_micro_batch_gradients_of_the_loss_over_n_equals_the_full_batch_gradient():
    model = nn.Linear(6, 3, dtype=F64)
    x, y = randn(32, 6, seed=3), randn(32, 3, seed=4)
    F.mse_loss(model(x), y).backward()
    full = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    for xb, yb in zip(x.chunk(4), y.chunk(4)):
        (F.mse_loss(model(xb), yb) / 4).backward()              # gradients add up across backward calls
    for g_full, p in zip(full, model.parameters()):
        assert_close(p.grad, g_full)


def test_for_sgd_one_step_at_k_times_the_lr_on_a_k_times_larger_batch_matches_k_small_steps_to_first_order():
    # Linear regression, k = 4 micro-batches of 8. The gap between 4 small SGD steps at lr and one
    # step at 4 lr on all 32 examples shrinks as lr^2: halving lr quarters it (Goyal et al. 2017's rule).
    x, y, k = randn(32, 6, seed=5), randn(32, 1, seed=6), 4
    model = nn.Linear(6, 1, dtype=F64)

    def gap(lr: float) -> float:
        small, big = copy.deepcopy(model), copy.deepcopy(model)
        opt = torch.optim.SGD(small.parameters(), lr=lr)
        for xb, yb in zip(x.chunk(k), y.chunk(k)):
            opt.zero_grad()
            F.mse_loss(small(xb), yb).backward()
            opt.step()
        opt = torch.optim.SGD(big.parameters(), lr=k * lr)
        F.mse_loss(big(x), y).backward()
        opt.step()
        moved = torch.cat([(a - b).flatten() for a, b in zip(big.parameters(), model.parameters())]).norm()
        diff = torch.cat([(a - b).flatten() for a, b in zip(small.parameters(), big.parameters())]).norm()
        return (diff / moved).item()                            # relative to the step itself

    ratios = [gap(lr) / gap(lr / 2) for lr in (1e-2, 1e-3)]
    assert all(abs(r - 2) < 0.1 for r in ratios), ratios        # relative gap ∝ lr: absolute gap ∝ lr^2
    assert gap(1e-3) < 1e-2
