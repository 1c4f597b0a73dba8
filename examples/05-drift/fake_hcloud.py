"""A local stand-in for the Hetzner Cloud API (https://docs.hetzner.cloud/) for the lab.

Serves `GET /v1/<collection>` from a JSON file ({"servers": [...], "volumes": [...], ...})
with the documented shapes: bearer-token authentication, `page`/`per_page`
pagination with `meta.pagination`, `label_selector` (`k=v`, `k!=v`, `k`, `!k`,
comma-separated), and the error body `{"error": {"code", "message"}}`.

Usage: python3 fake_hcloud.py CLOUD_JSON TOKEN PORT_FILE
The chosen port is written to PORT_FILE once the server listens.
"""

import json
import math
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def matches(labels, selector):
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = term.split("=", 1)
            if labels.get(key.rstrip("=")) != value:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


class Handler(BaseHTTPRequestHandler):
    cloud = {}
    token = ""

    def log_message(self, *_args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("RateLimit-Limit", "3600")
        self.send_header("RateLimit-Remaining", "3599")
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message):
        self.reply(status, {"error": {"code": code, "message": message, "details": {}}})

    def do_GET(self):
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            return self.error(401, "unauthorized", "unable to authenticate")
        url = urlparse(self.path)
        parts = url.path.strip("/").split("/")
        if len(parts) != 2 or parts[0] != "v1" or parts[1] not in self.cloud:
            return self.error(404, "not_found", f"{url.path} not found")
        query = parse_qs(url.query)
        try:
            page = max(1, int(query.get("page", ["1"])[0]))
            per_page = min(50, max(1, int(query.get("per_page", ["25"])[0])))
        except ValueError:
            return self.error(400, "invalid_input", "page and per_page must be integers")
        items = self.cloud[parts[1]]
        selector = query.get("label_selector", [""])[0]
        if selector:
            items = [item for item in items if matches(item.get("labels", {}), selector)]
        last_page = max(1, math.ceil(len(items) / per_page))
        body = {
            parts[1]: items[(page - 1) * per_page : page * per_page],
            "meta": {
                "pagination": {
                    "page": page,
                    "per_page": per_page,
                    "previous_page": page - 1 if page > 1 else None,
                    "next_page": page + 1 if page < last_page else None,
                    "last_page": last_page,
                    "total_entries": len(items),
                }
            },
        }
        self.reply(200, body)


def main():
    cloud_file, token, port_file = sys.argv[1:4]
    with open(cloud_file) as handle:
        Handler.cloud = json.load(handle)
    Handler.token = token
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file, "w") as handle:
        handle.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
