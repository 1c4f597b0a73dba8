#!/usr/bin/env python3
"""The local S3 server: moto's `moto_server`, with conditional writes made atomic.

moto answers `If-None-Match: *` and `If-Match` on PutObject and `If-Match` on
DeleteObject, but it checks the condition and then writes in two steps, and its
server handles requests on many threads: two writers conditional on the same ETag
can both be told 200, which Cloudflare R2 and S3 never allow. Every lock in the
project depends on exactly that refusal, so this launcher runs object writes and
deletes one at a time (one lock around moto's PutObject, CopyObject and
DeleteObject handlers) and then starts moto's own server with the same arguments.
Reads stay concurrent.

`make setup` installs it as `.tools/bin/moto_server`; the tests, the demo and the
labs all start it through that name.
"""

from __future__ import annotations

import functools
import sys
import threading

from moto.s3.responses import S3Response
from moto.server import main

_object_writes = threading.Lock()


def _one_at_a_time(handler):
    @functools.wraps(handler)
    def serialised(self, *args, **kwargs):
        with _object_writes:
            return handler(self, *args, **kwargs)

    return serialised


for _name in ("put_object", "copy_object", "delete_object"):
    setattr(S3Response, _name, _one_at_a_time(getattr(S3Response, _name)))

if __name__ == "__main__":
    sys.exit(main())
