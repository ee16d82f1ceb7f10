"""A greeter service in Python, standard library only.

It answers the HTTP form of micro's protocol (docs/protocol.md): POST / with a Micro-Endpoint
header and a JSON body. `micro sidecar --server-name greeter --server-address 127.0.0.1:PORT
--healthcheck-url http://127.0.0.1:PORT/health` registers it, and every micro client can call it.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def error(code, status, detail):
    return code, {"id": "greeter", "code": code, "detail": detail, "status": status}


def hello(request):
    name = request.get("name")
    if not isinstance(name, str):
        return error(400, "Bad Request", "name must be a string")
    return 200, {"msg": "Hello " + name, "from": "python"}


ENDPOINTS = {"Say.Hello": hello}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"status": "ok"})
        else:
            self.reply(*error(404, "Not Found", "no route " + self.path))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        endpoint = self.headers.get("Micro-Endpoint", "")
        handler = ENDPOINTS.get(endpoint)
        if handler is None:
            self.reply(*error(404, "Not Found", "unknown endpoint " + endpoint + "; it serves Say.Hello"))
            return
        try:
            request = json.loads(raw or b"{}")
        except ValueError as e:
            self.reply(*error(400, "Bad Request", "request body is not JSON: " + str(e)))
            return
        self.reply(*handler(request))

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("PORT", "9000"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("greeter (python) listening on 127.0.0.1:%d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
