'''The implementation contract: what an implementation under test must provide.

The checks in `checks/` never import `solutions/`; they ask the implementation under test
for these names (`pytest checks --impl FILE_OR_MODULE`). Any module that defines some of
them can be graded: the checks of a name it lacks are skipped, with a reason naming it.
This package is the one place the contract is written (one module per component,
assembled below in curriculum order); the site's contract page, the
`qbank practice` starter files and the skip messages are all generated from it.

Conventions, the same in every component:

- Shapes use one set of letters: B batch, H heads, T query positions, S key/value
  positions (S = T in self-attention), D model width (d_model), Dk per-head query/key
  width, Dv value width, F the feed-forward hidden width. `...` is any number of leading
  batch-like dimensions, passed through untouched.
- Tensors are floating point of any dtype; the checks use float64 so that comparisons
  with PyTorch's own modules are exact to ~1e-12.
- A mask is boolean and **True means "may attend"**, as in
  `torch.nn.functional.scaled_dot_product_attention`. It broadcasts against the
  [..., T, S] scores. A tensor that is True at padding is called `is_pad`, never `mask`.
- A query whose mask row is all False attends to nothing: its weights are all zero and
  its output is the zero vector (what `F.scaled_dot_product_attention` returns), not NaN.
- Modules with weights are `torch.nn.Module`s whose projections are `torch.nn.Linear`
  layers under the names given, so the checks can read and set their weights.

Declared capabilities: code written to another convention (GPT-2's, an `is_pad` mask, a
layer with one norm placement) is graded by declaring how it differs, with class attributes
on the module. A check that truly needs what a module declares it lacks is skipped with a
reason naming the declaration; every other check runs in the regime the module has (a
causal-only module is compared with PyTorch under the causal mask). A declaration never
excuses a wrong result, and an unknown value is an error naming the attribute, the value and
the allowed ones. Without declarations, the conventions above hold.

- Fused projection (MultiHeadAttention, CrossAttention, GroupedQueryAttention): one
  `qkv_proj = nn.Linear(D, 3 * D)` instead of `q_proj`, `k_proj`, `v_proj`, its output rows
  stacked [W_Q; W_K; W_V] as in nn.MultiheadAttention's `in_proj_weight` (for grouped-query
  attention the blocks are H * Dk, Hkv * Dk, Hkv * Dk rows). `out_proj` keeps its name.
  GPT-2's `c_attn` is a Conv1D storing the transpose ([D, 3 * D]): keep an nn.Linear as
  `qkv_proj` and load `c_attn.weight.T` into it (and `c_proj` likewise into `out_proj`).
- `mask_format = "bool"` (the default, True = may attend), `"blocked"` (True = may not
  attend, as `is_pad` or nn.MultiheadAttention's `attn_mask`), `"int"` (1 = may attend,
  0 = blocked), `"additive"` (float, 0 where allowed and -inf where blocked, added to the
  scores), or `None` (forward takes no mask). Fully masked rows still give zeros.
- `mask_head_axis = True`: the mask arrives as [B, 1, T, S] (broadcast over the heads)
  rather than [B, T, S].
- `causal_only = True` (MultiHeadAttention, GroupedQueryAttention, and any layer called as
  layer(x, mask)): self-attention that always applies the causal mask. forward(x) or
  forward(x, mask) with x [B, T, D]; the mask, in the declared format, is an extra
  restriction (padding, a sliding window) on top of the causal one. With `mask_format = None`
  as well it is forward(x) only, as LLaMA-style code calling SDPA with is_causal=True.
- `norm_placements = ("pre",)` or `("post",)` (EncoderLayer): the layer implements one
  LayerNorm placement; its constructor may leave out `norm_first`.

For example, GPT-2's attention: `qkv_proj`, `out_proj`, `causal_only = True`,
`mask_format = "additive"`, `mask_head_axis = True`; LLaMA-style grouped-query attention:
`causal_only = True`, `mask_format = None`.

Nothing here imports torch.
'''

from __future__ import annotations

from qbank.contract.model import Component, Name
from qbank.contract.attention import COMPONENT as _attention
from qbank.contract.softmax import COMPONENT as _softmax
from qbank.contract.masking import COMPONENT as _masking
from qbank.contract.multi_head import COMPONENT as _multi_head
from qbank.contract.cross_attention import COMPONENT as _cross_attention
from qbank.contract.normalization import COMPONENT as _normalization
from qbank.contract.rms_norm import COMPONENT as _rms_norm
from qbank.contract.feed_forward import COMPONENT as _feed_forward
from qbank.contract.swiglu import COMPONENT as _swiglu
from qbank.contract.positional import COMPONENT as _positional
from qbank.contract.rope import COMPONENT as _rope
from qbank.contract.encoder_layer import COMPONENT as _encoder_layer
from qbank.contract.gqa import COMPONENT as _gqa
from qbank.contract.kv_cache import COMPONENT as _kv_cache
from qbank.contract.mla import COMPONENT as _mla
from qbank.contract.attention_sinks import COMPONENT as _attention_sinks
from qbank.contract.decoder_block import COMPONENT as _decoder_block
from qbank.contract.cross_entropy import COMPONENT as _cross_entropy
from qbank.contract.sampling import COMPONENT as _sampling
from qbank.contract.beam_search import COMPONENT as _beam_search
from qbank.contract.speculative import COMPONENT as _speculative
from qbank.contract.bpe import COMPONENT as _bpe
from qbank.contract.lora import COMPONENT as _lora
from qbank.contract.distillation import COMPONENT as _distillation
from qbank.contract.dpo import COMPONENT as _dpo
from qbank.contract.quantization import COMPONENT as _quantization
from qbank.contract.moe import COMPONENT as _moe
from qbank.contract.lr_schedule import COMPONENT as _lr_schedule
from qbank.contract.loss_scaling import COMPONENT as _loss_scaling
from qbank.contract.optimizers import COMPONENT as _optimizers

# The order is the curriculum's: the practice list, the contract page and the README follow it.
COMPONENTS: dict[str, Component] = {c.name: c for c in [
    _attention,
    _softmax,
    _masking,
    _multi_head,
    _cross_attention,
    _normalization,
    _rms_norm,
    _feed_forward,
    _swiglu,
    _positional,
    _rope,
    _encoder_layer,
    _gqa,
    _kv_cache, _mla, _attention_sinks,
    _decoder_block,
    _cross_entropy,
    _sampling,
    _beam_search,
    _speculative,
    _bpe,
    _lora,
    _distillation,
    _dpo,
    _quantization,
    _moe,
    _lr_schedule,
    _loss_scaling,
    _optimizers,
]}

NAMES: dict[str, Name] = {n.name: n for c in COMPONENTS.values() for n in c.names}


def starter_file(component: str) -> str:
    """The text of a practice file for `component`: the contract's stubs, to fill in."""
    c = COMPONENTS[component]
    header = (f'"""{c.title}: your implementation.\n\n{c.summary}\n\n'
              f"Fill in every NotImplementedError, then run: qbank grade <this file>\n"
              f'Shapes: B batch, H heads, T queries, S keys, D d_model, Dk = D / H, F d_ff.\n"""\n\n')
    return header + c.imports + "\n\n" + "\n\n".join(n.stub for n in c.names)
