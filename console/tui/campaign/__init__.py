"""The Campaign screen (F10): plan a CSV with a template, see every row's verdict, start, pause,
resume and stop it, follow its progress and rows, and look back at past campaigns.

The screen is a face over `console/campaign/` (the headless engine the CLI uses too): it never
decides a rule itself.
"""
