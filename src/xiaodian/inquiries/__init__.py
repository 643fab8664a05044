"""Buyer inquiry assistant (issue 7): understand a buyer's message and answer it from the order data."""
