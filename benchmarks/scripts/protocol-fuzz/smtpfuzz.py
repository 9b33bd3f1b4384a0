#!/usr/bin/env python3
"""Hostile and malformed SMTP against a running relay node, from outside.

Usage: smtpfuzz.py HOST PORT SINKDIR PID [SEED] [RANDOM_CASES]

Runs named cases (one line each: name, replies seen), then RANDOM_CASES mutated sessions. After each case a fresh
session must still get a 220 greeting. At the end it waits for the relay to deliver what it accepted and checks that
the sink holds exactly one message per accepted one (nothing lost, nothing smuggled), and prints the relay's open
file descriptors and threads (from /proc/PID) before and after.
"""
import os, random, socket, sys, time, glob, re

HOST, PORT, SINK, PID = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
SEED = int(sys.argv[5]) if len(sys.argv) > 5 else 1
NRANDOM = int(sys.argv[6]) if len(sys.argv) > 6 else 300
rnd = random.Random(SEED)
accepted = []   # markers of messages the relay acknowledged with 250 after the data
problems = []

def fds():
    return len(os.listdir("/proc/%d/fd" % PID))

def threads():
    with open("/proc/%d/status" % PID) as f:
        for l in f:
            if l.startswith("Threads:"):
                return int(l.split()[1])

def connect(timeout=20):
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    return s

def read_all(s, wait=3.0, until_close=False):
    """Reads replies until the peer is silent for `wait` seconds or closes; returns (bytes, closed)."""
    s.settimeout(wait)
    data = b""
    while True:
        try:
            b = s.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not b:
            return data, True
        data += b

def codes(data):
    return [l[:3].decode("latin-1") for l in data.split(b"\r\n") if len(l) >= 4 and l[3:4] == b" "]

SYNC = re.compile(rb"(?im)^(?:EHLO|HELO|DATA|NOOP|VRFY|HELP|EXPN|STARTTLS)\b[^\n]*\n")

def split_sync(b):
    """Splits a pipelined payload after each synchronisation command (the relay refuses data pipelined past one)."""
    out, last = [], 0
    for m in SYNC.finditer(b):
        out.append(b[last:m.end()])
        last = m.end()
    out.append(b[last:])
    return [x for x in out if x]

def read_reply(s, wait):
    """Reads until a final reply line arrived and the peer is quiet for 0.3 s, or `wait` passed, or it closed."""
    data = b""
    end = time.time() + wait
    while True:
        left = end - time.time()
        if left <= 0:
            return data, False
        done = re.search(rb"(^|\r\n)\d\d\d [^\r\n]*\r\n$", data) is not None
        s.settimeout(min(left, 0.3) if done else left)
        try:
            b = s.recv(65536)
        except socket.timeout:
            if done:
                return data, False
            continue
        except ConnectionResetError:
            return data, True
        if not b:
            return data, True
        data += b

def session(payload, wait=3.0, chunks=None, name=""):
    """Sends payload (bytes, split after sync commands, or a list of parts) after the greeting; returns replies."""
    s = connect()
    try:
        greet, _ = read_reply(s, 10.0)
        if not greet.startswith(b"220"):
            problems.append("%s: no greeting: %r" % (name, greet[:80]))
        parts = payload if isinstance(payload, list) else split_sync(payload)
        closed = False
        data = b""
        for p in parts:
            try:
                s.sendall(p)
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            d, closed = read_reply(s, wait)
            data += d
            if closed:
                break
        if not closed:
            d, closed = read_reply(s, 0.5)
            data += d
        note_accepts(data)
        return data, closed
    finally:
        s.close()

def note_accepts(data):
    for l in data.split(b"\r\n"):
        if l.startswith(b"250 2.0.0") and b"octets received" not in l:
            accepted.append(l.decode("latin-1"))

def alive(name):
    try:
        s = connect(10)
        g, _ = read_all(s, 10.0)
        s.sendall(b"QUIT\r\n")
        s.close()
        if not g.startswith(b"220"):
            problems.append("%s: afterwards greeting %r" % (name, g[:100]))
    except OSError as e:
        problems.append("%s: afterwards cannot connect: %s" % (name, e))

EHLO = b"EHLO fuzz.example\r\n"
MAIL = b"MAIL FROM:<s@sender.example>\r\n"
RCPT = b"RCPT TO:<r@example.org>\r\n"
def msg(marker, body=b"hello\r\n"):
    return (b"From: s@sender.example\r\nTo: r@example.org\r\nSubject: " + marker + b"\r\nMessage-ID: <" + marker
            + b"@fuzz>\r\n\r\n" + body)

