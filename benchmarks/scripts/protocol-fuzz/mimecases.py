#!/usr/bin/env python3
"""Malformed MIME around an EICAR attachment (each must not scan clean) and mutations of it (each must get a verdict
or an error, never a crash). Usage: mimecases.py OUTDIR [MUTATIONS]
Writes OUTDIR/evade-NAME.eml (EICAR inside, must not be OK) and OUTDIR/mut-N.eml (anything but a crash)."""
import base64, os, random, sys
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
NMUT = int(sys.argv[2]) if len(sys.argv) > 2 else 500
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
B64 = base64.encodebytes(EICAR).replace(b"\n", b"\r\n")
H = b"From: a@example.com\r\nTo: b@example.org\r\nSubject: t\r\nDate: Sun, 6 Dec 2026 06:00:00 +0000\r\nMessage-ID: <x@example.com>\r\nMIME-Version: 1.0\r\n"
def mp(parts, boundary=b"b", close=True, ctype=None):
    ct = ctype or b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n'
    s = H + ct + b"\r\n"
    for p in parts:
        s += b"--" + boundary + b"\r\n" + p + b"\r\n"
    if close:
        s += b"--" + boundary + b"--\r\n"
    return s
TEXT = b"Content-Type: text/plain\r\n\r\nhello"
ATT = b'Content-Type: application/octet-stream; name="eicar.com"\r\nContent-Transfer-Encoding: base64\r\n\r\n' + B64
cases = {
    "plain": mp([TEXT, ATT]),
    "unclosed": mp([TEXT, ATT], close=False),
    "noboundaryparam": mp([TEXT, ATT], ctype=b"Content-Type: multipart/mixed\r\n"),
    "wrongboundaryparam": mp([TEXT, ATT], ctype=b'Content-Type: multipart/mixed; boundary="zz"\r\n'),
    "nulinheader": mp([TEXT, ATT.replace(b"Content-Transfer-Encoding", b"Content-Transfer-\0Encoding")]),
    "nulinctype": mp([TEXT, ATT], ctype=b'Content-Type: multipart/mi\0xed; boundary="b"\r\n'),
    "nulinbody": mp([TEXT, ATT.replace(B64, B64[:20] + b"\0" + B64[20:])]),
    "barelf": mp([TEXT, ATT]).replace(b"\r\n", b"\n"),
    "barecr": mp([TEXT, ATT]).replace(b"\r\n", b"\r"),
    "mixedeol": mp([TEXT, ATT]).replace(b"\r\n--b", b"\n--b"),
    "b64garbage": mp([TEXT, ATT.replace(B64, b"!!".join(B64[i:i + 4] for i in range(0, len(B64), 4)))]),
    "b64spaces": mp([TEXT, ATT.replace(B64, b" ".join(B64[i:i + 3] for i in range(0, len(B64), 3)))]),
    "b64nopad": mp([TEXT, ATT.replace(B64, B64.replace(b"=", b""))]),
    "b64junkafterpad": mp([TEXT, ATT.replace(B64, B64.rstrip() + b"====garbage\r\n")]),
    "b64linebreaks": mp([TEXT, ATT.replace(B64, b"\r\n".join(B64.replace(b"\r\n", b"")[i:i + 1] for i in range(0, len(B64) - 2)))]),
    "header1mb": mp([TEXT, ATT]).replace(b"Subject: t\r\n", b"Subject: t\r\nX-Big: " + b"a" * 998 + b"\r\n" + (b" " + b"a" * 997 + b"\r\n") * 1100),
    "header1mbunfolded": mp([TEXT, ATT]).replace(b"Subject: t\r\n", b"Subject: t\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n"),
    "partheader1mb": mp([TEXT, b"X-Big: " + b"a" * (1 << 20) + b"\r\n" + ATT]),
    "manyheaders": mp([TEXT, ATT]).replace(b"Subject: t\r\n", b"Subject: t\r\n" + b"X-A: b\r\n" * 50000),
    "manyparts": mp([TEXT] * 3000 + [ATT]),
    "manypartsempty": mp([b""] * 20000 + [ATT]),
    "nested60": None,
    "nested200": None,
    "ewunterminated": mp([TEXT, ATT.replace(b'name="eicar.com"', b'name="=?utf-8?q?eicar.com')]),
    "ewname": mp([TEXT, ATT.replace(b'name="eicar.com"', b'name="=?utf-8?q?eicar=2Ecom?="')]),
    "ctedup": mp([TEXT, ATT.replace(b"Content-Transfer-Encoding: base64\r\n", b"Content-Transfer-Encoding: 7bit\r\nContent-Transfer-Encoding: base64\r\n")]),
    "ctecase": mp([TEXT, ATT.replace(b"base64", b"BaSe64 ")]),
    "cteunknown": mp([TEXT, ATT.replace(b"base64", b"x-base64")]),
    "ctequoted": mp([TEXT, ATT.replace(b"base64", b'"base64"')]),
    "boundaryspace": mp([TEXT, ATT], ctype=b'Content-Type: multipart/mixed; boundary="b "\r\n'),
    "boundary70": mp([TEXT, ATT], boundary=b"x" * 70),
    "boundary71": mp([TEXT, ATT], boundary=b"x" * 71),
    "boundaryws": mp([TEXT, ATT]).replace(b"--b\r\nContent-Type: application", b"--b   \r\nContent-Type: application"),
    "preamblefake": mp([TEXT, ATT]).replace(b"\r\n\r\n--b", b"\r\n\r\n--b--\r\n--b", 1),
    "rawinpreamble": mp([TEXT]).replace(b"\r\n\r\n--b", b"\r\n\r\n" + EICAR + b"\r\n--b", 1),
    "rawinepilogue": mp([TEXT]) + EICAR + b"\r\n",
    "rfc822nested": mp([TEXT, b"Content-Type: message/rfc822\r\n\r\n" + mp([TEXT, ATT])]),
    "rfc822b64": mp([TEXT, b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(mp([TEXT, ATT])).replace(b"\n", b"\r\n")]),
    "qp": mp([TEXT, b'Content-Type: application/octet-stream; name="e.com"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' + EICAR.replace(b"=", b"=3D")[:40] + b"=\r\n" + EICAR.replace(b"=", b"=3D")[40:]]),
    "uuencoded": H + b"Content-Type: text/plain\r\n\r\nbegin 644 eicar.com\r\n" + __import__("binascii").b2a_uu(EICAR[:45]).replace(b"\n", b"\r\n") + __import__("binascii").b2a_uu(EICAR[45:]).replace(b"\n", b"\r\n") + b"`\r\nend\r\n",
}
def nest(depth):
    inner = ATT
    for i in range(depth):
        inner = b'Content-Type: multipart/mixed; boundary="n%d"\r\n\r\n--n%d\r\n' % (i, i) + inner + b"\r\n--n%d--" % i
    return H + inner + b"\r\n"
