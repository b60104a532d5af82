"""An answer's body read up to a cap, decompressed as it arrives with a bound on each step.

httpx decodes gzip and deflate one network chunk at a time with no limit on the output: 64 KiB
of a compression bomb became 64 MB (with eight requests in flight, half a gigabyte) before a
cap on the decoded size could act. Here the raw bytes are decompressed with `max_length`, so
no step yields more than the room left under the cap, and what does not fit stays compressed
until the body is abandoned. Encodings other than gzip and deflate are passed through as they
came (as httpx does when it has no decoder; the client asks only for these two).
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

import httpx

#: What the client asks servers for (`Accept-Encoding`): the encodings decoded here.
ACCEPT_ENCODING = "gzip, deflate"


class UndecodableBody(httpx.ReadError):
    """The body does not decompress: a transport error (the POST's caller makes it an unknown
    outcome, a GET may be retried) whose message says so."""


class _Inflate:
    """One layer of gzip or deflate, decompressed at most `room` bytes at a time."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        gzip = encoding in ("gzip", "x-gzip")
        self._raw_fallback = not gzip  # deflate is sent zlib-wrapped or raw: try both
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS)

    def pending(self) -> bool:
        return bool(self._inflater.unconsumed_tail)

    def feed(self, data: bytes, room: int) -> bytes:
        data = self._inflater.unconsumed_tail + data
        try:
            out = self._inflater.decompress(data, max(1, room))
        except zlib.error as exc:
            if not self._raw_fallback:
                raise _undecodable(self.encoding, exc) from None
            self._raw_fallback = False
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            return self.feed(data, room)
        self._raw_fallback = False
        return out

    def flush(self) -> bytes:
        try:
            return self._inflater.flush()
        except zlib.error as exc:
            raise _undecodable(self.encoding, exc) from None


def _undecodable(encoding: str, exc: Exception) -> UndecodableBody:
    return UndecodableBody(f"the answer's {encoding} body does not decode ({exc})")


def _layers(content_encoding: str) -> list[_Inflate]:
    """Decoders in the order to apply them (the header lists the encodings as applied)."""
    names = [name.strip().lower() for name in content_encoding.split(",")]
    return [_Inflate(name) for name in reversed(names)
            if name in ("gzip", "x-gzip", "deflate")]


def _through(layers: list[_Inflate], data: bytes, room: int) -> bytes:
    for layer in layers:
        data = layer.feed(data, room)
    return data


async def _decoded(raw: AsyncIterator[bytes], content_encoding: str,
                   max_bytes: int) -> AsyncIterator[bytes]:
    """The decoded chunks of a raw body, stopping once more than `max_bytes` came out (the
    extra byte tells "longer than the cap" from "exactly the cap")."""
    layers = _layers(content_encoding)
    out = 0
    async for chunk in raw:
        while True:
            if layers:
                chunk = _through(layers, chunk, max_bytes - out + 1)
            out += len(chunk)
            yield chunk
            if out > max_bytes or not any(layer.pending() for layer in layers):
                break
            chunk = b""
        if out > max_bytes:
            return
    for index, layer in enumerate(layers):
        rest = layer.flush()
        if rest:
            yield _through(layers[index + 1:], rest, max_bytes - out + 1)


async def read_capped(streamed: httpx.Response, max_bytes: int) -> tuple[bytes, bool]:
    """The decoded body of a streamed response, at most `max_bytes` of it, and True when it
    was longer (then the rest is neither read nor decompressed)."""
    if streamed.is_stream_consumed:  # read already (an in-memory answer)
        content = streamed.content
        return content[:max_bytes], len(content) > max_bytes
    body = bytearray()
    async for chunk in _decoded(streamed.aiter_raw(), streamed.headers.get(
            "content-encoding", ""), max_bytes):
        body += chunk
        if len(body) > max_bytes:
            return bytes(body[:max_bytes]), True
    return bytes(body), False


class _CappedBody(httpx.AsyncByteStream):
    """A response body decoded here, bounded, and cut after `limit` bytes (the rest is never
    read; closing it closes the connection)."""

    def __init__(self, inner: httpx.AsyncByteStream, content_encoding: str, limit: int):
        self._inner, self._encoding, self._limit = inner, content_encoding, limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        left = self._limit
        async for chunk in _decoded(aiter(self._inner), self._encoding, self._limit):
            if left <= 0:
                break
            yield chunk[:left]
            left -= len(chunk)

    async def aclose(self) -> None:
        await self._inner.aclose()


def cap_body(response: httpx.Response, max_bytes: int) -> None:
    """Make a response not read yet yield at most `max_bytes` of decoded body to whoever reads
    it (httpx itself included: the sign-in flow's 401 is read by httpx before its retry).
    The body is decoded here, bounded, so the encoding header goes: httpx must not decode it
    again."""
    if response.is_stream_consumed or not isinstance(response.stream, httpx.AsyncByteStream):
        return
    encoding = response.headers.pop("content-encoding", "")
    response.stream = _CappedBody(response.stream, encoding, max_bytes)
