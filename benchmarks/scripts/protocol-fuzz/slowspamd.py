#!/usr/bin/env python3
"""A spamd that accepts connections, answers PING, and otherwise reads and never answers (a hung scanner).
Usage: slowspamd.py PORT"""
import socketserver, sys, time
class H(socketserver.BaseRequestHandler):
    def handle(self):
        first = self.request.recv(65536)
        if first.startswith(b"PING"):
            self.request.sendall(b"SPAMD/1.5 0 PONG\r\n")
            return
        while self.request.recv(65536):
            pass
        time.sleep(3600)  # the client half-closed after the message: never answer
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
