"""Measuring the dialogue on real servers: used by ``make evaluate`` and the e2e tests."""
