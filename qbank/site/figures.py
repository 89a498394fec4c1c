"""The site's figures, computed at build time from the reference solutions.

Each `Figure` draws itself with matplotlib from `solutions/` (and torch), and says where it
belongs: on its topic's index page always, and on every question `attach(question)`
accepts. `svg(figure)` returns the file the pages reference (`figures/<name>.svg`); text
is drawn as paths, so the file needs no font and the page makes no request for one.

Nothing else in the package imports this module: the quiz never pays for matplotlib.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass

from qbank.bank.schema import Question


@dataclass(frozen=True)
class Figure:
    name: str  # the file is figures/<name>.svg
    title: str
    caption: str  # Markdown, one paragraph
    topic: str
    attach: Callable[[Question], bool]
    draw: Callable[[], object]  # -> matplotlib.figure.Figure

    @property
    def path(self) -> str:
        return f"figures/{self.name}.svg"


def _uses(topic: str, *refs: str) -> Callable[[Question], bool]:
    """Attach to the questions of `topic` whose `solution:` cites any of `refs` (module:name)."""
    return lambda q: q.topic == topic and any(ref in q.solution for ref in refs)


def _tagged(topic: str, *tags: str) -> Callable[[Question], bool]:
    return lambda q: q.topic == topic and bool(set(tags) & set(q.tags))


def _ids(*ids: str) -> Callable[[Question], bool]:
    return lambda q: q.id in ids


def _any(*preds: Callable[[Question], bool]) -> Callable[[Question], bool]:
    return lambda q: any(p(q) for p in preds)


def _generator(seed: int):
    import torch

    return torch.Generator().manual_seed(seed)


def _new(ncols: int, width: float = 7.2, height: float = 3.0):
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(width, height), layout="tight")  # one layout pass: much cheaper than "constrained"
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, axes


def _log2_ticks(ax, values) -> None:
    """A log2 x axis labelled with plain numbers (mathtext tick labels cost a second)."""
    ax.set_xscale("log", base=2)
    ax.set_xticks(values, [str(v) for v in values])
    ax.minorticks_off()


# --- attention -------------------------------------------------------------------------

def draw_score_variance():
    """Var(q·k) grows like d_k; Var(q·k/√d_k) stays at 1 (2,000 seeded pairs per d_k: the
    sample variance is then within about 3% of the true one, finer than the log scale shows)."""
    import torch

    dks = [2**i for i in range(1, 11)]
    unscaled, scaled = [], []
    for d_k in dks:
        q, k = torch.randn(2, 2_000, d_k, generator=_generator(d_k)).double()
        s = (q * k).sum(-1)
        unscaled.append(s.var().item())
        scaled.append((s / math.sqrt(d_k)).var().item())
    fig, (ax,) = _new(1, 5.6, 3.4)
    ax.loglog(dks, dks, color="0.6", linestyle="--", linewidth=1, label="$d_k$ (theory)")
    ax.loglog(dks, unscaled, "o-", color="C3", label=r"$q\cdot k$ (no scaling)")
    ax.loglog(dks, scaled, "s-", color="C0", label=r"$q\cdot k/\sqrt{d_k}$")
    ax.axhline(1, color="0.6", linestyle=":", linewidth=1)
    _log2_ticks(ax, dks)
    ax.set_yticks([1, 4, 16, 64, 256, 1024], ["1", "4", "16", "64", "256", "1024"])
    ax.set_xlabel("$d_k$ (per-head width)")
    ax.set_ylabel("variance of the score")
    ax.set_title("Score variance, q and k with N(0, 1) entries")
    ax.legend(frameon=False)
    return fig


def draw_softmax_saturation():
    """Largest weight and softmax-Jacobian norm against d_k, with and without 1/√d_k."""
    import torch

    from solutions.attention import attention_weights

    dks = [2**i for i in range(2, 11)]
    curves = {True: ([], []), False: ([], [])}
    for d_k in dks:
        q = torch.randn(128, d_k, generator=_generator(d_k), dtype=torch.float64)
        k = torch.randn(64, d_k, generator=_generator(10_000 + d_k), dtype=torch.float64)
        for scaled in (True, False):
            # attention_weights divides by √d_k; multiplying q by √d_k undoes it: unscaled scores
            p = attention_weights(q if scaled else q * math.sqrt(d_k), k)  # [128, 64]
            jac = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]  # diag(p) - p pᵀ per row
            curves[scaled][0].append(p.max(-1).values.mean().item())
            curves[scaled][1].append(torch.linalg.matrix_norm(jac).mean().item())
    fig, axes = _new(2)
    for ax, i, label in zip(axes, (0, 1), ("mean largest weight (64 keys)", r"mean $\|\mathrm{diag}(p) - pp^\top\|_F$")):
        ax.plot(dks, curves[False][i], "o-", color="C3", label="softmax($q\\cdot k$)")
        ax.plot(dks, curves[True][i], "s-", color="C0", label=r"softmax($q\cdot k/\sqrt{d_k}$)")
        _log2_ticks(ax, dks)
        ax.set_xlabel("$d_k$")
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
    axes[0].axhline(1 / 64, color="0.6", linestyle=":", linewidth=1)
    axes[0].set_title("Saturation: towards one-hot")
    axes[1].set_title("Gradient through the softmax")
    axes[0].legend(frameon=False, loc="center right")
    return fig


def draw_attention_example():
    """Weights of a 6-token example: no mask, and causal."""
    import torch

    from solutions.attention import attention_weights
    from solutions.masking import causal_mask

    tokens = ["the", "cat", "sat", "on", "the", "mat"]
    vocab = {w: i for i, w in enumerate(dict.fromkeys(tokens))}
    g = _generator(0)
    d, d_k = 8, 4
    emb = torch.randn(len(vocab), d, generator=g, dtype=torch.float64)
    w_q, w_k = torch.randn(2, d, d_k, generator=g, dtype=torch.float64)
    x = emb[[vocab[w] for w in tokens]]  # [T, D]
    q, k = x @ w_q, x @ w_k  # [T, Dk]
    panels = [("no mask", attention_weights(q, k)),
              ("causal mask", attention_weights(q, k, causal_mask(len(tokens))))]
    fig, axes = _new(2, 7.2, 3.5)
    for ax, (title, w) in zip(axes, panels):
        ax.imshow(w.numpy(), cmap="Blues", vmin=0, vmax=1)
        for t in range(len(tokens)):
            for s in range(len(tokens)):
                value = w[t, s].item()
                ax.text(s, t, f"{value:.2f}".lstrip("0") if value else "0", ha="center", va="center",
                        fontsize=7, color="white" if value > 0.6 else "black")
        ax.set_xticks(range(len(tokens)), tokens)
        ax.set_yticks(range(len(tokens)), tokens)
        ax.set_xlabel("key s")
        ax.set_ylabel("query t")
        ax.set_title(f"{title}: each row sums to 1")
    return fig


# --- masking ---------------------------------------------------------------------------

def draw_mask_patterns():
    """causal_mask(T), padding_mask(is_pad) broadcast over the queries, and both combined."""
    import torch

    from solutions.masking import causal_mask, padding_mask

    T = 8
    is_pad = torch.tensor([[False] * 5 + [True] * 3])  # one sequence: 5 tokens, 3 padding
    causal = causal_mask(T)  # [T, T]
    padding = padding_mask(is_pad).expand(1, T, T)[0]  # [1, 1, S] -> [T, S]
    panels = [("causal_mask(8)", causal), ("padding_mask (last 3 padded)", padding),
              ("causal & padding", causal & padding)]
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap(["#eeeeee", "#3f51b5"])
    fig, axes = _new(3, 7.8, 3.0)
    for ax, (title, m) in zip(axes, panels):
        ax.imshow(m.numpy(), cmap=cmap, vmin=0, vmax=1)
        ax.set_xticks(range(T))
        ax.set_yticks(range(T))
        ax.set_xticks([i - 0.5 for i in range(1, T)], minor=True)
        ax.set_yticks([i - 0.5 for i in range(1, T)], minor=True)
        ax.grid(which="minor", color="white", linewidth=1)
        ax.tick_params(which="both", length=0, labelsize=7)
        ax.set_xlabel("key s")
        ax.set_ylabel("query t")
        ax.set_title(title, fontsize=9)
    fig.suptitle("Blue = True = may attend", fontsize=9)
    return fig


# --- multi-head ------------------------------------------------------------------------

def draw_head_split():
    """Which of the D features each head reads, after split_heads (D = 8, H = 2, 4)."""
    import torch

    from solutions.multi_head import split_heads

    D = 8
    x = torch.arange(D, dtype=torch.float64).view(1, 1, D)  # feature i holds the value i
    fig, axes = _new(2, 7.2, 1.6)
    for ax, H in zip(axes, (2, 4)):
        heads = split_heads(x, H)[0, :, 0, :]  # [H, Dk]: the features each head gets
        owner = torch.empty(D)
        for h in range(H):
            owner[heads[h].long()] = h
        ax.imshow(owner[None, :].numpy(), cmap="tab10", vmin=0, vmax=9, aspect="auto")
        for i in range(D):
            ax.text(i, 0, f"h{int(owner[i])}", ha="center", va="center", fontsize=8, color="white")
        ax.set_xticks(range(D))
        ax.set_yticks([])
        ax.set_xlabel("feature index (of D = 8)")
        ax.set_title(f"H = {H}: Dk = {D // H} contiguous features per head", fontsize=9)
    return fig


# --- normalisation ---------------------------------------------------------------------

def draw_norm_axes():
    """The same [N, D] batch through LayerNorm (per row) and BatchNorm (per column)."""
    import torch

    from solutions.normalization import BatchNorm, LayerNorm

    N, D = 6, 8
    g = _generator(3)
    x = torch.randn(N, D, generator=g, dtype=torch.float64) * torch.linspace(0.5, 3, D) \
        + torch.linspace(-2, 2, N)[:, None]
    with torch.no_grad():
        ln = LayerNorm(D).double()(x)
        bn = BatchNorm(D).double().train()(x)
    fig, axes = _new(3, 7.8, 2.8)
    panels = [("input x [N, D]", x), ("LayerNorm(x): each row\nhas mean 0, variance 1", ln),
              ("BatchNorm(x): each column\nhas mean 0, variance 1", bn)]
    for ax, (title, y) in zip(axes, panels):
        ax.imshow(y.numpy(), cmap="RdBu_r", vmin=-3, vmax=3)
        ax.set_xlabel("feature (D)")
        ax.set_ylabel("row (N)")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
    fig.suptitle("blue < 0 < red", fontsize=8)
    return fig


# --- positional encoding ---------------------------------------------------------------

def draw_sinusoidal():
    """The table PE[t, i] as a heatmap, and PE(t)·PE(s), which depends only on t - s."""
    import torch

    from solutions.positional import sinusoidal_positions

    pe = sinusoidal_positions(64, 64, torch.float64)  # [T, D]
    fig, axes = _new(2, 7.6, 3.4)
    im = axes[0].imshow(pe.numpy(), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    axes[0].set_xlabel("dimension i (even: sin, odd: cos)")
    axes[0].set_ylabel("position t")
    axes[0].set_title("PE[t, i], T = 64, D = 64", fontsize=9)
    fig.colorbar(im, ax=axes[0], shrink=0.8)
    im = axes[1].imshow((pe @ pe.T).numpy(), cmap="viridis", aspect="auto")
    axes[1].set_xlabel("position s")
    axes[1].set_ylabel("position t")
    axes[1].set_title("PE(t)·PE(s): constant along diagonals", fontsize=9)
    fig.colorbar(im, ax=axes[1], shrink=0.8)
    return fig


FIGURES: tuple[Figure, ...] = (
    Figure("score-variance", "Score variance against d_k",
           "The variance of $q\\cdot k$ grows like $d_k$; after dividing by $\\sqrt{d_k}$ it stays at 1 "
           "for every width (2,000 seeded pairs per point).",
           "attention", _any(_ids("why-scale-by-sqrt-dk"), _tagged("attention", "variance")),
           draw_score_variance),
    Figure("softmax-saturation", "Softmax saturation",
           "Computed with `solutions.attention.attention_weights` on 64 keys. Without the scaling the "
           "largest weight tends to 1 (one-hot) and the norm of the softmax Jacobian, which every "
           "gradient to $W_Q$ and $W_K$ passes through, tends to 0; with it both stay flat. "
           "The dotted line is the uniform weight 1/64.",
           "attention", _any(_ids("why-scale-by-sqrt-dk"), _tagged("attention", "saturation", "gradients")),
           draw_softmax_saturation),
    Figure("attention-example", "Attention weights for a small example",
           "Random embeddings and projections ($D = 8$, $d_k = 4$) through `attention_weights`, without "
           "a mask and with `causal_mask(6)`. Both occurrences of *the* have the same key, so their "
           "columns match; under the causal mask row $t$ spreads its weight over keys $0..t$ only.",
           "attention", _any(_ids("scaled-dot-product-attention"), _tagged("attention", "self-attention")),
           draw_attention_example),
    Figure("mask-patterns", "Causal and padding masks",
           "The masks of `solutions.masking` for $T = 8$: the causal mask is the lower triangle "
           "(diagonal included); the padding mask hides padded *keys* (columns) for every query; "
           "`&` combines them.",
           "masking", _any(_uses("masking", "solutions.masking:causal_mask", "solutions.masking:padding_mask"),
                           _tagged("masking", "causal", "padding", "masking")),
           draw_mask_patterns),
    Figure("head-split", "How split_heads assigns features to heads",
           "`split_heads` reshapes the last axis $D$ into $H \\times d_k$: head $h$ reads the "
           "contiguous block of features $h\\,d_k \\ldots (h+1)\\,d_k - 1$ of the fused projection.",
           "multi-head", _uses("multi-head", "solutions.multi_head:split_heads", "solutions.multi_head:merge_heads"),
           draw_head_split),
    Figure("norm-axes", "LayerNorm against BatchNorm",
           "One batch of $N = 6$ rows and $D = 8$ features with different scales and offsets, "
           "through `solutions.normalization`. LayerNorm standardises each row over its features; "
           "BatchNorm standardises each feature over the rows of the batch.",
           "normalization", _uses("normalization", "solutions.normalization:LayerNorm",
                                  "solutions.normalization:BatchNorm"),
           draw_norm_axes),
    Figure("sinusoidal-encoding", "The sinusoidal encoding",
           "Left: `solutions.positional.sinusoidal_positions(64, 64)`, that is "
           "$PE[t, 2i] = \\sin(t/10000^{2i/D})$ and $PE[t, 2i+1] = \\cos(t/10000^{2i/D})$, fast "
           "frequencies on the left. Right: the dot product of two encodings depends only on the "
           "offset $t - s$, so it is constant along every diagonal.",
           "positional-encoding",
           _any(_uses("positional-encoding", "solutions.positional:sinusoidal_positions"),
                _tagged("positional-encoding", "sinusoidal", "sinusoidal-encoding", "sin-cos")),
           draw_sinusoidal),
)


def svg(figure: Figure) -> bytes:
    """The figure as a self-contained, reproducible SVG (no date, fixed ids, text as paths)."""
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": figure.name, "svg.fonttype": "path", "font.size": 9,
                                "axes.titlesize": 10}):
        fig = figure.draw()
        fig.savefig(buf, format="svg", metadata={"Date": None}, facecolor="white")
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    """`python -m qbank.site.figures OUTDIR`: write every figure to OUTDIR/<name>.svg (the site's
    hook runs this in a second process, so the figures are drawn while the pages render)."""
    import sys
    from pathlib import Path

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m qbank.site.figures OUTDIR", file=sys.stderr)
        return 2
    import torch

    torch.set_num_threads(1)  # the site build renders pages on the other core meanwhile
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    for figure in FIGURES:
        (out / f"{figure.name}.svg").write_bytes(svg(figure))
    return 0



# --- RoPE, grouped-query attention, KV cache, sliding window, online softmax (modern-b) -------

def draw_rope():
    """Angles per pair against position, and the RoPE score of one q, k pair over (m, n)."""
    import torch

    from solutions.rope import apply_rope, rope_frequencies

    d, T = 16, 48
    fig, axes = _new(2, 7.6, 3.4)
    positions = torch.arange(64)
    for i, theta in enumerate(rope_frequencies(d).tolist()):
        axes[0].plot(positions, torch.remainder(positions * theta, 2 * math.pi), linewidth=1,
                     color=f"C{i % 10}", label=f"pair {i}" if i in (0, 1, 7) else None)
    axes[0].set_xlabel("position m")
    axes[0].set_ylabel("angle m·θ_i mod 2π (rad)")
    axes[0].set_title("Pair i turns at θ_i = 10000^(−2i/16)", fontsize=9)
    axes[0].legend(frameon=False, fontsize=7, loc="upper right")
    g = _generator(0)
    q, k = torch.randn(1, d, generator=g, dtype=torch.float64), torch.randn(1, d, generator=g, dtype=torch.float64)
    pos = torch.arange(T)
    scores = apply_rope(q.expand(T, d), pos) @ apply_rope(k.expand(T, d), pos).T  # [m, n]
    im = axes[1].imshow(scores.numpy(), cmap="RdBu_r", aspect="auto")
    axes[1].set_xlabel("key position n")
    axes[1].set_ylabel("query position m")
    axes[1].set_title("⟨RoPE(q, m), RoPE(k, n)⟩: constant along diagonals", fontsize=9)
    fig.colorbar(im, ax=axes[1], shrink=0.8)
    return fig


def draw_gqa():
    """Which K/V head each query head reads, and the cache bytes per token of a 70B-shaped model."""
    import torch

    from solutions.gqa import GroupedQueryAttention
    from solutions.kv_cache import KVCache, decode_step

    H = 8
    fig, axes = _new(2, 7.6, 3.0)
    ax = axes[0]
    for row, (Hkv, name) in enumerate(((8, "multi-head"), (2, "grouped-query"), (1, "multi-query"))):
        y = 2 - row
        for h in range(H):
            kv = h // (H // Hkv)  # the grouping of solutions.gqa (repeat_interleave)
            ax.scatter(h, y, s=90, color=f"C{kv}", marker="s")
        ax.text(-0.6, y, f"{name}\nHkv = {Hkv}", ha="right", va="center", fontsize=8)
    ax.set_xlim(-4.2, H - 0.4)
    ax.set_ylim(-0.6, 2.6)
    ax.set_xticks(range(H))
    ax.set_yticks([])
    ax.set_xlabel("query head h (colour: the K/V head it reads)")
    ax.set_title("8 query heads sharing K/V heads", fontsize=9)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    kv_heads, per_token = [64, 32, 8, 1], []
    for Hkv in kv_heads:  # one LLaMA-2-70B-shaped layer on the meta device, times its 80 layers
        with torch.device("meta"):
            attn = GroupedQueryAttention(8192, 64, Hkv).half()
            x = torch.empty(1, 1, 8192, dtype=torch.float16)
        cache = KVCache()
        decode_step(attn, x, cache)
        per_token.append(80 * (cache.k.numel() + cache.v.numel()) * cache.k.element_size() * 4096 / 1e9)
    bars = axes[1].bar([str(h) for h in kv_heads], per_token, color="C0")
    axes[1].bar_label(bars, [f"{v:.2f}" for v in per_token], fontsize=8)
    axes[1].set_xlabel("K/V heads (of 64 query heads)")
    axes[1].set_ylabel("GB per 4096-token sequence")
    axes[1].set_title("KV cache, 80 layers, d_k = 128, float16", fontsize=9)
    return fig


def draw_kv_cache():
    """FLOPs per generated token with and without the cache, from FlopCounterMode."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from solutions.gqa import GroupedQueryAttention
    from solutions.kv_cache import KVCache, decode_step

    D, n = 64, 48
    attn = GroupedQueryAttention(D, 4, 4).double()
    x = torch.randn(1, n, D, generator=_generator(1), dtype=torch.float64)
    causal = torch.ones(n, n, dtype=torch.bool).tril()
    cache, cached, recomputed = KVCache(), [], []
    for t in range(1, n + 1):
        with FlopCounterMode(display=False) as c, torch.no_grad():
            decode_step(attn, x[:, t - 1:t], cache)
        cached.append(c.get_total_flops())
        with FlopCounterMode(display=False) as c, torch.no_grad():
            attn(x[:, :t], causal[:t, :t])
        recomputed.append(c.get_total_flops())
    fig, (ax,) = _new(1, 5.6, 3.4)
    steps = list(range(1, n + 1))
    ax.plot(steps, recomputed, color="C3", label="recompute the prefix: 8td² + 4t²d")
    ax.plot(steps, cached, color="C0", label="with the KV cache: 8d² + 4td")
    ax.set_xlabel("step t (tokens so far)")
    ax.set_ylabel("FLOPs of the attention sub-layer")
    ax.set_title(f"One attention layer, d = {D}: cost of step t", fontsize=9)
    ax.legend(frameon=False)
    return fig


