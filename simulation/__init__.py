"""A realistic simulated experiment with injected violations (``lokikirja simulate``)."""
