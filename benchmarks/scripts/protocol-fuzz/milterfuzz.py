#!/usr/bin/env python3
"""Malformed milter conversations against a running `hygiene milter`, from outside.

Usage: milterfuzz.py HOST PORT PID [SEED] [RANDOM_CASES]

A small milter client (Sendmail milter protocol version 6, no "no reply" flags offered, so every step is answered).
Named cases print one line each; then RANDOM_CASES mutated conversations. After each case a well-formed conversation
with the EICAR test string must still get a reject (a failed or skipped scan must never be an accept of a virus), and
an ordinary one an accept. Prints open file descriptors and threads of PID before and after.
"""
import os, random, socket, struct, sys, time

HOST, PORT, PID = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
SEED = int(sys.argv[4]) if len(sys.argv) > 4 else 1
NRANDOM = int(sys.argv[5]) if len(sys.argv) > 5 else 300
rnd = random.Random(SEED)
problems = []
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

def fds():
    return len(os.listdir("/proc/%d/fd" % PID))

def threads():
    with open("/proc/%d/status" % PID) as f:
        for l in f:
            if l.startswith("Threads:"):
                return int(l.split()[1])

def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data

def z(*xs):
    return b"".join(x + b"\0" for x in xs)

OPTNEG = pkt(b"O", struct.pack(">III", 6, 0x1ff, 0))
def conv(body, headers=((b"From", b"s@sender.example"), (b"Subject", b"test")), rcpts=(b"<r@example.org>",)):
    p = [OPTNEG,
         pkt(b"D", b"C" + z(b"j", b"mx.example", b"{daemon_name}", b"smtpd")),
         pkt(b"C", z(b"client.example") + b"4" + struct.pack(">H", 4444) + z(b"192.0.2.7")),
         pkt(b"H", z(b"client.example")),
         pkt(b"D", b"M" + z(b"i", b"ABC123")),
         pkt(b"M", z(b"<s@sender.example>"))]
    p += [pkt(b"R", z(r)) for r in rcpts]
    p += [pkt(b"T")]
    p += [pkt(b"L", z(n, v)) for n, v in headers]
    p += [pkt(b"N"), pkt(b"B", body), pkt(b"E")]
    return p

def parse(data):
    out, i = [], 0
    while i + 5 <= len(data):
        (n,) = struct.unpack(">I", data[i:i + 4])
        if i + 4 + n > len(data):
            break
        out.append(data[i + 4:i + 5].decode("latin-1"))
        i += 4 + n
    return out

def read_replies(s, wait, finals=1):
    """Reads replies until `finals` final replies (accept, reject, tempfail, reply code, discard) came, the peer
    closed, or it was silent for `wait` seconds."""
    s.settimeout(wait)
    data = b""
    closed = False
    while True:
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        if not b:
            closed = True
            break
        data += b
        if sum(1 for c in parse(data) if c in "artyd") >= finals:
            break
    return parse(data), closed

def run(packets, wait=2.0, raw=False):
    raw = raw or isinstance(packets, (bytes, bytearray))
    s = socket.create_connection((HOST, PORT), timeout=20)
    try:
        payload = packets if raw else b"".join(packets)
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finals = b"".join(packets if not raw else [packets]).count(b"\0\0\0\x01E") if not raw else 99
        return read_replies(s, wait, max(1, finals))
    finally:
        s.close()

def final(replies):
    for r in reversed(replies):
        if r in "arty d":
            return r
    return None

def check(name):
    r, _ = run(conv(b"hello\r\n" + EICAR + b"\r\n"), 20)
    if final(r) not in ("r", "y"):
        problems.append("%s: afterwards EICAR got %s" % (name, r))
    r, _ = run(conv(b"an ordinary message\r\n"), 20)
    if final(r) != "a" and "h" not in r and "m" not in r:
        problems.append("%s: afterwards plain message got %s" % (name, r))

def case(name, packets, wait=2.0, raw=False, expect_not_accept=False):
    t = time.time()
    r, closed = run(packets, wait, raw)
    print("%-45s %s%s (%.1fs)" % (name, "".join(r)[-30:], " [closed]" if closed else "", time.time() - t), flush=True)
    if expect_not_accept and "a" in r:
        problems.append("%s: accepted: %s" % (name, r))
    check(name)
    return r

