"""The Calls screen: the live table, the detail pane and the call actions."""
