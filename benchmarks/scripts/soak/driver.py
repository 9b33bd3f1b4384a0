#!/usr/bin/env python3
"""Soak load for an SMTP server (the relay, or Postfix with the milter): a steady mix of clean mail, GTUBE spam,
EICAR, oversized and malformed messages, aborted transactions (RSET, connection closed mid-DATA, TCP reset) and
STARTTLS, from many loopback source addresses (127.1.x.y, so per-client-IP state is exercised), each message with
unique content (so content-keyed caches grow if they do not bound themselves).

Usage: driver.py HOST:PORT SECONDS [--threads N] [--ips N] [--rcpt user@example.test] [--pause S]
Prints one line per minute to stdout (counts per outcome) and a summary at the end.
"""
import argparse, base64, random, socket, ssl, sys, threading, time, collections, uuid

EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

def body(kind, rcpt):
    mid = uuid.uuid4().hex
    hdr = (f"From: soak <soak@client.test>\r\nTo: <{rcpt}>\r\nSubject: soak {kind} {mid}\r\n"
           f"Message-ID: <{mid}@client.test>\r\nDate: Sun, 06 Dec 2026 20:00:00 +0000\r\n")
    if kind == "clean":
        return hdr + "\r\n" + "".join(f"line {i} of {mid} {random.random()}\r\n" for i in range(random.randint(5, 200)))
    if kind == "spam":
        return hdr + "\r\n" + GTUBE + "\r\n" + mid + "\r\n"
    if kind == "eicar":
        b = "soak-" + mid
        return (hdr + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=" + b + "\r\n\r\n--" + b +
                "\r\nContent-Type: text/plain\r\n\r\nsee attachment " + mid + "\r\n--" + b +
                "\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
                "Content-Disposition: attachment; filename=eicar.txt\r\n\r\n" +
                base64.b64encode(EICAR.encode()).decode() + "\r\n--" + b + "--\r\n")
    if kind == "big":
        line = ("x" * 76 + "\r\n")
        return hdr + "\r\n" + mid + "\r\n" + line * (700 * 1024 // 78)
    if kind == "malformed":
        return ("no colon header line " + mid + "\r\nFrom: \x00\xff\r\n" + "Subject: " + "y" * 3000 + "\r\n"
                "Content-Type: multipart/mixed; boundary=\"unterminated\r\n\r\n--unterminated\r\n"
                "bare\nLF\nlines\r\n\xe9\xe8 8bit " + mid + "\r\n")
    raise ValueError(kind)

class Conn:
    def __init__(self, host, port, src):
        self.s = socket.socket()
        self.s.settimeout(60)
        if src:
            self.s.bind((src, 0))
        self.s.connect((host, port))
        self.f = self.s.makefile("rb")
    def reply(self):
        lines = []
        while True:
            l = self.f.readline()
            if not l:
                raise EOFError("closed")
            lines.append(l)
            if len(l) < 4 or l[3:4] != b"-":
                return int(l[:3]), b"".join(lines)
    def cmd(self, c):
        self.s.sendall(c.encode("latin-1") + b"\r\n")
        return self.reply()
    def starttls(self, ctx, host):
        code, _ = self.cmd("STARTTLS")
        if code != 220:
            return False
        self.s = ctx.wrap_socket(self.s, server_hostname=None)
        self.f = self.s.makefile("rb")
        return True
    def reset(self):
        import struct
        try:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.s.close()
    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

def dot_stuff(text):
    return "\r\n".join(("." + l if l.startswith(".") else l) for l in text.split("\r\n"))

SCENARIOS = [("clean", 40), ("spam", 12), ("eicar", 8), ("big", 3), ("bigsize", 3), ("malformed", 6),
             ("rset", 6), ("abort-data", 5), ("reset-data", 4), ("reset-idle", 3), ("quit-mail", 4),
             ("tls-clean", 10), ("tls-abort", 3), ("tls-garbage", 2)]

def one(args, ctx, stats):
    kind = random.choices([k for k, _ in SCENARIOS], [w for _, w in SCENARIOS])[0]
    src = f"127.1.{random.randrange(args.ips // 250 + 1)}.{random.randrange(1, 251)}" if args.ips else None
    c = Conn(args.host, args.port, src)
    try:
        code, _ = c.reply()
        if code != 220:
            stats[f"{kind}:greet{code}"] += 1
            return
        tls = kind.startswith("tls")
        c.cmd("EHLO soak.client.test")
        if tls:
            if kind == "tls-garbage":
                c.cmd("STARTTLS")
                c.s.sendall(b"\x16\x03\x01garbage" * 10)
                c.close(); stats[kind] += 1; return
            if not c.starttls(ctx, args.host):
                stats[f"{kind}:nostarttls"] += 1; return
            c.cmd("EHLO soak.client.test")
            if kind == "tls-abort":
                c.cmd(f"MAIL FROM:<s@client.test>"); c.close(); stats[kind] += 1; return
            kind2 = "clean"
        else:
            kind2 = kind
        if kind2 == "reset-idle":
            c.reset(); stats[kind] += 1; return
        size = " SIZE=900000" if kind2 == "bigsize" else ""
        code, _ = c.cmd(f"MAIL FROM:<s{random.randrange(1000)}@client.test>{size}")
        if code != 250:
            stats[f"{kind}:mail{code}"] += 1; c.cmd("QUIT"); return
        if kind2 == "quit-mail":
            c.cmd("QUIT"); stats[kind] += 1; return
        code, _ = c.cmd(f"RCPT TO:<{args.rcpt}>")
        if code != 250:
            stats[f"{kind}:rcpt{code}"] += 1; c.cmd("QUIT"); return
        if kind2 == "rset":
            c.cmd("RSET"); c.cmd("MAIL FROM:<>"); c.cmd(f"RCPT TO:<{args.rcpt}>"); c.cmd("RSET"); c.cmd("QUIT")
            stats[kind] += 1; return
        code, _ = c.cmd("DATA")
        if code != 354:
            stats[f"{kind}:data{code}"] += 1; return
        if kind2 in ("abort-data", "reset-data"):
            text = body("big", args.rcpt)[: random.randint(100, 300000)]
            c.s.sendall(text.encode("latin-1"))
            if kind2 == "abort-data":
                c.s.sendall(b"QUIT\r\n"); c.close()
            else:
                c.reset()
            stats[kind] += 1; return
        k = "big" if kind2 == "bigsize" else kind2
        c.s.sendall(dot_stuff(body(k, args.rcpt)).encode("latin-1") + b"\r\n.\r\n")
        code, _ = c.reply()
        stats[f"{kind}:{code}"] += 1
        try:
            c.cmd("QUIT")
        except (OSError, EOFError):
            pass
    finally:
        c.close()

def worker(args, ctx, stats, stop):
    while not stop.is_set():
        try:
            one(args, ctx, stats)
        except (OSError, EOFError, ssl.SSLError, ValueError) as e:
            stats["error:" + type(e).__name__] += 1
            time.sleep(0.2)
        if args.pause:
            time.sleep(args.pause)

def main():
    p = argparse.ArgumentParser()
    p.add_argument("target"); p.add_argument("seconds", type=float)
    p.add_argument("--threads", type=int, default=4); p.add_argument("--ips", type=int, default=5000)
    p.add_argument("--rcpt", default="user@example.test"); p.add_argument("--pause", type=float, default=0.0)
    args = p.parse_args()
    args.host, port = args.target.rsplit(":", 1); args.port = int(port)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    stats = collections.Counter(); stop = threading.Event()
    ts = [threading.Thread(target=worker, args=(args, ctx, stats, stop), daemon=True) for _ in range(args.threads)]
    for t in ts: t.start()
    end = time.time() + args.seconds
    while time.time() < end:
        time.sleep(min(60, max(0, end - time.time())))
        print(time.strftime("%H:%M:%S"), sum(stats.values()), dict(sorted(stats.items())), flush=True)
    stop.set()
    for t in ts: t.join(90)
    print("total", sum(stats.values()), dict(sorted(stats.items())), flush=True)

if __name__ == "__main__":
    main()
