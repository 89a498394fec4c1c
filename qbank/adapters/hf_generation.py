"""Hugging Face `transformers`' own generation code, exposed through the implementation contract
(tests only: `pytest checks --impl qbank.adapters.hf_generation`; the CLI and `checks/` never
import transformers).

- sampling: TemperatureLogitsWarper, TopKLogitsWarper and TopPLogitsWarper, composed in
  generate's order, then torch.multinomial as generate samples. Temperature 0 is generate's
  greedy mode (do_sample=False): the argmax.
- causal_lm_loss: transformers.loss.loss_utils.ForCausalLMLoss, the loss every *ForCausalLM
  model computes from `labels`. The contract's loss_mask becomes labels = -100 (ignore_index).
  It casts the logits to float32, so it agrees with float64 references to ~1e-7 only.
- beam_search: generate(num_beams=...) on a minimal PreTrainedModel whose logits at the last
  position are the check's toy step function, run with early_stopping="never" (the exact search:
  it stops only when no running beam can still win; Hugging Face's default, False, is a
  heuristic) and do_sample=False. num_beams=1 is generate's greedy search, which ends at the
  first EOS: that is width-1 beam search only without a length penalty (what the checks use).
  Hugging Face scores in float32.
- speculative_sample: transformers.generation.utils._speculative_sampling (algorithm 1 of
  Leviathan et al.), once per row (it takes one sequence), on the global RNG forked and seeded
  from the contract's generator.
  Hugging Face has no public function for the acceptance probability or the residual alone, so
  those names are left out and their checks skip.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from transformers import GenerationMixin, PretrainedConfig, PreTrainedModel
from transformers.generation.logits_process import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper
from transformers.generation.utils import _speculative_sampling
from transformers.loss.loss_utils import ForCausalLMLoss
from transformers.modeling_outputs import CausalLMOutput


def _warp(warper, logits: Tensor) -> Tensor:
    """Run a logits warper (which takes [batch, V] scores) on [..., V] logits."""
    flat = logits.reshape(-1, logits.size(-1))
    return warper(None, flat).reshape(logits.shape)


def apply_temperature(logits: Tensor, temperature: float) -> Tensor:
    return _warp(TemperatureLogitsWarper(float(temperature)), logits)


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    return _warp(TopKLogitsWarper(top_k=int(k)), logits)


def top_p_filter(logits: Tensor, p: float) -> Tensor:
    return _warp(TopPLogitsWarper(top_p=float(p)), logits)


def sample_next_token(logits: Tensor, generator: torch.Generator | None = None, temperature: float = 1.0,
                      top_k: int | None = None, top_p: float | None = None) -> Tensor:
    if temperature == 0:
        return logits.argmax(-1)  # generate(do_sample=False)
    logits = apply_temperature(logits, temperature)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = logits.softmax(-1).reshape(-1, logits.size(-1))
    return torch.multinomial(probs, 1, generator=generator).reshape(logits.shape[:-1])


def causal_lm_loss(logits: Tensor, input_ids: Tensor, loss_mask: Tensor | None = None,
                   num_items_in_batch: int | None = None) -> Tensor:
    labels = input_ids if loss_mask is None else input_ids.masked_fill(~loss_mask, -100)
    return ForCausalLMLoss(logits, labels, logits.size(-1), num_items_in_batch=num_items_in_batch)


class _StepConfig(PretrainedConfig):
    model_type = "qbank-toy-step"


class _StepModel(PreTrainedModel, GenerationMixin):
    """A causal LM whose next-token logits at the last position are a Python function of the
    prefix (the checks' toy models); every other position gets zeros, which generate never reads."""

    config_class = _StepConfig

    def __init__(self, config: _StepConfig, next_log_probs: Callable[[list[int]], Tensor]):
        super().__init__(config)
        self._next_log_probs = next_log_probs
        self._unused = nn.Parameter(torch.zeros(1))  # generate reads the model's device and dtype from it
        self.post_init()

    def forward(self, input_ids: Tensor, **kwargs) -> CausalLMOutput:
        last = torch.stack([torch.as_tensor(self._next_log_probs(row.tolist()), dtype=torch.float64)
                            for row in input_ids])
        logits = torch.zeros(*input_ids.shape, last.size(-1), dtype=torch.float64)
        logits[:, -1] = last
        return CausalLMOutput(logits=logits)


def beam_search(next_log_probs: Callable[[list[int]], Tensor], prompt: list[int], num_beams: int,
                max_new_tokens: int, eos_token_id: int | None = None,
                length_penalty: float = 0.0) -> tuple[list[int], float]:
    V = len(next_log_probs(list(prompt)))
    pad = eos_token_id if eos_token_id is not None else 0
    model = _StepModel(_StepConfig(vocab_size=V, eos_token_id=eos_token_id, pad_token_id=pad), next_log_probs).eval()
    out = model.generate(torch.tensor([list(prompt)]), num_beams=num_beams, max_new_tokens=max_new_tokens,
                         do_sample=False, early_stopping="never", length_penalty=float(length_penalty),
                         eos_token_id=eos_token_id, pad_token_id=pad, use_cache=False,
                         return_dict_in_generate=True, output_scores=True)
    seq = out.sequences[0].tolist()
    new = seq[len(prompt):]
    if eos_token_id in new:
        new = new[: new.index(eos_token_id) + 1]  # drop the padding after EOS
    if num_beams > 1:
        return list(prompt) + new, float(out.sequences_scores[0])
    # num_beams = 1 is generate's greedy search: it reports the processed logits of each step
    logp = sum(step.log_softmax(-1)[0, tok].item() for step, tok in zip(out.scores, new))
    return list(prompt) + new, logp / len(new) ** length_penalty


def speculative_sample(draft_tokens: Tensor, draft_probs: Tensor, target_probs: Tensor,
                       generator: torch.Generator | None = None) -> Tensor:
    B, gamma = draft_tokens.shape
    out = torch.full((B, gamma + 1), -1)
    seed = int(torch.randint(2**62, (1,), generator=generator)) if generator is not None else None
    with torch.random.fork_rng(devices=[]):  # Hugging Face draws from the global RNG
        if seed is not None:
            torch.manual_seed(seed)
        for b in range(B):  # _speculative_sampling handles one sequence at a time
            tokens, _ = _speculative_sampling(
                draft_tokens[b].view(1, gamma),  # candidate_input_ids: only the drafted tokens are read
                draft_probs[b].log().view(1, gamma, -1),  # logits whose softmax is q
                gamma,
                target_probs[b].log().view(1, gamma + 1, -1))
            out[b, : tokens.numel()] = tokens.view(-1)
    return out
