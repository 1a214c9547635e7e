#!/usr/bin/env python3
"""A real HTTP server on 127.0.0.1 for the verifier's tests: serves a
directory with Range support, and misbehaves on request. Usage:

    mirror_server.py DIRECTORY FAULTS.json PORT_FILE [REQUEST_LOG]

FAULTS.json maps file names to a fault and how many requests it affects
(-1: all): {"name": {"status": 500, "count": 2}}, {"truncate": 1000}
(announce the full length, send 1000 bytes, close), {"ignore_range": true}.
Hostile ones: {"body": "text"} (served for any name, even "../x"),
{"trickle": BYTES_PER_SECOND}, {"endless": true} (zeros, no length, never
ending), {"announce": BYTES} (a Content-Length that large, then the file),
{"newlines": BYTES} (that many newlines), {"redirect": "URL"} (302; "self"
redirects to the same path forever).
The chosen port is written to PORT_FILE once the server listens; every
request's decoded name is appended to REQUEST_LOG."""

import http.server
import json
import os
import sys
import threading

import time

directory, faults_path, port_file = sys.argv[1:4]
request_log = sys.argv[4] if len(sys.argv) > 4 else None
lock = threading.Lock()


def log_request(name):
    if request_log:
        with lock, open(request_log, "a") as f:
            f.write(name + "\n")


def take_fault(name):
    with lock:
        try:
            with open(faults_path) as f:
                faults = json.load(f)
        except (OSError, ValueError):
            return None
        fault = faults.get(name)
        if not fault:
            return None
        count = fault.get("count", -1)
        if count == 0:
            return None
        if count > 0:
            fault["count"] = count - 1
            with open(faults_path, "w") as f:
                json.dump(faults, f)
        return fault


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        name = self.path.lstrip("/").split("?")[0]
        name = http.server.urllib.parse.unquote(name)
        log_request(name)
        fault = take_fault(name) or {}
        if self.misbehave(name, fault):
            return
        if "status" in fault:
            body = b"fault\n"
            self.send_response(fault["status"])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        path = os.path.join(directory, name)
        if "/" in name or not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with open(path, "rb") as f:
            data = f.read()
        start = 0
        ranged = self.headers.get("Range")
        if ranged and ranged.startswith("bytes=") and not fault.get("ignore_range"):
            start = int(ranged[6:].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        payload = data[start:]
        if "trickle" in fault:
            self.trickle(payload, fault["trickle"])
            return
        if "truncate" in fault:
            self.wfile.write(payload[: fault["truncate"]])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(payload)


    def misbehave(self, name, fault):
        """The faults that need no file: True when the request is answered."""
        try:
            if "redirect" in fault:
                target = self.path if fault["redirect"] == "self" else fault["redirect"]
                self.send_response(302)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif "body" in fault:
                self.send_payload(fault["body"].encode())
            elif "newlines" in fault:
                self.send_response(200)
                self.send_header("Content-Length", str(fault["newlines"]))
                self.end_headers()
                left = fault["newlines"]
                while left > 0:
                    chunk = min(left, 1 << 20)
                    self.wfile.write(b"\n" * chunk)
                    left -= chunk
            elif "endless" in fault:
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                while True:
                    self.wfile.write(b"\0" * 65536)
            elif "announce" in fault:
                self.send_response(200)
                self.send_header("Content-Length", str(fault["announce"]))
                self.end_headers()
                self.close_connection = True
            else:
                return False
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        return True

    def send_payload(self, payload):
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def trickle(self, payload, rate):
        """Sends payload at rate bytes per second, in eighths of a second."""
        step = max(1, rate // 8)
        try:
            for at in range(0, len(payload), step):
                self.wfile.write(payload[at : at + step])
                self.wfile.flush()
                time.sleep(0.125)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.daemon_threads = True
server.serve_forever()
