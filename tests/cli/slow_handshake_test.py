#!/usr/bin/env python3
"""The CLI's gRPC channel against a server slow to send its HTTP/2 SETTINGS.

A busy stepwised (a loaded box, a sanitizer build) may accept a connection
and send its first HTTP/2 frame a few hundred milliseconds later. The
client's channel gave a connection attempt 100 ms, so such a call failed
with UNAVAILABLE ("connection attempt timed out before receiving SETTINGS
frame"); it now gives an attempt a second (client/client.cc). Here a proxy
in front of a real stepwised holds the server's first bytes back for 400 ms.

Usage: slow_handshake_test.py STEPWISED STEPWISE
"""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

HOLD_SECONDS = 0.4


def pipe(src, dst, hold_first):
    first = True
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if first and hold_first:
                time.sleep(HOLD_SECONDS)
            first = False
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def proxy(listener, upstream_port):
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        server = socket.create_connection(("127.0.0.1", upstream_port))
        threading.Thread(target=pipe, args=(client, server, False), daemon=True).start()
        threading.Thread(target=pipe, args=(server, client, True), daemon=True).start()


def main():
    stepwised, stepwise = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        ports = os.path.join(tmp, "ports")
        daemon = subprocess.Popen(
            [stepwised, "--data-dir", os.path.join(tmp, "data"), "--grpc-listen", "127.0.0.1:0",
             "--http-listen", "127.0.0.1:0", "--ports-file", ports, "--log-level", "warn"])
        try:
            for _ in range(400):
                if os.path.exists(ports) and os.path.getsize(ports) > 0:
                    break
                time.sleep(0.05)
            grpc_port = None
            with open(ports) as f:
                for line in f:
                    if line.startswith("grpc="):
                        grpc_port = int(line.strip().split("=")[1])
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen(16)
            threading.Thread(target=proxy, args=(listener, grpc_port), daemon=True).start()
            endpoint = f"127.0.0.1:{listener.getsockname()[1]}"
            env = dict(os.environ, STEPWISE_ENDPOINT=endpoint)
            started = time.monotonic()
            p = subprocess.run([stepwise, "activity", "list", "--json"], capture_output=True,
                               text=True, env=env, timeout=60)
            took = time.monotonic() - started
            if p.returncode != 0:
                print(f"FAIL: `stepwise activity list` through a server {HOLD_SECONDS * 1000:.0f} ms"
                      f" slow to send SETTINGS exited {p.returncode}: {p.stderr.strip()}")
                return 1
            print(f"ok: `stepwise activity list` through a server {HOLD_SECONDS * 1000:.0f} ms slow"
                  f" to send SETTINGS answered in {took:.2f} s")
            return 0
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
