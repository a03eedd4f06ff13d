"""Tests of replay/: verify, tampering found, proofs, the trust attacks."""
