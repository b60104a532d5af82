"""The History screen (F11): every stored call of the environment, paged from SQLite, with the
Audit log as its second tab."""
