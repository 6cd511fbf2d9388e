"""Scaling out on Ray: distributed ingest and replicated serving (the optional `cluster` extra)."""
