"""qbank: a Transformer interview question bank in which every answer is proven by code."""

__version__ = "0.1.0"
