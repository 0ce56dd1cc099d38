"""The tele-advisers' domain: accounts and sessions, calls, the fiche, the script aid.

Plain Python used by the console, the hand-over desk and the dashboard channels
(``channels.console``, ``channels.handover``, ``channels.dashboard``), which only map
HTTP to it. Administration commands: ``python -m channels.console --help``.
"""
