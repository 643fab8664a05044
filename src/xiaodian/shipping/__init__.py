"""Ship-by deadlines, the 24-hour view, shipping one order or a file, late-shipment violations, forecast."""
