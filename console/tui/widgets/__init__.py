"""Widgets of the console, one per module. Each carries its own DEFAULT_CSS."""
