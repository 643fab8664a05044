"""The order aggregate: shop orders, their SKU orders, statuses, timeline and search."""
