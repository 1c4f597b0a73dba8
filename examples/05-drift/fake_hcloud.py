"""A local stand-in for the Hetzner Cloud API (https://docs.hetzner.cloud/) for the lab.

Serves `GET /v1/<collection>` from a JSON file ({"servers": [...], "volumes": [...], ...})
with the documented shapes: bearer-token authentication, `page`/`per_page`
pagination with `meta.pagination`, `label_selector` (`k=v`, `k==v`, `k!=v`, `k`,
`!k`, `k in (a,b)`, `k notin (a,b)`, comma-separated), and the error body
`{"error": {"code", "message", "details"}}` with documented codes only
(`unauthorized`, `not_found`, `invalid_input`).

Usage: python3 fake_hcloud.py CLOUD_JSON TOKEN PORT_FILE
The chosen port is written to PORT_FILE once the server listens.
"""

import json
import math
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


KEY = re.compile(r"^[A-Za-z0-9./_-]+$")


def split_terms(selector):
    """Comma-separated expressions; commas inside ( ) separate set members."""
    terms, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise ValueError("unbalanced `)`")
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    if depth != 0:
        raise ValueError("unbalanced `(`")
    terms.append(current)
    return [t.strip() for t in terms]


def parse_selector(selector):
    """A list of predicates over a label dict; ValueError when not the documented syntax."""
    predicates = []
    for term in split_terms(selector):
        if not term:
            raise ValueError("empty expression")
        match = re.fullmatch(r"(\S+)\s+(in|notin)\s+\((.*)\)", term)
        if match:
            key, op, values = match.group(1), match.group(2), {v.strip() for v in match.group(3).split(",")}
            negate = op == "notin"
            predicates.append((key, lambda l, k=key, vs=values, n=negate: (l.get(k) in vs) != n))
        elif "!=" in term:
            key, value = (p.strip() for p in term.split("!=", 1))
            predicates.append((key, lambda l, k=key, v=value: l.get(k) != v))
        elif "=" in term:
            key, value = (p.strip() for p in term.split("=", 1))
            key, value = key.rstrip("="), value.lstrip("=")
            predicates.append((key, lambda l, k=key, v=value: l.get(k) == v))
        elif term.startswith("!"):
            key = term[1:].strip()
            predicates.append((key, lambda l, k=key: k not in l))
        else:
            predicates.append((term, lambda l, k=term: k in l))
    for key, _ in predicates:
        if not KEY.match(key):
            raise ValueError(f"invalid key `{key}`")
    return [predicate for _, predicate in predicates]


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
            page = int(query.get("page", ["1"])[0])
            per_page = min(50, int(query.get("per_page", ["25"])[0]))
            if page < 1 or per_page < 1:
                raise ValueError
        except ValueError:
            return self.error(400, "invalid_input", "page and per_page must be positive integers")
        items = self.cloud[parts[1]]
        selector = query.get("label_selector", [""])[0]
        if selector:
            try:
                predicates = parse_selector(selector)
            except ValueError as error:
                return self.error(400, "invalid_input", f"invalid label_selector: {error}")
            items = [i for i in items if all(p(i.get("labels") or {}) for p in predicates)]
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


    def not_served(self):
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            return self.error(401, "unauthorized", "unable to authenticate")
        self.error(404, "not_found", f"{self.command} {urlparse(self.path).path} not found")

    do_POST = do_PUT = do_DELETE = do_PATCH = not_served


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
