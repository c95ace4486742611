"""A stand-in for the city's 12345 platform: a small HTTP server on loopback.

It takes our status messages (签收, 退单, 延期申请, 办结) at /status, checks their signature,
and keeps each Idempotency-Key once, as the real platform must; it can be made to answer 503
for a while ("down"). It sends orders, extension answers and 回访 to our webhook over HTTP.
"""

import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from interop import signing


class StandInHotline:
    def __init__(self, secret=""):
        self.secret = secret
        self.down = False
        self.deliveries = []  # every POST that arrived, repeats included
        self.taken = {}  # Idempotency-Key -> payload, each once
        self.refused_signatures = 0
        # Called with each message's key and payload while its request is open, before the
        # answer: a test may look around meanwhile, or be slow.
        self.while_receiving = None
        # Answer every message with this status (500, say) instead of taking it.
        self.answer_status = None
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if platform.down:
                    return self._answer(503, {"error": "maintenance"})
                if platform.answer_status:
                    return self._answer(platform.answer_status, {"error": "broken"})
                if platform.while_receiving:
                    platform.while_receiving(json.loads(body))
                bad = signing.verify(
                    platform.secret,
                    self.headers.get("X-Youjie-Timestamp", ""),
                    self.headers.get("X-Youjie-Signature", ""),
                    body,
                    300,
                )
                if bad:
                    platform.refused_signatures += 1
                    return self._answer(401, {"error": bad})
                key = self.headers.get("Idempotency-Key", "")
                payload = json.loads(body)
                platform.deliveries.append((key, payload))
                platform.taken.setdefault(key, payload)
                return self._answer(200, {"ok": True})

            def _answer(self, status, data):
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def status_url(self):
        return f"http://127.0.0.1:{self.server.server_port}/status"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def kinds(self):
        return [payload["type"] for payload in self.taken.values()]

    def send(self, base_url, partner_id, message, secret=None, timestamp=None):
        """Post one message to our webhook; (status, answer)."""
        body = json.dumps(message, ensure_ascii=False).encode()
        timestamp = timestamp or str(int(time.time()))
        request = urllib.request.Request(
            f"{base_url}/api/hotline/{partner_id}/",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Hotline-Timestamp": timestamp,
                "X-Hotline-Signature": signing.sign(secret or self.secret, timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")
