"""The Settings screen: environments and preferences."""
