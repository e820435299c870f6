"""Test SMTP server for the secure-messaging tests (Debian's python3-aiosmtpd).

Listens on 127.0.0.1:PORT, requires STARTTLS before MAIL, and its TLS context requires a client
certificate signed by the CA in --client-ca (as an MSSanté operator requires the mailbox's certificate).
Saves each accepted message to --outbox as <n>.eml (written to a temporary name, then renamed), and answers
RCPT with the configured code for the addresses given as --reply ADDRESS=CODE (e.g. 450 or 550).
Prints "READY" once listening, "BIND_FAILED" (exit 3) if the port is taken, and stops when stdin closes.
"""
import argparse
import os
import ssl
import sys
import threading

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, outbox, replies):
        self.outbox = outbox
        self.replies = replies
        self.counter = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self.replies.get(address.lower())
        if code is not None:
            text = "4.2.1 Mailbox temporarily unavailable" if code.startswith("4") else "5.1.1 Unknown mailbox"
            return f"{code} {text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.counter += 1
            name = f"{self.counter:05d}.eml"
        temporary = os.path.join(self.outbox, name + ".tmp")
        with open(temporary, "wb") as file:
            file.write(envelope.original_content)
        os.replace(temporary, os.path.join(self.outbox, name))
        return "250 2.0.0 Message accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--client-ca", required=True)
    parser.add_argument("--outbox", required=True)
    parser.add_argument("--reply", action="append", default=[])
    args = parser.parse_args()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=args.client_ca)
    context.load_cert_chain(args.cert, args.key)
    context.verify_mode = ssl.CERT_REQUIRED

    replies = {}
    for item in args.reply:
        address, code = item.rsplit("=", 1)
        replies[address.lower()] = code

    controller = Controller(
        Handler(args.outbox, replies), hostname="127.0.0.1", port=args.port,
        tls_context=context, require_starttls=True)
    try:
        controller.start()
    except Exception as error:  # the port is taken, or the server did not come up
        print(f"BIND_FAILED {error}", flush=True)
        sys.exit(3)
    print("READY", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
