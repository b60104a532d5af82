"""Telephony rules the client checks before sending: phone numbers, DTMF and SIP headers.

Headless: never imports Textual, so the CLI, the simulator and tests can use it directly.
"""
