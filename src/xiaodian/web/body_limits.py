"""How large a request body the desk will read, by kind of route.

Bodies were read whole before anything was checked: three anonymous 200 MB POSTs to the Douyin push hook took the
server from 150 MB to 1.43 GB, and a 200 MB JSON body to an API route was read and parsed before its login check.
Starlette's RequestBodyLimitMiddleware (through FastAPI's ``max_body_size``) answers 413 as soon as the declared
length, or the bytes received so far, pass the route's limit:

- ``DEFAULT``, the whole app: JSON and form bodies (notes, shipments, settings; a bulk API call of 10,000 rows is
  about 1 MB);
- ``PUSH``, the public push hooks: a Douyin push batch or a Kuaidi100 push is a few KB;
- ``UPLOAD``, the routes that take a file: an order export may be gigabytes (issue 2 imports a 1 GB file), and
  multipart spools it to disk, not memory; the bound is the upload store's own (exportfile.uploads)."""

from __future__ import annotations

from ..channels.exportfile.uploads import MAX_UPLOAD_BYTES

MIB = 1024 * 1024
DEFAULT = 16 * MIB
PUSH = 1 * MIB
UPLOAD = MAX_UPLOAD_BYTES + MIB  # the file plus the multipart envelope and the form's other fields
