"""The demo shop: a grain and produce store with realistic orders, deterministic for a given now."""
