"""Test support shared by the suites: an attacker with database access, independent verifiers
(RFC 9162, sigstore), a tiles reader, witnesses."""
