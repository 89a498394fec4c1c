"""Direct preference optimisation (Rafailov et al. 2023): learn from pairs "y_w is preferred
to y_l for prompt x" with a logistic loss, no reward model and no sampling.

RLHF maximises E_π[r] − β · KL(π ‖ π_ref). Its maximiser is π*(y) = π_ref(y) · exp(r(y)/β) / Z,
so r(y) = β · log(π*(y) / π_ref(y)) + β · log Z. Under the Bradley–Terry model,
P(y_w ≻ y_l) = σ(r(y_w) − r(y_l)), and Z cancels in the difference. Fitting the policy by
maximum likelihood on the preferences gives

    margin = β · [(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))]
    loss   = mean over pairs of −log σ(margin) = softplus(−margin)

β · log(π / π_ref) is the implicit reward. log π(y) is the sum over the response's tokens of
their log-probabilities (`sequence_logprob`); the prompt's tokens do not count. Shapes: B
sequences of T tokens over a vocabulary of V, N pairs.
"""

import torch
import torch.nn.functional as F
from torch import Tensor


# --8<-- [start:sequence_logprob]
def sequence_logprob(logits: Tensor, input_ids: Tensor, loss_mask: Tensor) -> Tensor:
    log_p = torch.log_softmax(logits[:, :-1], dim=-1)  # [B, T-1, V]: position t predicts token t + 1
    token_log_p = log_p.gather(-1, input_ids[:, 1:, None]).squeeze(-1)  # [B, T-1]
    return token_log_p.masked_fill(~loss_mask[:, 1:], 0.0).sum(-1)  # the response's tokens only, summed: [B]
# --8<-- [end:sequence_logprob]


# --8<-- [start:dpo_loss]
def dpo_loss(policy_chosen: Tensor, policy_rejected: Tensor, reference_chosen: Tensor,
             reference_rejected: Tensor, beta: float) -> Tensor:
    chosen = policy_chosen - reference_chosen.detach()  # log π(y_w)/π_ref(y_w); the reference is fixed
    rejected = policy_rejected - reference_rejected.detach()
    margin = beta * (chosen - rejected)  # [N]: the implicit reward of y_w minus that of y_l
    return F.softplus(-margin).mean()  # −log σ(margin), stable for any margin
# --8<-- [end:dpo_loss]
