"""The contract of the `moe` component: Mixture-of-experts routing."""

from qbank.contract.model import component

COMPONENT = component(
    "moe", "Mixture-of-experts routing",
    "A router sends each token to its top-k of E expert FFNs: Switch and renormalised gates, the "
    "load-balancing loss, expert capacity.",
    ("top_k_gates", "function", '''
def top_k_gates(logits: Tensor, k: int, renormalize: bool) -> Tensor:
    """Gate weights of each token for the E experts, non-zero for its top-k only.

    logits: [N, E] router scores (N tokens, E experts)
    renormalize=False (Switch Transformer): p = softmax(logits) over ALL E experts, kept at the
        top-k experts as it is (no renormalisation), 0 elsewhere.
    renormalize=True (GShard, Mixtral): softmax over the k largest logits only, 0 elsewhere,
        so each row sums to 1. (With k = 1 that weight is always exactly 1.)
    returns [N, E]
    """
    raise NotImplementedError
'''),
    ("load_balancing_loss", "function", '''
def load_balancing_loss(logits: Tensor) -> Tensor:
    """Switch Transformer's auxiliary loss E · Σ_i f_i · P_i (a scalar).

    logits: [N, E]. f_i: the fraction of the N tokens whose largest logit is expert i (a count:
    no gradient flows through it); P_i: the mean over tokens of softmax(logits)[:, i].
    It equals 1 when the tokens are spread evenly over the experts (every f_i = 1/E).
    """
    raise NotImplementedError
'''),
    ("expert_capacity", "function", '''
def expert_capacity(n_tokens: int, n_experts: int, k: int, capacity_factor: float) -> int:
    """How many token assignments one expert takes in a batch: ceil(capacity_factor · N · k / E)."""
    raise NotImplementedError
'''),
    ("MoELayer", "class", '''
class MoELayer(nn.Module):
    """A mixture-of-experts FFN layer (the residual connection around it is not part of it).

    Attributes: router = nn.Linear(D, E, bias=False); experts = nn.ModuleList of E feed-forward
    networks, each with linear1 = nn.Linear(D, F) and linear2 = nn.Linear(F, D) and a ReLU
    between (the feed_forward component's FeedForward); k; renormalize; capacity_factor.
    Token n's output: Σ over its top-k experts e of top_k_gates(router(x), k, renormalize)[n, e]
    · experts[e](x[n]); only the chosen experts run on a token.
    Capacity (when capacity_factor is not None): expert e takes at most
    C = expert_capacity(N, E, k, capacity_factor) assignments, first come first served: all
    first choices in token order, then all second choices in token order, and so on. An
    assignment past C is dropped: it adds nothing (a token dropped by all its experts outputs
    zeros and passes through the residual connection unchanged). Kept gates are not rescaled.
    """

    def __init__(self, d_model: int, d_ff: int, n_experts: int, k: int, renormalize: bool = True,
                 capacity_factor: float | None = None):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """x: [N, D] (N tokens: flatten batch and time first) -> [N, D]"""
        raise NotImplementedError
'''),
)
