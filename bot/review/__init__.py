"""Staff improve the assistant from real conversations: inbox, labels, gated retraining.

``inbox`` finds the messages worth a look in the tracker store, ``labelling`` writes
what staff decide to a reviewed training file, ``decision`` and ``measures`` are the
quality gate's rules and figures (its runs: ``bot.runtime.gate``), ``serving`` makes a
running server load a replaced model (docs/review.md).
"""
