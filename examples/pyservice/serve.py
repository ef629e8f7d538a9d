"""Serving the same app with uvicorn and http.server, keep-alive turned off."""

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import uvicorn


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    uvicorn.run("app:app", host="0.0.0.0", port=8000, timeout_keep_alive=0)
    ThreadingHTTPServer(("", 8001), Handler).serve_forever()
