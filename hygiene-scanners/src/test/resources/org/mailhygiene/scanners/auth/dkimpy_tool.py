# Test helper: dkimpy (Debian python3-dkim) as an independent DKIM implementation.
#   sign KEYFILE SELECTOR DOMAIN ALG CANON [LENGTH]   message on stdin, prints the DKIM-Signature field
#   verify TXTFILE                                    message on stdin, TXT record text in TXTFILE; prints pass/fail
#   arc-sign KEYFILE SELECTOR DOMAIN SRVID            message on stdin (with an Authentication-Results field of
#                                                     SRVID), prints the new ARC set (CRLF-terminated fields)
#   arc-verify ZONEFILE                               message on stdin; ZONEFILE lines "NAME<TAB>TXT"; prints the
#                                                     chain result (pass, fail, none) and the reason on a second line
import sys
import dkim


def main():
    msg = sys.stdin.buffer.read()
    if sys.argv[1] == "sign":
        keyfile, selector, domain, alg, canon = sys.argv[2:7]
        length = len(sys.argv) > 7 and sys.argv[7] == "length"
        key = open(keyfile, "rb").read()
        h, b = canon.split("/")
        sig = dkim.sign(msg, selector.encode(), domain.encode(), key,
                        signature_algorithm=alg.encode(), canonicalize=(h.encode(), b.encode()),
                        include_headers=[b"from", b"to", b"subject", b"date"], length=length)
        sys.stdout.buffer.write(sig)
    elif sys.argv[1] == "verify":
        txt = open(sys.argv[2], "rb").read().strip()

        def dnsfunc(name, timeout=5):
            return txt

        ok = dkim.verify(msg, dnsfunc=dnsfunc)
        print("pass" if ok else "fail")

    elif sys.argv[1] == "arc-sign":
        keyfile, selector, domain, srv_id = sys.argv[2:6]
        key = open(keyfile, "rb").read()
        fields = dkim.arc_sign(msg, selector.encode(), domain.encode(), key, srv_id.encode(),
                               include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
        sys.stdout.buffer.write(b"".join(fields))
    elif sys.argv[1] == "arc-verify":
        zone = {}
        for line in open(sys.argv[2], "rb").read().splitlines():
            if line.strip():
                name, txt = line.split(b"\t", 1)
                zone[name.rstrip(b".").lower()] = txt

        def dnsfunc(name, timeout=5):
            return zone.get(name.rstrip(b".").lower())

        cv, results, reason = dkim.arc_verify(msg, dnsfunc=dnsfunc)
        print((cv or b"fail").decode())
        print(reason)


main()
