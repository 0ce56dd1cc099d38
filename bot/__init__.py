"""SPRO premier accueil assistant: domain logic, knowledge access and Rasa actions."""

__version__ = "0.1.0"
