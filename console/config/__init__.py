"""Settings, preferences and the TOML files the console reads and edits."""
