"""Anonymous indicators: one record per conversation, aggregates, reports."""
