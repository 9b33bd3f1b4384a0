#!/usr/bin/env python3
"""Whether an MTA that stops reading can stall the milter's watchdog (progress, backstop, write deadlines).

Usage: milter_stuck_watchdog.py HOST PORT [PREFILLS]
Needs a milter whose scans take long (a hung spamd) and a short --progress. Several connections that never read
fill the milter's send buffer with replies to 1-byte body chunks (each answered SMFIR_CONTINUE, no "no reply" flags
offered), then end the message, so the scan starts with the buffer nearly full and the progress packets written
during the scan fill it. Then a well-behaved probe connection counts the progress packets it gets during its scan.
"""
import socket, struct, sys, threading, time
HOST, PORT = sys.argv[1], int(sys.argv[2])
PREFILLS = [int(x) for x in sys.argv[3].split(",")] if len(sys.argv) > 3 else list(range(0, 40000, 250))

def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data
def z(*xs):
    return b"".join(x + b"\0" for x in xs)
OPTNEG = pkt(b"O", struct.pack(">III", 6, 0x1ff, 0))
def conv(extra_chunks):
    p = [pkt(b"C", z(b"client.example") + b"4" + struct.pack(">H", 4444) + z(b"192.0.2.7")),
         pkt(b"H", z(b"client.example")), pkt(b"M", z(b"<s@sender.example>")), pkt(b"R", z(b"<r@example.org>")),
         pkt(b"T"), pkt(b"L", z(b"Subject", b"x")), pkt(b"N")]
    p += [pkt(b"B", b"x")] * extra_chunks
    p += [pkt(b"E")]
    return b"".join(p)

held = []
def stuffer(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((HOST, PORT))
    s.sendall(OPTNEG)
    s.recv(100)  # the option reply
    held.append(s)
    try:
        s.sendall(conv(n))  # and never read again
    except OSError:
        pass

ts = [threading.Thread(target=stuffer, args=(n,), daemon=True) for n in PREFILLS]
for t in ts:
    t.start()
time.sleep(float(__import__("os").environ.get("WAIT", "15")))
# the probe: reads everything; counts progress packets over its scan
s = socket.create_connection((HOST, PORT))
s.sendall(OPTNEG)
s.recv(100)
s.sendall(conv(1))
s.settimeout(1)
got = b""
t0 = time.time()
while time.time() - t0 < 20:
    try:
        b = s.recv(65536)
    except socket.timeout:
        continue
    if not b:
        break
    got += b
codes = []
i = 0
while i + 5 <= len(got):
    (n,) = struct.unpack(">I", got[i:i + 4]); codes.append(chr(got[i + 4])); i += 4 + n
print("probe in 20 s: %d progress packets, replies %s" % (codes.count("p"), "".join(c for c in codes if c != "p")))
for h in held:
    h.close()
