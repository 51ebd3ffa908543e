"""A real SMTP server for the test suite (aiosmtpd): stores each message as an .eml file.

Usage: python smtp_sink.py PORT DIR
"""
import asyncio
import os
import sys
import uuid

from aiosmtpd.controller import Controller


class Store:
    def __init__(self, directory):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        name = os.path.join(self.directory, f"{uuid.uuid4().hex}.eml")
        tmp = name + ".tmp"
        with open(tmp, "wb") as f:
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content or envelope.content)
        os.replace(tmp, name)
        return "250 Message accepted for delivery"


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    controller = Controller(Store(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.get_event_loop().run_until_complete(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
