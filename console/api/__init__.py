"""The call API: shared models, the typed HTTP client and its errors. Never imports Textual."""

from console.api import httpx_compat

httpx_compat.install()  # before any module of this package imports httpx
