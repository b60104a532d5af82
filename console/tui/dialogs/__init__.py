"""Dialogs shared by every screen (the modal base, confirm, help, sign-in)."""
