"""Logistics: tracking events and their forward-only projection, anomaly rules, Kuaidi100, the worklist."""