def draw_sliding_window():
    """The causal and sliding-window masks, and what two windowed layers can reach."""
    import torch

    from solutions.kv_cache import sliding_window_mask

    T, w = 12, 4
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    window = sliding_window_mask(T, w)
    reach = (window.double() @ window.double()) > 0  # two layers: t reads s through some u
    fig, axes = _new(3, 7.6, 2.8)
    for ax, m, title in zip(axes, (causal, window, reach),
                            ("causal", f"window w = {w}", "two windowed layers")):
        ax.imshow(m.numpy(), cmap="Blues", vmin=0, vmax=1.3)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("key s")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].set_ylabel("query t")
    return fig


def draw_online_softmax():
    """Running state of the online softmax for one query as key blocks arrive."""
    import torch

    from solutions.softmax import attention_block, merge_blocks

    g = _generator(3)
    S, block, d = 32, 4, 8
    q = 3 * torch.randn(1, d, generator=g, dtype=torch.float64)
    k, v = torch.randn(S, d, generator=g, dtype=torch.float64), torch.randn(S, 1, generator=g, dtype=torch.float64)
    exact = torch.softmax(q @ k.T / math.sqrt(d), -1) @ v
    state, ms, outs = None, [], []
    for start in range(0, S, block):
        b = attention_block(q, k[start:start + block], v[start:start + block])
        state = b if state is None else merge_blocks(state, b)
        ms.append(state[0].item())
        outs.append((state[2] / state[1]).item())
    blocks = list(range(1, S // block + 1))
    fig, axes = _new(2, 7.6, 3.0)
    axes[0].step(blocks, ms, where="post", color="C1")
    axes[0].set_xlabel("key blocks merged")
    axes[0].set_ylabel("running maximum m")
    axes[0].set_title("The maximum only grows; older sums are rescaled", fontsize=9)
    axes[1].plot(blocks, outs, "o-", color="C0", label="acc / l so far")
    axes[1].axhline(exact.item(), color="0.4", linestyle="--", linewidth=1, label="full softmax attention")
    axes[1].set_xlabel("key blocks merged")
    axes[1].set_ylabel("output (one value dimension)")
    axes[1].set_title("After the last block: exact", fontsize=9)
    axes[1].legend(frameon=False, fontsize=8)
    return fig


FIGURES += (
    Figure("rope", "Rotary position embedding",
           "`solutions.rope`: left, the angle of pairs 0..7 of a $d = 16$ head against position (pair 0 "
           "turns one radian per position, the last almost not at all); right, the score of one fixed "
           "$q$ and $k$ placed at positions $m$ and $n$, which depends only on $n - m$.",
           "positional-encoding", _any(_uses("positional-encoding", "solutions.rope:apply_rope"),
                                       _tagged("positional-encoding", "rope")),
           draw_rope),
    Figure("gqa", "Grouped-query attention",
           "Left: which key/value head each of 8 query heads reads in `solutions.gqa` (groups of "
           "consecutive heads). Right: the KV cache of one 4096-token sequence for a LLaMA-2-70B-shaped "
           "model, measured on the meta device from the cache tensors: it shrinks by $H/H_{kv}$.",
           "multi-head", _any(_ids("multi-query-and-grouped-query-attention"), _tagged("multi-head", "gqa", "mqa")),
           draw_gqa),
    Figure("kv-cache-flops", "What the KV cache saves",
           "FLOPs of step $t$ of one attention sub-layer ($d = 64$), counted with `FlopCounterMode`: "
           "re-running the layer on the whole prefix grows quadratically in $t$, a cached step "
           "(`solutions.kv_cache.decode_step`) linearly.",
           "efficiency", _ids("kv-cache"), draw_kv_cache),
    Figure("sliding-window", "Sliding-window attention",
           "`solutions.kv_cache.sliding_window_mask(12, 4)` against the causal mask: each query sees "
           "itself and the 3 positions before it. Through two windowed layers a position depends on "
           "inputs up to $2(w-1) = 6$ positions back.",
           "efficiency", _any(_ids("sliding-window-attention"), _tagged("efficiency", "sliding-window")),
           draw_sliding_window),
    Figure("online-softmax", "The online softmax",
           "One query against 32 keys merged in blocks of 4 with `attention_block` and `merge_blocks`: "
           "the running maximum can only grow, earlier sums are rescaled to it, and after the last "
           "block the output equals full softmax attention exactly.",
           "efficiency", _any(_ids("flash-attention"), _tagged("efficiency", "online-softmax")),
           draw_online_softmax),
)

if __name__ == "__main__":
    raise SystemExit(main())
