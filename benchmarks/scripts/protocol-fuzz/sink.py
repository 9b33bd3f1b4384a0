#!/usr/bin/env python3
"""A minimal SMTP sink that keeps every message it is given (one file per message, envelope in a side file).

Usage: sink.py PORT DIR. Answers EHLO with PIPELINING and 8BITMIME, takes any MAIL/RCPT, stores DATA un-dot-stuffed.
"""
import os, socketserver, sys, itertools, threading

counter = itertools.count()
lock = threading.Lock()

class H(socketserver.StreamRequestHandler):
    def reply(self, s):
        self.wfile.write(s.encode() + b"\r\n"); self.wfile.flush()
    def handle(self):
        self.reply("220 sink ESMTP")
        mail, rcpts = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.strip().upper()
            if cmd.startswith(b"EHLO"):
                self.wfile.write(b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 100000000\r\n"); self.wfile.flush()
            elif cmd.startswith(b"HELO") or cmd.startswith(b"RSET") or cmd.startswith(b"NOOP"):
                if cmd.startswith(b"RSET"): mail, rcpts = None, []
                self.reply("250 ok")
            elif cmd.startswith(b"MAIL"):
                mail, rcpts = line.strip(), []; self.reply("250 ok")
            elif cmd.startswith(b"RCPT"):
                rcpts.append(line.strip()); self.reply("250 ok")
            elif cmd.startswith(b"DATA"):
                self.reply("354 go")
                buf = []
                while True:
                    l = self.rfile.readline()
                    if not l:
                        return
                    if l == b".\r\n":
                        break
                    if l.startswith(b"."):
                        l = l[1:]
                    buf.append(l)
                with lock:
                    n = next(counter)
                name = os.path.join(sys.argv[2], "%06d" % n)
                with open(name + ".env", "wb") as f:
                    f.write(mail + b"\n" + b"\n".join(rcpts) + b"\n")
                with open(name + ".eml", "wb") as f:
                    f.write(b"".join(buf))
                self.reply("250 stored %d" % n)
            elif cmd.startswith(b"QUIT"):
                self.reply("221 bye"); return
            else:
                self.reply("502 what")

class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

os.makedirs(sys.argv[2], exist_ok=True)
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
