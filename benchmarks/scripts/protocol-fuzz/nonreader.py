#!/usr/bin/env python3
"""SMTP clients that never read replies: each pipelines RSETs (answered, not a sync point) until the relay's
replies fill the socket buffers, then waits. The relay must close each connection after its write timeout
(5 minutes) rather than keep a session thread blocked forever.
Usage: nonreader.py HOST PORT CONNECTIONS SECONDS"""
import socket, subprocess, sys, threading, time
HOST, PORT, N, SECS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
socks = []
def one():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((HOST, PORT))
    time.sleep(1)
    s.recv(1000)  # greeting
    s.sendall(b"EHLO nonreader.example\r\n")
    time.sleep(1)
    s.recv(10000)
    socks.append(s)
    s.settimeout(SECS)
    try:
        s.sendall(b"RSET\r\n" * 400000)  # 2.4 MB of commands, about 9 MB of replies
    except OSError as e:
        print("send ended:", e, flush=True)
ts = [threading.Thread(target=one, daemon=True) for _ in range(N)]
for t in ts:
    t.start()
t0 = time.time()
while time.time() - t0 < SECS:
    time.sleep(30)
    out = subprocess.run(["ss", "-tn", "state", "established", "( dport = :%d )" % PORT], capture_output=True,
                         text=True).stdout
    print("%4.0fs: %d client connections still established" % (time.time() - t0, len(out.splitlines()) - 1),
          flush=True)
for s in socks:
    s.close()
