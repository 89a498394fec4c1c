"""The contract of the `optimizers` component: AdamW, Lion and AdamW's parameter groups."""

from qbank.contract.model import component

COMPONENT = component(
    "optimizers", "AdamW and Lion",
    "AdamW (Adam with bias correction and decoupled weight decay), Lion (one momentum, sign "
    "updates), and the parameter groups that keep weight decay off biases, norms and embeddings.",
    ("AdamW", "class", '''
class AdamW(torch.optim.Optimizer):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019), as torch.optim.AdamW.

    For each parameter p with gradient g, at step t = 1, 2, ... (lr, wd from its param group):
        p   <- p * (1 - lr * wd)                      # decay: straight on the weights
        m   <- beta1 m + (1 - beta1) g                # state "exp_avg", starts at zeros
        v   <- beta2 v + (1 - beta2) g^2              # state "exp_avg_sq", starts at zeros
        p   <- p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
    The bias corrections 1/(1 - beta^t) undo the zero start, so the first step is
    lr * g / (|g| + eps): lr in every coordinate, whatever the gradient's size.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2):
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure=None):
        raise NotImplementedError
'''),
    ("Lion", "class", '''
class Lion(torch.optim.Optimizer):
    """Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"): one momentum
    buffer and the sign of an interpolation as the update.

    For each parameter p with gradient g (lr, wd from its param group):
        c <- beta1 m + (1 - beta1) g                  # the update direction, before m changes
        p <- p * (1 - lr * wd) - lr * sign(c)         # every coordinate moves by exactly lr (+ decay)
        m <- beta2 m + (1 - beta2) g                  # state "exp_avg", starts at zeros: the only state
    """

    def __init__(self, params, lr: float = 1e-4, betas: tuple[float, float] = (0.9, 0.99),
                 weight_decay: float = 0.0):
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure=None):
        raise NotImplementedError
'''),
    ("decay_param_groups", "function", '''
def decay_param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Parameter groups for AdamW that apply weight decay only to the weight matrices of the
    model's nn.Linear layers:

        [{"params": [Linear weights], "weight_decay": weight_decay},
         {"params": [everything else: biases, normalisation weights, embeddings], "weight_decay": 0.0}]

    Every parameter of the model appears exactly once (a parameter shared by two modules, such
    as a tied embedding, too; a Linear weight tied to an embedding counts as an embedding).
    """
    raise NotImplementedError
'''),
)
