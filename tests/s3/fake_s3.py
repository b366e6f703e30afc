#!/usr/bin/env python3
"""A small S3 on loopback for the s3 source's tests: it checks what s3rver
does not (s3rver takes any signature), and fails on command.

- Every request's SigV4 signature is computed again here, from AWS's
  documented algorithm, written independently of libcurl: canonical URI
  (the path decoded, then encoded as SigV4 encodes), canonical query (each
  parameter decoded, encoded, sorted), the signed headers, the payload hash
  from x-amz-content-sha256. A mismatch answers 403 SignatureDoesNotMatch;
  an x-amz-* header left unsigned, an unknown key, a session token that
  does not match, or a missing x-amz-content-sha256 are refused as S3 does.
- Buckets are folders of DIR (DIR/bucket/key...). ListObjectsV2 (prefix,
  delimiter, continuation-token, max-keys, encoding-type=url), GET with
  Range, HEAD, DELETE (204 whether the key was there or not, as S3), and
  PUT as CopyObject only (x-amz-copy-source, within the bucket). Buckets named in --requester-pays answer 403 AccessDenied
  without x-amz-request-payer: requester; buckets in --public need no
  signature; --wrong-region BUCKET=REGION answers 301 with
  x-amz-bucket-region.
- Faults, armed by an unsigned POST /__fault?status=S&count=N[&code=C][&match=TEXT]:
  the next N requests whose path holds TEXT answer status S with S3 error
  code C (503 SlowDown, 500 InternalError, ...); status=reset closes the
  connection without an answer; status=cut sends half the body then closes;
  status=xml answers 200 with an XML document that is not a listing;
  status=stall waits 3 s before answering (a client's timeout cuts it).
- Every request is logged to stdout as "METHOD PATH?QUERY -> STATUS", after
  the first line, which gives the port.

Usage: fake_s3.py DIR [--requester-pays B]... [--public B]... [--wrong-region B=R]...
Credentials: AKIDTEST/SECRETTEST; and ASIATEST/SECRETTOKEN with session token TOKENTEST.
"""
import argparse
import datetime
import hashlib
import hmac
import http.server
import os
import shutil
import sys
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape

KEYS = {"AKIDTEST": ("SECRETTEST", None), "ASIATEST": ("SECRETTOKEN", "TOKENTEST")}
REGION = "us-east-1"
UNRESERVED = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def aws_encode(raw: bytes, keep_slash: bool) -> str:
    return "".join(chr(c) if c in UNRESERVED or (keep_slash and c == 0x2F) else "%%%02X" % c for c in raw)


