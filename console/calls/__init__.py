"""What a call does, headless: the draft and its checks, placement, actions."""
