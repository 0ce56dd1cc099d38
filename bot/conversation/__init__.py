"""The dialogue's domain: profile extraction, routing, questions, the orientation.

Plain Python, testable without Rasa: the actions (``bot.actions``) call it, the
channels and the advisers' domain read its results. It reads the knowledge base
(``bot.knowledge``, ``bot.places``) and the ground floor (``bot.config``, ``bot.text``).
"""
