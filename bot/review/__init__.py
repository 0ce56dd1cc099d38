"""Staff improve the assistant from real conversations: inbox, labels, gated retraining.

``inbox`` finds the messages worth a look in the tracker store, ``labelling`` writes
what staff decide to a reviewed training file (docs/review.md).
"""
