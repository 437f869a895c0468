"""Search over public threads. Every change to a thread writes a row to the `search_outbox`
table in the same transaction; an indexer drains those rows into the index."""
