"""The call API: shared models, the typed HTTP client and its errors. Never imports Textual."""