def case(name, payload, wait=3.0, expect=None):
    t0 = time.time()
    data, closed = session(payload, wait, name=name)
    cs = codes(data)
    line = "%-40s %s%s (%.1fs)" % (name, " ".join(cs[-12:]), " [closed]" if closed else "", time.time() - t0)
    print(line, flush=True)
    if expect and not re.search(expect, " ".join(cs)):
        problems.append("%s: expected /%s/, got %s" % (name, expect, " ".join(cs)))
    alive(name)
    return data

def named_cases():
    seq = [0]
    def mk():
        seq[0] += 1
        return b"named-%d" % seq[0]
    base = EHLO + MAIL + RCPT
    case("plain message", base + b"DATA\r\n" + msg(mk()) + b".\r\nQUIT\r\n", expect=r"354 250 221")
    # command lines mutated
    for cmd in [b"EHLO x", b"HELO x", b"MAIL FROM:<a@b.example>", b"RCPT TO:<r@example.org>", b"DATA", b"RSET",
                b"NOOP", b"VRFY x", b"HELP", b"QUIT", b"BDAT 5", b"STARTTLS", b"AUTH PLAIN"]:
        pre = b"" if cmd.startswith((b"EHLO", b"HELO")) else EHLO
        if cmd.startswith(b"RCPT") or cmd == b"DATA" or cmd.startswith(b"BDAT"):
            pre = EHLO + MAIL
        if cmd == b"DATA" or cmd.startswith(b"BDAT"):
            pre = EHLO + MAIL + RCPT
        c = cmd.decode()
        case("overlong %s (100k)" % c, pre + cmd + b" " + b"A" * 100000 + b"\r\nNOOP\r\n")
        case("overlong %s (5000)" % c, pre + cmd + b" " + b"A" * 5000 + b"\r\nNOOP\r\n")
        case("NUL in %s" % c, pre + cmd[:2] + b"\0" + cmd[2:] + b"\r\nNOOP\r\n")
        case("NUL after %s" % c, pre + cmd + b"\0x\r\nNOOP\r\n")
        case("8-bit in %s" % c, pre + cmd + b"\xe9\xff\xc3\xa9\r\nNOOP\r\n")
        case("bare LF %s" % c, pre + cmd + b"\nNOOP\n")
        case("bare CR %s" % c, pre + cmd + b"\rNOOP\r\n")
    case("random bytes 64k", os.urandom(65536))
    case("random bytes after EHLO", EHLO + os.urandom(20000))
    case("only NULs", b"\0" * 100000)
    case("no line end ever (1 MB)", b"A" * 1000000, wait=5)
    # pipelining bursts
    burst = EHLO
    for i in range(20):
        burst += MAIL + RCPT + b"DATA\r\n"
    case("pipelined DATA burst (sync point)", burst)
    burst = EHLO + b"".join(MAIL + RCPT * 3 + b"RSET\r\n" for _ in range(500))
    case("pipelined 500 transactions w/o data", burst, wait=5)
    burst = EHLO + MAIL + b"".join(b"RCPT TO:<r%d@example.org>\r\n" % i for i in range(5000))
    case("5000 recipients pipelined", burst, wait=5)
    case("1000 NOOP", EHLO + b"NOOP\r\n" * 1000, wait=5)
    case("1000 unknown commands", EHLO + b"XYZZY\r\n" * 1000, wait=5)
    # BDAT
    m = msg(mk())
    case("BDAT exact LAST", base + b"BDAT %d LAST\r\n" % len(m) + m + b"QUIT\r\n", expect=r"250 221")
    m = msg(mk())
    case("BDAT two chunks", base + b"BDAT 10\r\n" + m[:10] + b"BDAT %d LAST\r\n" % (len(m) - 10) + m[10:] + b"QUIT\r\n")
    case("BDAT 0 LAST (empty)", base + b"BDAT 0 LAST\r\nQUIT\r\n")
    case("BDAT 0 then LAST", base + b"BDAT 0\r\nBDAT 0\r\nBDAT 0 LAST\r\nQUIT\r\n")
    case("BDAT huge size", base + b"BDAT 999999999999999999 LAST\r\n" + b"x" * 1000)
    case("BDAT 19 digits", base + b"BDAT 9999999999999999999 LAST\r\nQUIT\r\n")
    case("BDAT negative", base + b"BDAT -5 LAST\r\nQUIT\r\n")
    case("BDAT hex", base + b"BDAT 0x10 LAST\r\nQUIT\r\n")
    case("BDAT size larger than sent, then close", base + b"BDAT 100000 LAST\r\n" + b"x" * 100)
    m = msg(mk())
    case("BDAT size smaller than sent", base + b"BDAT 20 LAST\r\n" + m + b"QUIT\r\n")
    case("BDAT LAST lowercase + spaces", base + b"BDAT 5   last\r\nabcde\r\nQUIT\r\n")
    case("BDAT without MAIL", EHLO + b"BDAT 5 LAST\r\nabcdeQUIT\r\n")
    case("BDAT then DATA", base + b"BDAT 5\r\nabcdeDATA\r\nQUIT\r\n")
    case("BDAT over max size", base + b"BDAT 20000000 LAST\r\n" + b"x" * 20000000 + b"QUIT\r\n", wait=10)
    case("BDAT bare LF content", base + b"BDAT 30 LAST\r\n" + b"Subject: x\n\nhello\n.\nMAIL FROM:<\n" + b"QUIT\r\n")
    case("BDAT RSET mid pipeline", base + b"BDAT 5\r\nabcdeRSET\r\nBDAT 3 LAST\r\nabcQUIT\r\n")
    case("BDAT with HELO", b"HELO x\r\n" + MAIL + RCPT + b"BDAT 5 LAST\r\nabcde")
    # smuggling
    for nm, end in [("LF.LF", b"\n.\n"), ("CR.LF", b"\r.\n"), ("LF.CRLF", b"\n.\r\n"), ("CRLF.CR", b"\r\n.\r"),
                    ("CR.CR", b"\r.\r"), ("CRLF.LF", b"\r\n.\n"), ("LF..CRLF", b"\n..\r\n"), ("NUL.", b"\r\n\0.\r\n")]:
        mk1 = mk()
        smuggled = MAIL + b"RCPT TO:<smuggled@example.org>\r\nDATA\r\nSubject: SMUGGLED\r\n\r\nevil\r\n.\r\n"
        data = case("smuggling %s" % nm,
                    base + b"DATA\r\n" + msg(mk1, b"body\r\n") + end + smuggled + b".\r\nQUIT\r\n")
    case("DATA failure then commands", EHLO + MAIL + b"DATA\r\n" + msg(mk()) + b".\r\nQUIT\r\n")
    case("commands after 554 DATA", base + b"DATA\r\nSubject: x\r\n\r\n" + b"y" * 2000 + b"\r\n.\r\n"
         + MAIL + RCPT + b"DATA\r\n" + msg(mk()) + b".\r\nQUIT\r\n", expect=r"554.*250.*221")
    case("DATA then RSET in body", base + b"DATA\r\n" + msg(mk(), b"RSET\r\n") + b".\r\nQUIT\r\n")
    case("DATA then close (reset mid data)", base + b"DATA\r\nSubject: x\r\n\r\npartial")
    case("DATA no end of data, silence", base + b"DATA\r\nSubject: x\r\n\r\npartial\r\n", wait=3)
    case("DATA 8-bit + NUL body", base + b"DATA\r\n" + msg(mk(), b"\0\xff\xfe\x80 x\r\n") + b".\r\nQUIT\r\n")
    case("DATA header of 1 MB", base + b"DATA\r\nX-Big: " + b"a" * 998 + b"\r\n" + (b" " + b"a" * 997 + b"\r\n") * 1000
         + b"\r\nbody\r\n.\r\nQUIT\r\n", wait=5)
    case("DATA 10,000 headers", base + b"DATA\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(10000))
         + b"\r\nbody\r\n.\r\nQUIT\r\n", wait=5)
    case("DATA 60 Received headers", base + b"DATA\r\n" + b"Received: from x by y; Mon, 1 Jan 2024 00:00:00 +0000\r\n" * 60
         + b"\r\nbody\r\n.\r\nQUIT\r\n")
    case("MAIL SIZE huge", EHLO + b"MAIL FROM:<a@b.example> SIZE=99999999999999999999999\r\nQUIT\r\n")
    case("MAIL SIZE negative", EHLO + b"MAIL FROM:<a@b.example> SIZE=-1\r\nQUIT\r\n")
    case("MAIL 200 params", EHLO + b"MAIL FROM:<a@b.example>" + b" X=Y" * 200 + b"\r\nQUIT\r\n")
    case("MAIL odd paths", EHLO + b"MAIL FROM:<<<>>>\r\nMAIL FROM:<@a,@b:c@d>\r\nMAIL FROM:<\"\\\0\"@x>\r\nQUIT\r\n")
    case("RCPT quoted local overlong", EHLO + MAIL + b"RCPT TO:<\"" + b"\\\"" * 300 + b"\"@example.org>\r\nQUIT\r\n")
    # half close: send a full session then shut down writing; replies must still come
    s = connect(); read_all(s, 5)
    s.sendall(base + b"DATA\r\n" + msg(mk()) + b".\r\n")
    s.shutdown(socket.SHUT_WR)
    d, closed = read_all(s, 10)
    note_accepts(d)
    print("%-40s %s%s" % ("half-closed after data", " ".join(codes(d)), " [closed]" if closed else ""), flush=True)
    s.close(); alive("half-closed")
    s = connect(); read_all(s, 5)
    s.sendall(base + b"DATA\r\nSubject: x\r\n\r\npartial")
    s.shutdown(socket.SHUT_WR)
    d, closed = read_all(s, 10)
    print("%-40s %s%s" % ("half-closed mid data", " ".join(codes(d)), " [closed]" if closed else ""), flush=True)
    s.close(); alive("half-closed mid")
    # RST mid data
    s = connect(); read_all(s, 5)
    s.sendall(base + b"DATA\r\nSubject: x\r\n\r\n" + b"z" * 100000)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    print("%-40s sent RST" % "RST mid data", flush=True)
    alive("rst")

