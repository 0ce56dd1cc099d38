"""Tele-adviser console: the assistant as a script aid for the regional phone line.

``channels.console.channel.ConsoleInput`` is the Rasa input channel (credentials.yml);
the other modules (accounts, store, profile, fiche) are plain Python, usable without
Rasa. Administration commands: ``python -m channels.console --help``.
"""
