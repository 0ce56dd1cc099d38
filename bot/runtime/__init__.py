"""Process control: the launcher, the cluster, the action server, the CLI, the purge.

The top of ``bot/``: it starts and stops servers and runs administration commands;
nothing below imports it.
"""