def mutate(b):
    b = bytearray(b)
    for _ in range(rnd.randint(1, 6)):
        op = rnd.randrange(9)
        i = rnd.randrange(len(b) + 1)
        if op == 0 and b:
            b[min(i, len(b) - 1)] = rnd.randrange(256)
        elif op == 1:
            b[i:i] = b"\0" * rnd.randint(1, 4)
        elif op == 2:
            b[i:i] = bytes(rnd.randrange(128, 256) for _ in range(rnd.randint(1, 8)))
        elif op == 3:
            b[i:i] = b"A" * rnd.choice([600, 1001, 2000, 70000])
        elif op == 4:
            b[i:i] = rnd.choice([b"\r", b"\n", b"\r\n.\r\n", b"\n.\n", b"\r\n.\r", b".\r\n", b"\r.\n"])
        elif op == 5:
            del b[i:i + rnd.randint(1, 40)]
        elif op == 6:
            j = rnd.randrange(len(b) + 1)
            b[i:i] = b[j:j + rnd.randint(1, 200)]
        elif op == 7:
            b[i:i] = rnd.choice([b"BDAT 0 LAST\r\n", b"BDAT 10\r\n", b"RSET\r\n", b"DATA\r\n", b"STARTTLS\r\n",
                                 b"MAIL FROM:<x@y.example> BODY=8BITMIME SMTPUTF8\r\n", b"BDAT 99999999 LAST\r\n"])
        else:
            b = b[:i]
    return bytes(b)

