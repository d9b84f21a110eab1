"""What the loopback mock servers share: bind 127.0.0.1 on a free port, serve from a daemon
thread while the `with` block runs, and stop after `lifetime_s` even if a test forgets to."""

import threading
from http.server import ThreadingHTTPServer


class LoopbackServer:
    def __init__(self, handler, lifetime_s: float = 300) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._timer = threading.Timer(lifetime_s, self.stop)
        self._timer.daemon = True

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._timer.cancel()
        self._server.shutdown()
        self._server.server_close()
