"""Form fields shared by the Call form and the profile editors."""