def canonical_query(query: str) -> str:
    pairs = []
    for part in query.split("&") if query else []:
        k, _, v = part.partition("=")
        pairs.append((aws_encode(urllib.parse.unquote_to_bytes(k), False),
                      aws_encode(urllib.parse.unquote_to_bytes(v), False)))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def expected_signature(method, raw_path, query, headers, signed, amz_date, scope, secret):
    canonical = "\n".join([
        method,
        aws_encode(urllib.parse.unquote_to_bytes(raw_path), True),
        canonical_query(query),
        "".join(f"{h}:{' '.join((headers.get(h) or '').split())}\n" for h in signed),
        ";".join(signed),
        headers.get("x-amz-content-sha256") or "",
    ])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    date, region, service, _ = scope.split("/")
    k = hmac256(("AWS4" + secret).encode(), date)
    k = hmac256(hmac256(hmac256(k, region), service), "aws4_request")
    return hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.armed = []  # [status, code, count, match]

    def take(self, path):
        with self.lock:
            for f in self.armed:
                if f[2] > 0 and f[3] in path:
                    f[2] -= 1
                    return f[0], f[1]
        return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        print(f"{self.command} {self.path} -> {status}", flush=True)

    def error(self, status, code, message, extra=""):
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                f"<Message>{escape(message)}</Message>{extra}<RequestId>fake</RequestId></Error>").encode()
        self.answer(status, body, [("Content-Type", "application/xml")])

    def check_signature(self, raw_path, query):
        h = {k.lower(): v for k, v in self.headers.items()}
        auth = h.get("authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return (403, "AccessDenied", "Access Denied: no SigV4 Authorization header")
        fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
        akid, _, scope = fields.get("Credential", "").partition("/")
        signed = fields.get("SignedHeaders", "").split(";")
        if akid not in KEYS:
            return (403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
        secret, token = KEYS[akid]
        if "x-amz-content-sha256" not in h:
            return (400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
        for need in ["host", "x-amz-date", "x-amz-content-sha256"] + [k for k in h if k.startswith("x-amz-")]:
            if need not in signed:
                return (403, "AccessDenied", f"There were headers present in the request which were not signed: {need}")
        if token is not None and h.get("x-amz-security-token") != token:
            return (403, "InvalidToken", "The provided token is malformed or otherwise invalid.")
        if scope.split("/")[1:] != [REGION, "s3", "aws4_request"]:
            return (400, "AuthorizationHeaderMalformed", f"the region in the scope is wrong; expecting '{REGION}'")
        want = expected_signature(self.command, raw_path, query, h, signed, h.get("x-amz-date", ""), scope, secret)
        if not hmac.compare_digest(want, fields.get("Signature", "")):
            return (403, "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided.")
        return None

    def handle_any(self):
        raw_path, _, query = self.path.partition("?")
        if raw_path == "/__fault" and self.command == "POST":
            q = dict(urllib.parse.parse_qsl(query))
            with self.server.faults.lock:
                self.server.faults.armed.append([q["status"], q.get("code", "InternalError"), int(q.get("count", 1)),
                                                 q.get("match", "")])
            return self.answer(200)
        path = urllib.parse.unquote(raw_path)
        bucket, _, key = path.lstrip("/").partition("/")
        fault = self.server.faults.take(self.path)
        if fault and fault[0] == "reset":
            print(f"{self.command} {self.path} -> reset", flush=True)
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if fault and fault[0] == "stall":
            time.sleep(3)
            fault = None
        if fault and fault[0] == "xml":
            return self.answer(200, b"<?xml version='1.0'?><Nonsense><Key>x</Key></Nonsense>",
                               [("Content-Type", "application/xml")])
        if fault and fault[0] != "cut":
            return self.error(int(fault[0]), fault[1], "injected by the test")
        if bucket not in self.server.public:
            bad = self.check_signature(raw_path, query)
            if bad:
                return self.error(*bad)
        if bucket in self.server.wrong_region:
            return self.answer(301, b"", [("x-amz-bucket-region", self.server.wrong_region[bucket])])
        root = os.path.join(self.server.dir, bucket)
        if not bucket or not os.path.isdir(root):
            return self.error(404, "NoSuchBucket", "The specified bucket does not exist", f"<BucketName>{escape(bucket)}</BucketName>")
        if bucket in self.server.requester_pays and self.headers.get("x-amz-request-payer") != "requester":
            return self.error(403, "AccessDenied", "Access Denied")
        if not key:
            return self.list(root, dict(urllib.parse.parse_qsl(query, keep_blank_values=True)))
        file = os.path.join(root, key)
        if self.command == "DELETE":  # S3 answers 204 whether the key was there or not
            if os.path.isfile(file):
                os.unlink(file)
            return self.answer(204)
        if self.command == "PUT":
            return self.copy(root, file)
        if not os.path.isfile(file):
            return self.error(404, "NoSuchKey", "The specified key does not exist.", f"<Key>{escape(key)}</Key>")
        data = open(file, "rb").read()
        mtime = datetime.datetime.fromtimestamp(os.path.getmtime(file), datetime.timezone.utc)
        common = [("Last-Modified", mtime.strftime("%a, %d %b %Y %H:%M:%S GMT")), ("Accept-Ranges", "bytes")]
        rng = self.headers.get("Range")
        if rng:
            a, _, b = rng[len("bytes="):].partition("-")
            a = int(a)
            b = min(int(b), len(data) - 1) if b else len(data) - 1
            if a >= len(data):
                return self.error(416, "InvalidRange", "The requested range is not satisfiable")
            part = data[a:b + 1]
            common.append(("Content-Range", f"bytes {a}-{b}/{len(data)}"))
            status = 206
        else:
            part, status = data, 200
        if fault and fault[0] == "cut":
            self.send_response(status)
            for k, v in common:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(part)))
            self.end_headers()
            self.wfile.write(part[:len(part) // 2])
            self.wfile.flush()
            print(f"{self.command} {self.path} -> cut", flush=True)
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.answer(status, part, common)

    def copy(self, root, dest):
        """CopyObject: the only PUT here; the source names a key of this bucket."""
        src = urllib.parse.unquote(self.headers.get("x-amz-copy-source", ""))
        _, _, src_key = src.lstrip("/").partition("/")
        if not src_key:
            return self.error(400, "InvalidRequest", "only CopyObject (x-amz-copy-source) is served here")
        src_file = os.path.join(root, src_key)
        if not os.path.isfile(src_file):
            return self.error(404, "NoSuchKey", "The specified key does not exist.", f"<Key>{escape(src_key)}</Key>")
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(src_file, dest)
        self.answer(200, b'<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult><ETag>&quot;x&quot;</ETag>'
                         b"</CopyObjectResult>", [("Content-Type", "application/xml")])

    def list(self, root, q):
        if q.get("list-type") != "2":
            return self.error(400, "InvalidArgument", "only ListObjectsV2 here")
        prefix, delim = q.get("prefix", ""), q.get("delimiter", "")
        max_keys = int(q.get("max-keys", "1000"))
        url = q.get("encoding-type") == "url"
        keys = []
        for d, _, files in os.walk(root):
            for f in files:
                keys.append(os.path.relpath(os.path.join(d, f), root))
        entries = {}
        for k in sorted(keys):
            if not k.startswith(prefix):
                continue
            rest = k[len(prefix):]
            if delim and delim in rest:
                cp = prefix + rest[:rest.index(delim) + len(delim)]
                entries[cp] = None
            else:
                entries[k] = os.path.join(root, k)
        names = sorted(entries)
        start = q.get("continuation-token", "")
        names = [n for n in names if n > start] if start else names
        page, more = names[:max_keys], len(names) > max_keys
        enc = (lambda s: urllib.parse.quote_plus(s, safe="/")) if url else (lambda s: s)
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
               f"<Name>{escape(os.path.basename(root))}</Name><Prefix>{escape(enc(prefix))}</Prefix>",
               f"<KeyCount>{len(page)}</KeyCount><MaxKeys>{max_keys}</MaxKeys>",
               f"<IsTruncated>{'true' if more else 'false'}</IsTruncated>"]
        if url:
            out.append("<EncodingType>url</EncodingType>")
        for n in page:
            if entries[n] is None:
                out.append(f"<CommonPrefixes><Prefix>{escape(enc(n))}</Prefix></CommonPrefixes>")
            else:
                st = os.stat(entries[n])
                t = datetime.datetime.fromtimestamp(st.st_mtime, datetime.timezone.utc)
                out.append(f"<Contents><Key>{escape(enc(n))}</Key><LastModified>{t.strftime('%Y-%m-%dT%H:%M:%S.000Z')}"
                           f"</LastModified><ETag>&quot;x&quot;</ETag><Size>{st.st_size}</Size>"
                           f"<StorageClass>STANDARD</StorageClass></Contents>")
        if more:
            out.append(f"<NextContinuationToken>{escape(page[-1])}</NextContinuationToken>")
        out.append("</ListBucketResult>")
        self.answer(200, "".join(out).encode(), [("Content-Type", "application/xml")])

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--requester-pays", action="append", default=[])
    ap.add_argument("--public", action="append", default=[])
    ap.add_argument("--wrong-region", action="append", default=[])
    a = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.dir, srv.faults = a.dir, Faults()
    srv.requester_pays, srv.public = set(a.requester_pays), set(a.public)
    srv.wrong_region = dict(x.split("=", 1) for x in a.wrong_region)
    print(srv.server_address[1], flush=True)
    # The test's trap ends it; stdin closing (the test gone) ends it too.
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
