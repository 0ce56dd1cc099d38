"""Measuring the dialogue on real servers (``make evaluate``, the e2e tests)."""
