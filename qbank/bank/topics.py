"""The bank's topics (id -> title, in the order the site and the quiz list them) and
difficulties. A module of its own, importing nothing, so the quiz can use them without
loading the pydantic schema."""

TOPICS: dict[str, str] = {
    "attention": "Scaled dot-product attention",
    "masking": "Masks: causal and padding",
    "multi-head": "Multi-head attention",
    "encoder-decoder": "Encoder, decoder and cross-attention",
    "normalization": "Normalisation: LayerNorm and BatchNorm",
    "feed-forward": "Position-wise feed-forward network",
    "positional-encoding": "Positional information",
    "architecture": "The architecture as a whole",
    "efficiency": "Cost, complexity and efficient variants",
    "training": "Training and inference",
    "llm": "Large language models in practice",
}
DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")