def named():
    case("good plain", conv(b"hello\r\n"))
    case("good EICAR", conv(EICAR + b"\r\n"), expect_not_accept=True)
    case("length 0", OPTNEG + b"\0\0\0\0")
    case("length negative (0xffffffff)", OPTNEG + b"\xff\xff\xff\xffC", raw=True)
    case("length 0x80000000", OPTNEG + b"\x80\0\0\0C", raw=True)
    case("length 2 MiB", OPTNEG + struct.pack(">I", 2 << 20) + b"B" + b"x" * 100, raw=True)
    case("length larger than sent, then close", OPTNEG + struct.pack(">I", 1000) + b"Bxx", raw=True)
    case("length larger than sent, silence", OPTNEG + struct.pack(">I", 1000) + b"Bxx", wait=4, raw=True)
    case("unknown command 'Z'", [OPTNEG, pkt(b"Z", b"junk")])
    case("unknown command NUL", [OPTNEG, pkt(b"\0", b"junk")])
    case("no optneg, straight to C", conv(b"x")[1:])
    case("optneg version 1", [pkt(b"O", struct.pack(">III", 1, 0x1ff, 0))] + conv(b"x")[1:])
    case("optneg version 99", [pkt(b"O", struct.pack(">III", 99, 0x1ff, 0))] + conv(b"x")[1:])
    case("optneg short", [pkt(b"O", b"\0\0\0\6")] + conv(b"x")[1:])
    case("optneg twice", [OPTNEG] + conv(b"x"))
    case("optneg all flags", [pkt(b"O", struct.pack(">III", 6, 0xffffffff, 0xffffffff))] + conv(b"x")[1:])
    c = conv(EICAR)
    case("body before headers (EICAR)", c[:7] + [pkt(b"B", EICAR + b"\r\n")] + c[7:], expect_not_accept=True)
    case("body before MAIL (EICAR)", c[:4] + [pkt(b"B", EICAR)] + c[4:], expect_not_accept=True)
    case("missing EOH (EICAR)", [p for p in c if p != pkt(b"N")], expect_not_accept=True)
    case("missing DATA (EICAR)", [p for p in c if p != pkt(b"T")], expect_not_accept=True)
    case("missing MAIL (EICAR)", [p for p in c if not p[4:5] == b"M"], expect_not_accept=True)
    case("missing RCPT (EICAR)", [p for p in c if not p[4:5] == b"R"], expect_not_accept=True)
    case("missing CONNECT (EICAR)", [p for p in c if not p[4:5] == b"C"], expect_not_accept=True)
    case("EOB twice", c + [pkt(b"E")], expect_not_accept=True)
    case("EICAR split over chunks", c[:-2] + [pkt(b"B", EICAR[:20]), pkt(b"B", EICAR[20:]), pkt(b"E")],
         expect_not_accept=True)
    case("abort then EOB", c[:-1] + [pkt(b"A"), pkt(b"E")])
    case("header without NUL", c[:8] + [pkt(b"L", b"Subject")] + c[8:])
    case("header 1 MiB - 10", c[:8] + [pkt(b"L", z(b"X-Big", b"a" * ((1 << 20) - 20)))] + c[8:], wait=5)
    case("10,000 headers", c[:8] + [pkt(b"L", z(b"X-H%d" % i, b"v")) for i in range(10000)] + c[8:], wait=10)
    case("connect bad family", [OPTNEG, pkt(b"C", z(b"h") + b"9" + b"\0\0" + z(b"x"))] + c[3:])
    case("connect truncated", [OPTNEG, pkt(b"C", b"h")] + c[3:])
    case("connect IPv6 garbage", [OPTNEG, pkt(b"C", z(b"h") + b"6" + b"\0\x19" + z(b"::zz::"))] + c[3:])
    case("connect unix", [OPTNEG, pkt(b"C", z(b"h") + b"L" + b"\0\0" + z(b"/tmp/x"))] + c[3:])
    case("macro empty", [OPTNEG, pkt(b"D")] + c[1:])
    case("macro odd count", [OPTNEG, pkt(b"D", b"C" + z(b"j"))] + c[1:])
    case("macro no NUL", [OPTNEG, pkt(b"D", b"Cjmx")] + c[1:])
    case("macro 100k pairs", [OPTNEG, pkt(b"D", b"C" + z(*[b"m%d" % i for i in range(100000)]))] + c[1:], wait=5)
    case("macro 900 KiB value", [OPTNEG, pkt(b"D", b"C" + z(b"j", b"v" * 900000))] + c[1:], wait=5)
    case("macro for unknown step", [OPTNEG, pkt(b"D", b"Z" + z(b"a", b"b"))] + c[1:])
    case("macro each step x 300", [OPTNEG] + [pkt(b"D", b"C" + z(b"x%d" % i, b"v" * 300)) for i in range(300)]
         + c[1:], wait=5)
    case("MAIL no NUL", c[:5] + [pkt(b"M", b"<s@x>")] + c[6:])
    case("RCPT empty", c[:6] + [pkt(b"R")] + c[7:])
    case("5,000 recipients", c[:6] + [pkt(b"R", z(b"<r%d@example.org>" % i)) for i in range(5000)] + c[7:], wait=8)
    case("body 20 MB in 64k chunks", c[:-2] + [pkt(b"B", b"x" * 65535)] * 320 + [pkt(b"E")], wait=30)
    case("body of NULs and bare CR", c[:-2] + [pkt(b"B", b"\0\r\r\n\n\0" * 1000), pkt(b"E")])
    case("quit mid body", c[:-1] + [pkt(b"Q")])
    case("quit-new-connection then more", c + [pkt(b"K")] + c[1:])
    case("two messages on one connection (2nd EICAR)", conv(b"plain\r\n") + conv(EICAR)[4:], expect_not_accept=False)
    for i in range(1, len(c) + 1):
        case("dropped after packet %d" % i, c[:i], wait=1)
    for i in range(0, len(c)):
        b = b"".join(c[:i]) + c[i][:3]
        case("dropped inside packet %d" % (i + 1), b, raw=True, wait=1)

