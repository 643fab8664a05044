"""Buyer PII: encryption at rest, blind indexes for search, masking for display."""
