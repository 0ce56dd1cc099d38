"""The advisers' session cookie: one sign-in for the console and the hand-over desk.

Set by the console's sign-in (``channels.console.channel``), read by the hand-over
desk's routes (``channels.handover.desk``); the session itself is
``bot.advisers.service``'s.
"""

COOKIE = "spro_console"
