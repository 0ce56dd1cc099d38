"""The steering dashboard (``channels.dashboard.channel.DashboardInput``)."""
