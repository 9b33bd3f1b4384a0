# Test helper: dkimpy (Debian python3-dkim) as an independent DKIM implementation.
#   sign KEYFILE SELECTOR DOMAIN ALG CANON [LENGTH]   message on stdin, prints the DKIM-Signature field
#   verify TXTFILE                                    message on stdin, TXT record text in TXTFILE; prints pass/fail
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


main()
