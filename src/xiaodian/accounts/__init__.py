"""Shops, users, sessions, API tokens and (with roles) the audit log."""
