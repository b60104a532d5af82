"""call-console: place outbound calls through the MrAssistant voice-agent API and watch them live."""

__version__ = "0.1.0"