def mutate(packets):
    b = bytearray(b"".join(packets))
    for _ in range(rnd.randint(1, 5)):
        i = rnd.randrange(len(b) + 1)
        op = rnd.randrange(6)
        if op == 0 and b:
            b[min(i, len(b) - 1)] = rnd.randrange(256)
        elif op == 1:
            b[i:i] = os.urandom(rnd.randint(1, 16))
        elif op == 2:
            del b[i:i + rnd.randint(1, 20)]
        elif op == 3:
            b[i:i] = pkt(rnd.choice(b"ABCDEHKLMNOQRTUZ").to_bytes(1, "big"), os.urandom(rnd.randint(0, 40)))
        elif op == 4:
            b[i:i] = struct.pack(">I", rnd.choice([0, 1, 0x7fffffff, 0xffffffff, 1 << 20, (1 << 20) + 1]))
        else:
            b = b[:i]
    return bytes(b)

def random_cases():
    for n in range(NRANDOM):
        body = EICAR if n % 2 else b"plain %d\r\n" % n
        p = mutate(conv(body))
        r, closed = run(p, 0.5, raw=True)
        if n % 50 == 0:
            print("random %4d: %s%s" % (n, "".join(r), " [closed]" if closed else ""), flush=True)
        # a mutated EICAR conversation may be accepted only when the mutation removed the string itself
        if n % 2 and "a" in r and EICAR in p:
            # the EICAR string is intact: was it a body the scanner saw? report for a look
            problems.append("random %d: EICAR intact and accepted: %r" % (n, r))
    check("random")

f0, t0 = fds(), threads()
print("before: fds=%d threads=%d" % (f0, t0), flush=True)
T = time.time()
named()
random_cases()
time.sleep(5)
print("done in %.0fs; after: fds=%d threads=%d" % (time.time() - T, fds(), threads()), flush=True)
for p in problems:
    print("PROBLEM:", p)
print("problems: %d" % len(problems))
