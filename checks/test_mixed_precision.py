"""Mixed precision (questions/training/mixed-precision-numerics.yaml and training-techniques.yaml):
float16 underflow and dynamic loss scaling, bfloat16's range and its stalled updates, what
autocast computes in which dtype, and the memory a parameter costs with Adam.

The loss-scaling checks run the implementation's LossScaler through real backward passes of
small models under `torch.autocast("cpu", dtype=torch.float16)` (float32 master weights, float16
compute) and compare it with `torch.amp.GradScaler("cpu")`, the oracle, step for step. The
other checks derive their numbers from `torch.finfo`, real tensors' `element_size()`, autograd
hooks and a real Adam optimizer's state.
"""

import copy
import inspect
import math

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

F16, BF16, F32 = torch.float16, torch.bfloat16, torch.float32


def _linear(d_in: int, d_out: int, seed: int) -> nn.Linear:
    """A float32 nn.Linear with weights drawn from a seeded generator (the master copy)."""
    lin = nn.Linear(d_in, d_out)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        lin.weight.copy_(torch.randn(d_out, d_in, generator=g) / math.sqrt(d_in))
        lin.bias.copy_(torch.randn(d_out, generator=g) * 0.1)
    return lin


def _fp16_mean_loss(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Forward in float16 under autocast; the loss reduces in float32, as autocast's loss functions do."""
    with torch.autocast("cpu", dtype=F16):
        y = model(x)  # float16
    return y.float().mean()


def _tiny_gradient_setup(seed: int = 0):
    """A model whose true weight gradient is 1e-8 to 2.4e-8: activations of 1e-4..2e-4 times
    the upstream gradient 1/8192 of a mean over 8192 outputs. Returns the float32 master
    model, the input, and the float64 reference gradient (of the float16-rounded input,
    which is what the float16 forward sees)."""
    model = _linear(4, 8192, seed)
    x = 1e-4 * (1 + torch.rand(1, 4, generator=torch.Generator().manual_seed(seed)))
    ref = copy.deepcopy(model).double()
    ref(x.half().double()).mean().backward()
    return model, x, ref.weight.grad


def _scaled_grad(scaler, model, x) -> torch.Tensor:
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    scaler.scale(_fp16_mean_loss(model, x)).backward()
    scaler.unscale_(opt)
    return model.weight.grad.clone()


# ---------------------------------------------------------------- loss scaling (component)


def test_a_1e_8_gradient_underflows_to_zero_in_float16_and_loss_scaling_recovers_it(impl):
    model, x, reference = _tiny_gradient_setup()
    assert 1e-8 <= reference.abs().min() and reference.abs().max() < torch.finfo(F16).smallest_normal * 2 ** -11
    _fp16_mean_loss(model, x).backward()                       # no scaling
    assert (model.weight.grad == 0).all(), (
        f"the unscaled float16 backward should flush every weight gradient to 0 (true values "
        f"{reference.min():.3g}..{reference.max():.3g}, below half of float16's smallest subnormal 2^-24); "
        f"found {model.weight.grad.abs().max():.3g}")
    model.zero_grad()
    ours = _scaled_grad(impl.LossScaler(init_scale=2.0 ** 16), model, x)
    assert_close(ours.double(), reference, rtol=1e-6, atol=0, msg=lambda m: (
        f"after scale(loss).backward() and unscale_, the weight gradient should match the float64 "
        f"reference; {m}"))
    model.zero_grad()
    torchs = _scaled_grad(torch.amp.GradScaler("cpu", init_scale=2.0 ** 16), model, x)
    assert_close(ours, torchs)


def test_an_overflowing_step_is_skipped_and_halves_the_scale_until_the_gradients_fit(impl):
    # loss = sum(y): the upstream gradient is the scale itself, and the weight gradient is scale * x.
    # float16 overflows above 65504, so 2^16 (upstream inf) and 2^15 (2^15 * 2.0) overflow, 2^14 fits.
    x = torch.tensor([[1.5, 2.0, 2.25, 2.5]])
    model = _linear(4, 2, seed=1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = impl.LossScaler(init_scale=2.0 ** 16)
    weights, scales, grads_finite = [], [], []
    for _ in range(3):
        opt.zero_grad()
        before = model.weight.detach().clone()
        with torch.autocast("cpu", dtype=F16):
            y = model(x)
        scaler.scale(y.float().sum()).backward()
        grads_finite.append(bool(torch.isfinite(model.weight.grad).all()))
        scaler.step(opt)
        scaler.update()
        weights.append(model.weight.detach() - before)
        scales.append(scaler.get_scale())
    assert grads_finite == [False, False, True], (
        f"were the scaled weight gradients finite at steps 1, 2, 3? {grads_finite}; expected [False, False, True]: "
        f"scales 2^16 and 2^15 overflow float16 (max 65504), 2^14 fits")
    assert (weights[0] == 0).all() and (weights[1] == 0).all(), (
        f"a step whose gradients hold inf must leave the weights alone; they moved by "
        f"{weights[0].abs().max():.3g} and {weights[1].abs().max():.3g}")
    assert scales == [2.0 ** 15, 2.0 ** 14, 2.0 ** 14], f"scale after each step: {scales}, expected [2^15, 2^14, 2^14]"
    assert_close(weights[2], -0.1 * x.expand(2, 4), msg=lambda m: f"the third step should apply -lr * the true gradient x; {m}")


def test_the_scale_grows_after_growth_interval_good_steps_in_a_row_and_an_overflow_restarts_the_count(impl):
    w = nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([w], lr=0.01)
    scaler = impl.LossScaler(init_scale=16.0, growth_interval=3)
    events = ["ok"] * 7 + ["inf"] + ["ok"] * 3
    scales = []
    for e in events:
        opt.zero_grad()
        x = torch.tensor([1.0, 2.0, float("inf") if e == "inf" else 3.0])
        scaler.scale((w * x).sum()).backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    expected = [16.0 * 2 ** (k // 3) for k in range(1, 8)]       # x2 after every 3rd good step
    expected += [expected[-1] / 2] * 3 + [expected[-1]]           # inf: halve; then 3 good steps to grow
    assert scales == expected, f"scale after each of the steps {events}: {scales}, expected {expected}"
    # Without arguments the scaler takes GradScaler's defaults (read off its signature): the scale stays
    # at init_scale for growth_interval - 1 good steps, grows at the next, and an overflow then shrinks it.
    default = {name: p.default for name, p in inspect.signature(torch.amp.GradScaler).parameters.items()}
    interval, init = default["growth_interval"], default["init_scale"]
    scaler, w.grad = impl.LossScaler(), None
    opt = torch.optim.SGD([w], lr=0.0, foreach=False)
    scales = []
    for step in range(interval + 1):
        w.grad = scaler.scale(torch.tensor([1.0, 2.0, 3.0 if step < interval else float("inf")]))  # = scale(w·x).backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    grown = init * default["growth_factor"]
    assert scales == [init] * (interval - 1) + [grown, grown * default["backoff_factor"]], (
        f"LossScaler() should follow GradScaler's defaults {default}: the scale went "
        f"{sorted(set(scales[:interval - 1]))} over the first {interval - 1} steps, then {scales[interval - 1:]}")


def test_gradients_are_unscaled_exactly_once_when_unscale_is_called_before_step(impl):
    w = nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([w], lr=0.5)
    scaler = impl.LossScaler(init_scale=2.0 ** 10)
    x = torch.tensor([1.0, -2.0, 3.0])
    scaler.scale((w * x).sum()).backward()
    scaler.unscale_(opt)                                           # e.g. to clip the true gradients
    torch.nn.utils.clip_grad_norm_([w], max_norm=100.0)           # (a norm of 3.7: nothing to clip)
    scaler.step(opt)
    scaler.update()
    assert_close(w.grad, x, msg=lambda m: f"the gradient after step should be the true gradient {x.tolist()}, "
                                          f"found {w.grad.tolist()} (divided by the scale more than once?)")
    assert_close(w.detach(), -0.5 * x)


events = st.lists(st.sampled_from(["ok", "ok", "inf", "nan"]), min_size=1, max_size=12)


@given(events, st.integers(1, 4), st.integers(0, 20), st.booleans())
def test_loss_scaler_matches_torch_grad_scaler_step_for_step(impl, steps, growth_interval, log2_scale, unscale_first):
    x0 = torch.tensor([0.5, -1.0, 2.0])
    runs = []
    for make in (impl.LossScaler, lambda **kw: torch.amp.GradScaler("cpu", **kw)):
        w = nn.Parameter(torch.ones(3))
        opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
        scaler = make(init_scale=2.0 ** log2_scale, growth_interval=growth_interval)
        trace = []
        for i, e in enumerate(steps):
            opt.zero_grad()
            x = x0 * (i + 1)
            if e != "ok":
                x = x.clone()
                x[i % 3] = float(e)                               # the gradient of w[i % 3] is inf or NaN
            scaler.scale((w * x).sum()).backward()
            if unscale_first:
                scaler.unscale_(opt)
            scaler.step(opt)
            scaler.update()
            trace.append((scaler.get_scale(), w.detach().clone()))
        runs.append(trace)
    for i, ((s_ours, w_ours), (s_torch, w_torch)) in enumerate(zip(*runs)):
        assert s_ours == s_torch, (f"after step {i + 1} of {steps} the scale is {s_ours}; GradScaler's is {s_torch} "
                                   f"(growth_interval={growth_interval})")
        assert_close(w_ours, w_torch, msg=lambda m: f"weights after step {i + 1} of {steps}: {m}")


# ---------------------------------------------------------------- formats (fact)


def _layout(dtype: torch.dtype) -> tuple[int, int]:
    """(exponent bits, mantissa bits) read off torch.finfo: eps = 2^-mantissa, max < 2^(bias + 1)."""
    info = torch.finfo(dtype)
    mantissa = round(-math.log2(info.eps))
    bias = math.floor(math.log2(info.max))                     # the largest exponent = the bias
    exponent = round(math.log2(bias + 1)) + 1                  # bias = 2^(e - 1) - 1
    return exponent, mantissa


def test_fp32_fp16_and_bf16_split_their_bits_8_23_5_10_and_8_7_between_exponent_and_mantissa():
    layouts = {dt: _layout(dt) for dt in (F32, F16, BF16)}
    assert layouts == {F32: (8, 23), F16: (5, 10), BF16: (8, 7)}, layouts
    for dt, (e, m) in layouts.items():                         # 1 sign bit + exponent + mantissa
        assert 1 + e + m == 8 * torch.empty(0, dtype=dt).element_size()
    # the largest values: fp16 65504; bf16 and fp32 about 3.4e38 (the same exponent range)
    assert torch.finfo(F16).max == (2 - 2 ** -10) * 2 ** 15
    assert torch.finfo(BF16).smallest_normal == torch.finfo(F32).smallest_normal == 2.0 ** -126
    # fp16's smallest positive number, the subnormal with only the last mantissa bit set: 2^-24 = 6e-8
    assert torch.tensor(1, dtype=torch.int16).view(F16).item() == torch.finfo(F16).smallest_normal * 2 ** -10


BYTES = torch.arange(256, dtype=torch.int32).to(torch.uint8)  # every bit pattern of an 8-bit float


def _specials(dtype: torch.dtype) -> tuple[int, int]:
    """(how many of the 256 bit patterns of an 8-bit float are infinities, how many NaN)."""
    values = BYTES.view(dtype).float()
    return int(values.isinf().sum()), int(values.isnan().sum())


def test_fp8_e4m3_splits_its_bits_4_3_and_tops_out_at_448_with_no_infinity_while_e5m2_splits_5_2_with_fp16s_range():
    e4m3, e5m2 = torch.float8_e4m3fn, torch.float8_e5m2
    for dt, mantissa in ((e4m3, 3), (e5m2, 2)):
        assert torch.empty(0, dtype=dt).element_size() == 1
        assert torch.finfo(dt).eps == 2.0 ** -mantissa             # spacing at 1: the mantissa's last bit
    # E4M3: 1 + 4 + 3 bits; no pattern is infinite, only S.1111.111 is NaN, so the top exponent holds
    # finite numbers: the largest is 1.110b x 2^8 = 448
    assert _specials(e4m3) == (0, 2)
    assert torch.finfo(e4m3).max == 1.75 * 2 ** 8 == 448
    below_top = BYTES[(BYTES & 0x78) != 0x78].view(e4m3).float()     # had it kept the top exponent for inf/NaN
    assert below_top.max() == 240
    assert torch.finfo(e4m3).smallest_normal == 2.0 ** -6         # exponent bias 7 = 2^(4-1) - 1
    # E5M2: 1 + 5 + 2 bits, IEEE-style (two infinities, six NaNs): fp16's exponent with half its mantissa
    assert _specials(e5m2) == (2, 6)
    assert torch.finfo(e5m2).smallest_normal == torch.finfo(F16).smallest_normal == 2.0 ** -14
    assert torch.finfo(e5m2).max == (2 - 2 ** -2) * 2 ** 15 == 57344
    assert torch.tensor(1e5).to(e5m2).isinf()                      # beyond its range, as in fp16
    finite = BYTES[~BYTES.view(e5m2).float().isnan()]                # E5M2 is fp16's top byte
    as_fp16 = finite.view(e5m2).to(F16).view(torch.int16)
    assert torch.equal((as_fp16 >> 8).to(torch.uint8), finite) and (as_fp16 & 0xFF == 0).all()


def test_bf16_has_fp32s_exponent_range_so_1e_8_survives_where_fp16_flushes_it_to_zero():
    tiny = torch.tensor(1e-8, dtype=torch.float64)
    assert tiny.to(F16).item() == 0.0                          # below half of fp16's 2^-24
    assert math.isclose(tiny.to(BF16).item(), 1e-8, rel_tol=2 ** -8)  # bf16 keeps it (8 significant bits)
    assert torch.finfo(BF16).tiny < 1e-8 < torch.finfo(F16).tiny
    big = torch.tensor(1e5, dtype=torch.float64)
    assert big.to(F16).isinf() and math.isclose(big.to(BF16).item(), 1e5, rel_tol=2 ** -8)


def test_a_bf16_weight_stalls_under_updates_of_1e_3_while_an_fp32_master_copy_moves():
    w16 = nn.Parameter(torch.ones(4, dtype=BF16))
    w32 = nn.Parameter(torch.ones(4, dtype=F32))
    opt = torch.optim.SGD([w16, w32], lr=1e-3)
    for _ in range(100):
        w16.grad = torch.full_like(w16, -1.0)                  # each step adds lr * 1 = 1e-3
        w32.grad = torch.full_like(w32, -1.0)
        opt.step()
    assert (w16 == 1).all(), f"1 + 1e-3 rounds back to 1 in bf16 (spacing 2^-7 at 1), yet w16 = {w16.tolist()}"
    assert_close(w32.detach(), torch.full((4,), 1.1), rtol=1e-5, atol=0)  # 100 steps of 1e-3 add up
    assert (torch.ones(1, dtype=BF16) + 1e-3 == 1).all() and torch.finfo(BF16).eps / 2 > 1e-3


# ---------------------------------------------------------------- autocast (library)


def test_under_bf16_autocast_activation_gradients_are_bf16_and_parameter_gradients_fp32():
    model = nn.Sequential(_linear(8, 16, seed=2), nn.GELU(), _linear(16, 4, seed=3))
    x = torch.randn(5, 8, generator=torch.Generator().manual_seed(4))
    seen = {}
    with torch.autocast("cpu", dtype=BF16):
        h = model[0](x)
        h.register_hook(lambda g: seen.__setitem__("activation grad", g.dtype))
        y = model[2](model[1](h))
    seen["activation"] = h.dtype
    F.mse_loss(y, torch.zeros(5, 4)).backward()
    assert seen == {"activation": BF16, "activation grad": BF16}, seen
    assert {p.grad.dtype for p in model.parameters()} == {F32}, "the master weights' gradients stay float32"


def test_cpu_autocast_runs_matmuls_in_bf16_and_loss_functions_in_fp32():
    g = torch.Generator().manual_seed(5)
    x, w = torch.randn(4, 8, generator=g), torch.randn(8, 8, generator=g)
    target = torch.randint(8, (4,), generator=g)
    with torch.autocast("cpu", dtype=BF16):
        low = {"linear": F.linear(x, w).dtype, "matmul": (x @ w).dtype, "bmm": torch.bmm(x[None], w[None]).dtype}
        xb = x.to(BF16)                                         # even from bf16 inputs:
        high = {"cross_entropy": F.cross_entropy(xb, target).dtype, "mse_loss": F.mse_loss(xb, xb).dtype}
        follows = {"softmax of fp32": F.softmax(x, -1).dtype, "softmax of bf16": F.softmax(xb, -1).dtype,
                   "gelu of fp32": F.gelu(x).dtype, "gelu of bf16": F.gelu(xb).dtype}
    assert set(low.values()) == {BF16}, low
    assert set(high.values()) == {F32}, high
    assert follows == {"softmax of fp32": F32, "softmax of bf16": BF16, "gelu of fp32": F32, "gelu of bf16": BF16}, follows


# ---------------------------------------------------------------- memory (fact)


def _bytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def _adam_state(opt: torch.optim.Optimizer, params) -> list[torch.Tensor]:
    """Adam's per-element state: the tensors shaped like their parameter (exp_avg, exp_avg_sq);
    the scalar step counter, one per tensor rather than per element, is left out."""
    return [v for p in params for v in opt.state[p].values() if torch.is_tensor(v) and v.shape == p.shape]


def test_adam_holds_16_bytes_per_parameter_in_fp32_and_in_mixed_precision_alike():
    # Counted: weights, gradients and Adam's two moments, as they stand at the optimizer step
    # (activations and the temporary fp32 copy of a gradient made for the update are not).
    model = nn.Sequential(_linear(32, 64, seed=6), nn.GELU(), _linear(64, 32, seed=7))
    x = torch.randn(8, 32, generator=torch.Generator().manual_seed(8))
    n = sum(p.numel() for p in model.parameters())

    fp32 = copy.deepcopy(model)
    opt = torch.optim.Adam(fp32.parameters())
    fp32(x).pow(2).mean().backward()
    opt.step()
    params = list(fp32.parameters())
    fp32_bytes = [_bytes(params), _bytes(p.grad for p in params), _bytes(_adam_state(opt, params))]

    half = copy.deepcopy(model).to(BF16)                       # the working copy: bf16 weights and grads
    master = [p.detach().float().requires_grad_() for p in half.parameters()]  # fp32 master weights
    opt = torch.optim.Adam(master)
    half(x.to(BF16)).float().pow(2).mean().backward()
    for m, p in zip(master, half.parameters()):
        m.grad = p.grad.float()                                # the temporary fp32 copy for the update
    opt.step()
    mixed_bytes = [_bytes(half.parameters()), _bytes(p.grad for p in half.parameters()), _bytes(master),
                   _bytes(_adam_state(opt, master))]

    assert [b / n for b in fp32_bytes] == [4, 4, 8], fp32_bytes      # weights, grads, moments
    assert [b / n for b in mixed_bytes] == [2, 2, 4, 8], mixed_bytes  # bf16 weights, bf16 grads, master, moments
    assert sum(fp32_bytes) == sum(mixed_bytes) == 16 * n
    assert sum(mixed_bytes) + _bytes(m.grad for m in master) == 20 * n  # if the fp32 gradients were kept too


def test_bf16_autocast_halves_the_bytes_a_linear_gelu_linear_block_saves_for_backward():
    model = nn.Sequential(_linear(16, 64, seed=9), nn.GELU(), _linear(64, 16, seed=10))
    x = torch.randn(32, 16, generator=torch.Generator().manual_seed(11))

    def saved(autocast: bool) -> list[torch.Tensor]:
        kept = []
        with torch.autograd.graph.saved_tensors_hooks(lambda t: kept.append(t) or t, lambda t: t):
            with torch.autocast("cpu", dtype=BF16, enabled=autocast):
                model(x)
        return kept

    full, low = saved(False), saved(True)
    assert {t.dtype for t in full} == {F32} and {t.dtype for t in low} == {BF16}, ([t.dtype for t in low])
    assert [t.shape for t in full] == [t.shape for t in low]   # the same tensors, in half the bytes
    assert 2 * _bytes(low) == _bytes(full)
