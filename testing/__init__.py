"""Test doubles for Atelier (installed as ``atelier.testing``): a scripted chat model, the
scripted Lighthouse cast that answers every agent's prompt, and the Lighthouse fixture series.

Nothing in the product imports this package (the architecture test checks it). The tests
and benchmarks reach it through the model seam: ``[models] plugins =
["atelier.testing.models"]`` with ``provider = "scripted"`` selects the scripted cast exactly
as config.toml selects any provider.
"""
