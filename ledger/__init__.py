"""The log: the event contract, the eventsourcing store, ingest, keys and personal-data encryption."""
