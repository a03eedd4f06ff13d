"""Tests of ledger/: the append, the recorders, the Merkle log and its seal, notes and
checkpoints, witnesses, tiles, the subject index, ingest workers."""
