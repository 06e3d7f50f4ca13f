"""An SMTP server for the tests: aiosmtpd on a loopback port, over TLS.

    python tests/smtp/server.py MODE PORT CERT KEY USER PASSWORD OUT

MODE starttls: STARTTLS is required before anything else, and sign-in
(AUTH PLAIN or LOGIN, only over TLS) before mail. MODE tls: TLS from the
first byte (smtps), then the same sign-in. Each message received is one
JSON line in OUT: {"to": [...], "from": ..., "data": ..., "tls": bool,
"user": ...}. Prints "ready" once it listens.
"""
import json
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

mode, port, cert, key, user, password, out = sys.argv[1:]
lock = threading.Lock()


class Keep:
    async def handle_DATA(self, server, session, envelope):
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", "replace"),
            # After STARTTLS, or TLS from the first byte.
            "tls": session.ssl is not None
            or server.transport.get_extra_info("ssl_object") is not None,
            "user": session.auth_data.login.decode() if session.auth_data else None,
        }
        with lock, open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        return "250 Message kept"


def authenticate(server, session, envelope, mechanism, auth_data):
    if (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == user.encode()
        and auth_data.password == password.encode()
    ):
        return AuthResult(success=True, auth_data=auth_data)
    return AuthResult(success=False, handled=False)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
common = dict(
    hostname="127.0.0.1",
    port=int(port),
    authenticator=authenticate,
    auth_required=True,
    server_hostname="localhost",
)
if mode == "starttls":
    controller = Controller(
        Keep(), tls_context=context, require_starttls=True, auth_require_tls=True, **common
    )
elif mode == "tls":
    # TLS from the first byte: aiosmtpd's auth_require_tls looks for STARTTLS only.
    controller = Controller(Keep(), ssl_context=context, auth_require_tls=False, **common)
else:
    sys.exit(f"mode: starttls or tls, not {mode}")
controller.start()
print("ready", flush=True)
threading.Event().wait()
