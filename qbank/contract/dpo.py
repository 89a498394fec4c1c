"""The contract of the `dpo` component: direct preference optimisation (Rafailov et al. 2023)."""

from qbank.contract.model import component

COMPONENT = component(
    "dpo", "Direct preference optimisation (DPO)",
    "Fine-tune a policy on preference pairs (a prompt, a chosen and a rejected response) without a reward "
    "model: the log-probability of each response under the policy and a frozen reference, then a logistic "
    "loss on the difference of their log-ratios. B is the number of sequences, T their length, V the "
    "vocabulary size, N the number of pairs.",
    ("sequence_logprob", "function", '''
def sequence_logprob(logits: Tensor, input_ids: Tensor, loss_mask: Tensor) -> Tensor:
    """log π(response | prompt) of each sequence: the sum, over the response's tokens, of the
    log-probability the model gave each of them from the tokens before it.

    logits: [B, T, V] (position t predicts the token at t + 1)   input_ids: [B, T] int64
    loss_mask: bool [B, T], True at the response's tokens (False at the prompt and padding);
        loss_mask[:, 0] is never used: nothing predicts the first token.
    A sum, not a mean: it is the log-probability of the whole response.
    Must be stable for huge logits (log_softmax, never log(softmax)).
    returns [B]
    """
    raise NotImplementedError
'''),
    ("dpo_loss", "function", '''
def dpo_loss(policy_chosen: Tensor, policy_rejected: Tensor, reference_chosen: Tensor,
             reference_rejected: Tensor, beta: float) -> Tensor:
    """The DPO loss, averaged over the N pairs:

        margin = β · [(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))]
        loss = mean over pairs of −log σ(margin)

    Each argument: [N] sequence log-probabilities (sequence_logprob) of the chosen (y_w) and
    rejected (y_l) responses under the policy π being trained and the frozen reference π_ref.
    β > 0. β · (log π − log π_ref) is the implicit reward of a response.
    The reference is fixed: no gradient may reach reference_chosen or reference_rejected.
    Must be stable for huge margins (−log σ(x) = softplus(−x), never log(sigmoid(x))).
    returns a 0-dim tensor
    """
    raise NotImplementedError
'''),
)