def random_cases():
    for n in range(NRANDOM):
        marker = b"rand-%d" % n
        m = msg(marker)
        if rnd.random() < 0.3:
            tmpl = EHLO + MAIL + RCPT + b"BDAT %d LAST\r\n" % len(m) + m + b"QUIT\r\n"
        else:
            tmpl = EHLO + MAIL + RCPT + RCPT.replace(b"r@", b"r2@") + b"DATA\r\n" + m + b".\r\nQUIT\r\n"
        p = mutate(tmpl)
        data, closed = session(p, 0.7, name="random %d" % n)
        if n % 50 == 0:
            print("random %4d: %s%s" % (n, " ".join(codes(data)[-8:]), " [closed]" if closed else ""), flush=True)
        alive("random %d" % n)

time.sleep(0.5)
f0, t0 = fds(), threads()
print("before: fds=%d threads=%d" % (f0, t0), flush=True)
T = time.time()
named_cases()
random_cases()
print("cases done in %.0fs; accepted %d messages" % (time.time() - T, len(accepted)), flush=True)
# wait for delivery: the sink must hold exactly the accepted ones
deadline = time.time() + 180
while time.time() < deadline:
    n = len(glob.glob(os.path.join(SINK, "*.eml")))
    if n >= len(accepted):
        break
    time.sleep(2)
time.sleep(5)
n = len(glob.glob(os.path.join(SINK, "*.eml")))
print("sink holds %d messages (accepted %d)" % (n, len(accepted)), flush=True)
if n != len(accepted):
    problems.append("sink holds %d, relay accepted %d" % (n, len(accepted)))
smug = [f for f in glob.glob(os.path.join(SINK, "*.env")) if b"smuggled@" in open(f, "rb").read()]
if smug:
    problems.append("smuggled recipient delivered: %s" % smug)
time.sleep(3)
f1, t1 = fds(), threads()
print("after: fds=%d threads=%d" % (f1, t1), flush=True)
for p in problems:
    print("PROBLEM:", p)
print("problems: %d" % len(problems))
