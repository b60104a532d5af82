"""Themes and the look-and-feel layer of the app."""
