"""Real SMTP servers for the tests (aiosmtpd): one plain, one requiring
STARTTLS and AUTH, one with implicit TLS and AUTH, all on 127.0.0.1.

Usage: smtp_server.py MAIL_DIR CERT KEY USER PASSWORD
Each received message is written to MAIL_DIR/<port>-<n>.eml (the raw
message) with MAIL_DIR/<port>-<n>.rcpt beside it (one envelope recipient per
line), written before the .eml so a reader that sees the .eml sees both.
Prints "ready PLAIN STARTTLS IMPLICIT" (the three ports) once all listen.
"""
import asyncio
import itertools
import os
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Keep:
    counter = itertools.count(1)

    def __init__(self, directory):
        self.directory = directory
        self.port = 0

    async def handle_DATA(self, server, session, envelope):
        name = os.path.join(self.directory, "%d-%d" % (self.port, next(Keep.counter)))
        with open(name + ".rcpt", "w") as rcpt:
            rcpt.write("\n".join(envelope.rcpt_tos) + "\n")
        with open(name + ".tmp", "wb") as raw:
            raw.write(envelope.original_content or envelope.content)
        os.rename(name + ".tmp", name + ".eml")
        return "250 OK"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
        # handled=False: aiosmtpd answers 535 itself (the default, True, would
        # leave the client waiting for a reply that never comes).
        return AuthResult(success=ok, handled=False)
    return check


def free_port():
    # aiosmtpd's Controller checks itself by connecting to its port, so it
    # needs a real one (not 0): ask the kernel for a free one first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    directory, cert, key, user, password = sys.argv[1:6]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controllers = []
    plain = Controller(Keep(directory), hostname="127.0.0.1", port=free_port())
    starttls = Controller(Keep(directory), hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True,
                          authenticator=authenticator(user, password), auth_required=True, auth_require_tls=True)
    # aiosmtpd only counts a STARTTLS upgrade as TLS, so auth_require_tls
    # must be off here even though every byte is encrypted (implicit TLS).
    implicit = Controller(Keep(directory), hostname="127.0.0.1", port=free_port(), ssl_context=context,
                          authenticator=authenticator(user, password), auth_required=True, auth_require_tls=False)
    ports = []
    for controller in (plain, starttls, implicit):
        controller.start()
        controller.handler.port = controller.port
        ports.append(controller.handler.port)
        controllers.append(controller)
    print("ready %d %d %d" % tuple(ports), flush=True)
    try:
        sys.stdin.read()  # runs until stdin closes or the process is killed
    finally:
        for controller in controllers:
            controller.stop()


if __name__ == "__main__":
    main()
