"""Rasa input channels of the assistant and the helpers they share."""
