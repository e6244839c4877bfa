"""The weekly comparison report: its model, charts and rendering."""
