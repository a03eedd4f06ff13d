"""Integrity: the Merkle log, checkpoints, proofs, verify and tampering (issue 5)."""
