"""HMAC-SHA256 over "<timestamp>.<body>" with the partner's shared secret, both ways."""

import hashlib
import hmac
import time


def sign(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def headers(secret: str, body: bytes, prefix="X-Youjie") -> dict:
    timestamp = str(int(time.time()))
    return {
        f"{prefix}-Timestamp": timestamp,
        f"{prefix}-Signature": sign(secret, timestamp, body),
    }


def verify(secret: str, timestamp: str, signature: str, body: bytes, window: int) -> str | None:
    """None when good; otherwise why not (said to the sender, who may fix their clock)."""
    if not timestamp or not signature:
        return "missing X-Hotline-Timestamp or X-Hotline-Signature"
    if not timestamp.isdigit() or len(timestamp) > 12:
        return "X-Hotline-Timestamp must be Unix seconds"
    if abs(time.time() - int(timestamp)) > window:
        return "timestamp outside the replay window"
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip().lower()):
        return "bad signature"
    return None