cases["nested60"] = nest(60)
cases["nested200"] = nest(200)
for k, v in cases.items():
    open(os.path.join(out, "evade-%s.eml" % k), "wb").write(v)
rnd = random.Random(40)
seeds = list(cases.values())
for n in range(NMUT):
    b = bytearray(rnd.choice(seeds[:40]))
    for _ in range(rnd.randint(1, 8)):
        i = rnd.randrange(len(b) + 1)
        op = rnd.randrange(8)
        if op == 0 and b:
            b[min(i, len(b) - 1)] = rnd.randrange(256)
        elif op == 1:
            b[i:i] = rnd.choice([b"\0", b"\r", b"\n", b"--b\r\n", b"--b--\r\n", b"=?", b"?=", b'"', b"\\", b";", b"\r\n\r\n", b"\r\n "])
        elif op == 2:
            del b[i:i + rnd.randint(1, 50)]
        elif op == 3:
            j = rnd.randrange(len(b) + 1)
            b[i:i] = b[j:j + rnd.randint(1, 400)]
        elif op == 4:
            b[i:i] = bytes(rnd.randrange(128, 256) for _ in range(rnd.randint(1, 10)))
        elif op == 5:
            b[i:i] = b'Content-Type: multipart/mixed; boundary="b"\r\n'
        elif op == 6:
            b[i:i] = b"Content-Transfer-Encoding: " + rnd.choice([b"base64", b"quoted-printable", b"7bit", b"x-uue", b"binary"]) + b"\r\n"
        else:
            b = b[:i]
    open(os.path.join(out, "mut-%04d.eml" % n), "wb").write(bytes(b))
print("wrote %d evasion cases and %d mutations" % (len(cases), NMUT))
