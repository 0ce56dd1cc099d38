"""Anonymous indicators of the service: one record per conversation, aggregates, reports."""
