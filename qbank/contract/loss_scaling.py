"""The contract of the `loss_scaling` component: dynamic loss scaling for float16 training."""

from qbank.contract.model import component

COMPONENT = component(
    "loss_scaling", "Dynamic loss scaling",
    "Scale the loss so small float16 gradients do not underflow, unscale before the update, skip "
    "the step and halve the scale on inf/NaN, grow it after a run of good steps (torch.amp.GradScaler).",
    ("LossScaler", "class", '''
class LossScaler:
    """Dynamic loss scaling, with torch.amp.GradScaler's rules and method names.

    The optimizer's parameters, and so their .grad, are float32 master weights; float16 lives
    in the computations between them (autocast). One training step, with one optimizer:

        scaler.scale(loss).backward()  # every gradient comes out multiplied by the scale
        scaler.unscale_(optimizer)     # optional (e.g. to clip): .grad /= scale, in place
        scaler.step(optimizer)         # unscale_ unless already done; then optimizer.step(),
                                       # but only if every gradient is finite (else skip it)
        scaler.update()                # adjust the scale for the next step

    Gradients are divided by the scale exactly once per step, whether or not unscale_ was
    called before step. update(): if this step's gradients held an inf or a NaN, the scale
    is multiplied by backoff_factor and the count of good steps restarts from 0; otherwise
    the count goes up by one, and when it reaches growth_interval the scale is multiplied
    by growth_factor and the count restarts from 0.
    """

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000):
        raise NotImplementedError

    def scale(self, loss: Tensor) -> Tensor:
        """loss * the current scale."""
        raise NotImplementedError

    def unscale_(self, optimizer: torch.optim.Optimizer) -> None:
        """Divide the .grad of every parameter of `optimizer` by the scale, in place, and
        note whether any of them holds an inf or a NaN."""
        raise NotImplementedError

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        """Unscale (unless unscale_ already ran this step), then optimizer.step() only if
        every gradient is finite."""
        raise NotImplementedError

    def update(self) -> None:
        """Halve the scale after a step with inf/NaN (backoff_factor), grow it after
        growth_interval good steps in a row (growth_factor)."""
        raise NotImplementedError

    def get_scale(self) -> float:
        """The current scale."""
        raise NotImplementedError
'''),
)
