"""The steering dashboard of the indicators (``channels.dashboard.channel.DashboardInput``)."""
