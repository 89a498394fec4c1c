"""Weight decay on every parameter named "weight": LayerNorm gains and the embedding decay too."""
from solutions.optimizers import AdamW, Lion  # noqa: F401


def decay_param_groups(model, weight_decay):
    named = dict(model.named_parameters())
    decay = [p for n, p in named.items() if n.endswith("weight")]
    rest = [p for n, p in named.items() if not n.endswith("weight")]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


MUST_FAIL = {
    "checks/test_optimizers.py::test_decay_param_groups_decay_the_linear_weight_matrices_and_nothing_else",
}
