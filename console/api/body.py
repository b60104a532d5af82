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


async def read_capped(streamed: httpx.Response, max_bytes: int) -> tuple[bytes, bool]:
    """The decoded body of a streamed response, at most `max_bytes` of it, and True when it
    was longer (then the rest is neither read nor decompressed)."""
    if streamed.is_stream_consumed:  # read already (an in-memory answer, the sign-in flow's)
        content = streamed.content
        return content[:max_bytes], len(content) > max_bytes
    layers = _layers(streamed.headers.get("content-encoding", ""))
    body = bytearray()

    def take(chunk: bytes) -> bool:
        body.extend(chunk)
        if len(body) > max_bytes:
            del body[max_bytes:]
            return True
        return False

    async for raw in streamed.aiter_raw():
        if not layers:
            if take(raw):
                return bytes(body), True
            continue
        chunk = _through(layers, raw, max_bytes - len(body) + 1)
        while True:
            if take(chunk):
                return bytes(body), True
            if not any(layer.pending() for layer in layers):
                break
            chunk = _through(layers, b"", max_bytes - len(body) + 1)
    for index, layer in enumerate(layers):
        rest = layer.flush()
        if rest and take(_through(layers[index + 1:], rest, max_bytes - len(body) + 1)):
            return bytes(body), True
    return bytes(body), False
