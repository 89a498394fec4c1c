"""Oracles: independent reference implementations the checks compare `impl` against, one
module per concept, for the components PyTorch has no module of its own for (an MoE router,
a LoRA layer, a KV cache, ...).

An oracle is never the thing proven. A check that calls an oracle also calls the
implementation under test (`impl.NAME`) and compares the two; tests/test_check_rule.py
holds every check to that, and keeps `nn.Module` classes out of the check files themselves.
"""
