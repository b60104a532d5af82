"""The Call screen: the form, its preview and the send."""
