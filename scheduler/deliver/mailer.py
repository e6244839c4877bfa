"""The report as an email: building the MIME message, and SMTP delivery.

:func:`build_message` makes a ``multipart/alternative`` message (text first, then the HTML with its
inline PNG charts), UTF-8 throughout. :func:`send` delivers it over STARTTLS, implicit TLS or, for a
relay on localhost, plain SMTP; it retries what may pass later and raises :class:`MailError`
worded for the user. What cannot be sent waits in the outbox (:mod:`scheduler.deliver.outbox`).

Once the whole message has gone to the server, only the server's reply says whether it was
delivered. :func:`send` waits for that reply up to ``data_timeout`` (10 minutes, as RFC 5321
§4.5.3.2.6 asks) and, when it never comes, raises :class:`DeliveryUncertain`: the message may have
been delivered, so nothing sends it again unless a person asks.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr

from db.exceptions import MailError
from scheduler.config import SECURITY, SmtpConfig

logger = logging.getLogger(__name__)

_SETTINGS = "[report.smtp]"

#: How long to wait for the server's reply once the whole message has been sent (RFC 5321
#: §4.5.3.2.6: 10 minutes). Every other step (connecting, each command) waits ``timeout``.
DATA_TIMEOUT = 600.0
#: The environment variable that sets another wait for that reply, in seconds.
DATA_TIMEOUT_VARIABLE = "LADDER_SMTP_DATA_TIMEOUT"


class DeliveryUncertain(MailError):
    """The server received the whole message but its reply never came (a timeout, a lost
    connection): the message may have been delivered. Never retried automatically (it is
    ``permanent``); only a person who checked can send it again."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


def data_timeout_from_environment() -> float:
    """``LADDER_SMTP_DATA_TIMEOUT`` in seconds when set, else :data:`DATA_TIMEOUT`."""
    value = os.environ.get(DATA_TIMEOUT_VARIABLE, "").strip()
    if not value:
        return DATA_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise MailError(
            f"{DATA_TIMEOUT_VARIABLE} is {value!r}; set it to a number of seconds above 0 "
            f"(or leave it unset for {DATA_TIMEOUT:g} s), so nothing was sent",
            permanent=True,
        )
    return seconds


@dataclass(frozen=True)
class InlineImage:
    """A PNG shown inside the HTML part, which refers to it as ``src="cid:<cid>"``."""

    cid: str
    data: bytes
    filename: str


#: The policy messages are written with: the default, but headers are not folded below RFC 5322's
#: 998 characters. Python 3.11 and 3.12 drop the space between two words where they fold a long
#: non-ASCII header ("tụt hậu" became "tụthậu"); an unfolded subject keeps every space. Bodies are
#: encoded before this policy applies, so their quoted-printable lines stay under 76 characters.
MAIL_POLICY = policy.default.clone(max_line_length=998)
#: A subject longer than this is cut (with "…"), so it never needs folding.
SUBJECT_CHARACTERS = 200


def build_message(
    *,
    subject: str,
    sender: str,
    recipients: Sequence[str],
    text: str,
    html: str,
    images: Sequence[InlineImage] = (),
    message_id: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """text/plain, then text/html (in multipart/related with ``images`` when there are any)."""
    if not recipients:
        raise ValueError("the message has no recipients; add addresses to [report].recipients")
    message = EmailMessage(policy=policy.default)
    if len(subject) > SUBJECT_CHARACTERS:
        subject = subject[: SUBJECT_CHARACTERS - 1].rstrip() + "…"
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(date or datetime.now(UTC))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = _angled(message_id) if message_id else make_msgid("ladder", domain)
    # Quoted-printable keeps the body 7-bit: no server needs 8BITMIME for Vietnamese text.
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    html_part = list(message.iter_parts())[1]
    for image in images:
        html_part.add_related(
            image.data,
            maintype="image",
            subtype="png",
            cid=_angled(image.cid),
            filename=image.filename,
            disposition="inline",
        )
    message.policy = MAIL_POLICY  # the headers are written when the message is, with this
    return message


def send(
    message: EmailMessage,
    smtp: SmtpConfig,
    *,
    attempts: int = 3,
    backoff: float = 2.0,
    timeout: float = 30.0,
    data_timeout: float | None = None,
    before_data: Callable[[], None] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Deliver ``message`` to the addresses in its headers through ``smtp``.

    A transient failure is tried ``attempts`` times in all, waiting ``backoff``, ``2*backoff``, …
    seconds between tries; a permanent one raises at once. ``timeout`` bounds connecting and each
    command; ``data_timeout`` (default: :func:`data_timeout_from_environment`) bounds the wait for
    the reply to the message itself. ``before_data`` is called in each try once the server has
    accepted the recipients, before the message is sent: the caller records the attempt there
    (write-ahead), and if it raises nothing is sent. A reply that never comes after the message
    raises :class:`DeliveryUncertain`, never retried. Never falls back to plain text; raises only
    :class:`MailError` for delivery problems.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be 1 or more, not {attempts}")
    _check(smtp)
    if data_timeout is None:
        data_timeout = data_timeout_from_environment()
    wait = _Waits(timeout, data_timeout, before_data or _nothing)
    context = None
    if smtp.security != "none":
        context = ssl_context or ssl.create_default_context()
    for attempt in range(1, attempts + 1):
        try:
            _send_once(message, smtp, wait, context)
        except MailError as error:
            if error.permanent:
                raise
            if attempt == attempts:
                if attempts == 1:
                    raise
                raise MailError(f"{error} (tried {attempts} times)", permanent=False) from error
            delay = backoff * 2 ** (attempt - 1)
            # the error itself is said once, by whoever reports the outcome (the command, the job)
            logger.warning(
                "sending failed (attempt %d of %d); trying again in %g s", attempt, attempts, delay
            )
            sleep(delay)
        else:
            logger.info(
                "sent %s to %s through %s:%d",
                message["Message-ID"],
                ", ".join(recipients_of(message)),
                smtp.host,
                smtp.port,
            )
            return


def _check(smtp: SmtpConfig) -> None:
    """Settings that cannot work, refused before connecting."""
    if smtp.security not in SECURITY:
        raise MailError(
            f"{_SETTINGS}.security is {smtp.security!r}; use one of {', '.join(SECURITY)}",
            permanent=True,
        )
    if smtp.user and not smtp.password:
        raise MailError(
            f"{_SETTINGS}.user is {smtp.user!r} but LADDER_SMTP_PASSWORD is not set; set it in "
            "the environment of the command, the service or the cron job (or remove user if the "
            "server needs no login)",
            permanent=True,
        )
    if smtp.user and not (smtp.user + (smtp.password or "")).isascii():
        raise MailError(
            f"{_SETTINGS}.user or LADDER_SMTP_PASSWORD has letters outside ASCII (such as ư or "
            "đ), which an SMTP login cannot carry here; use the provider's app password or "
            "change the password",
            permanent=True,
        )
    if smtp.user and smtp.security == "none" and not _is_local(smtp.host):
        raise MailError(
            f'{_SETTINGS}.security = "none" would send the password for {smtp.user!r} '
            f'unencrypted to {smtp.host}; use security = "starttls" (port 587) or "ssl" (port 465)',
            permanent=True,
        )


def _nothing() -> None:
    """No write-ahead record to make."""


@dataclass(frozen=True)
class _Waits:
    """What one try needs besides the message: the two waits and the write-ahead record."""

    timeout: float
    data_timeout: float
    before_data: Callable[[], None]


class _NotRecorded(Exception):
    """The write-ahead record could not be made, so the message was not sent."""


class _Unconfirmed(Exception):
    """The whole message was sent, and the server's reply never came."""


class _Careful(smtplib.SMTP):
    """smtplib's client with one change, in DATA: the attempt is recorded first, and the reply
    to the message is awaited ``data_timeout`` seconds and, when it never comes, reported as
    :class:`_Unconfirmed` (maybe delivered), not as a lost connection (not delivered)."""

    waits: _Waits

    def data(self, msg: bytes | str) -> tuple[int, bytes]:  # type: ignore[override]
        try:
            self.waits.before_data()
        except Exception as error:
            raise _NotRecorded(str(error)) from error
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        body = msg.encode("ascii") if isinstance(msg, str) else bytes(msg)
        body = re.sub(rb"(?m)^\.", b"..", body)  # a line starting with "." gets another
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        # The end marker is the last bytes: if sending fails, the server never saw it and
        # cannot have accepted the message (an ordinary, retried failure).
        self.send(body + b".\r\n")
        assert self.sock is not None
        self.sock.settimeout(self.waits.data_timeout)
        try:
            code, reply = self.getreply()
        except OSError as error:  # a timeout or a lost connection: smtplib closed the client
            cause = error.__context__ if isinstance(error.__context__, TimeoutError) else error
            raise _Unconfirmed(str(cause) or type(cause).__name__) from error
        if self.sock is not None:
            self.sock.settimeout(self.waits.timeout)
        return code, reply


class _CarefulTls(_Careful, smtplib.SMTP_SSL):
    """:class:`_Careful` over implicit TLS."""


def _send_once(
    message: EmailMessage, smtp: SmtpConfig, waits: _Waits, context: ssl.SSLContext | None
) -> None:
    server = f"SMTP server {smtp.host}:{smtp.port}"
    timeout = waits.timeout
    client: _Careful
    try:
        if smtp.security == "ssl":
            client = _CarefulTls(smtp.host, smtp.port, timeout=timeout, context=context)
        else:
            client = _Careful(smtp.host, smtp.port, timeout=timeout)
    except (OSError, UnicodeError) as error:  # smtplib.SMTPException is an OSError
        raise _explain(error, smtp, timeout) from error
    client.waits = waits
    try:
        client.ehlo_or_helo_if_needed()
        if smtp.security == "starttls":
            if not client.has_extn("starttls"):
                raise MailError(
                    f'{server} does not offer STARTTLS, so nothing was sent; use security = "ssl" '
                    'if it expects TLS from the start (port 465), or "none" only for a relay on '
                    "this machine",
                    permanent=True,
                )
            client.starttls(context=context)
            client.ehlo()
        if smtp.user:
            assert smtp.password is not None  # _check() refused a user without a password
            client.login(smtp.user, smtp.password)
        refused = client.send_message(message)
    except _Unconfirmed as error:
        client.close()
        raise DeliveryUncertain(
            f"{server} received the whole message {message['Message-ID']} but did not confirm "
            f"it within {waits.data_timeout:g} s ({error}): it may have been delivered, so it is "
            "not sent again automatically"
        ) from error
    except _NotRecorded as error:
        client.close()
        raise MailError(
            f"the attempt could not be recorded before sending ({error}), so nothing was sent; "
            "check that the outbox folder and the database are writable and the disk not full",
            permanent=True,
        ) from error
    except (OSError, UnicodeError) as error:
        client.close()
        raise _explain(error, smtp, timeout) from error
    except BaseException:
        client.close()
        raise
    # Delivered: a failing QUIT must not make it look undelivered (it would be sent twice).
    with contextlib.suppress(OSError):
        client.quit()
    client.close()
    if refused:
        # The others have it; sending again would give them a second copy.
        logger.warning(
            "%s refused some recipients (the others received %s): %s; check [report].recipients",
            server,
            message["Message-ID"],
            _refusals(refused),
        )


def _explain(error: BaseException, smtp: SmtpConfig, timeout: float) -> MailError:
    """The user's version of an smtplib, ssl or socket error."""
    server = f"SMTP server {smtp.host}:{smtp.port}"
    hint = _port_hint(smtp)
    if isinstance(error, smtplib.SMTPServerDisconnected) and isinstance(
        error.__context__, TimeoutError
    ):
        error = error.__context__  # smtplib words a reply that never came as a disconnection
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return MailError(
            f"{server} refused the login for user {smtp.user!r}: {_reply(error)}; check "
            f"{_SETTINGS}.user and LADDER_SMTP_PASSWORD (some providers need an app password)",
            permanent=error.smtp_code >= 500,
        )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return MailError(
            f"{server} refused every recipient: {_refusals(error.recipients)}; check "
            "[report].recipients",
            permanent=all(code >= 500 for code, _ in error.recipients.values()),
        )
    if isinstance(error, smtplib.SMTPSenderRefused):
        fix = "check [report].from (many servers only accept the login's own address)"
        if error.smtp_code == 530 and not smtp.user:
            fix = f"the server wants a login: set {_SETTINGS}.user and LADDER_SMTP_PASSWORD"
        return MailError(
            f"{server} refused the sender {error.sender}: {_reply(error)}; {fix}",
            permanent=error.smtp_code >= 500,
        )
    if isinstance(error, smtplib.SMTPDataError):
        return MailError(
            f"{server} refused the message: {_reply(error)}", permanent=error.smtp_code >= 500
        )
    if isinstance(error, smtplib.SMTPNotSupportedError) and "AUTH" in str(error):
        return MailError(
            f"{server} does not offer a login; remove {_SETTINGS}.user if it needs none, or use "
            'security = "starttls" or "ssl" (servers offer a login only over TLS)',
            permanent=True,
        )
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return MailError(f"{server} closed the connection ({error}){hint}", permanent=False)
    if isinstance(error, smtplib.SMTPResponseException):
        return MailError(f"{server} answered {_reply(error)}", permanent=error.smtp_code >= 500)
    if isinstance(error, smtplib.SMTPException):
        return MailError(f"{server}: {error}; check {_SETTINGS}", permanent=True)
    if isinstance(error, ssl.SSLCertVerificationError):
        return MailError(
            f"the certificate of {server} could not be verified ({error.verify_message}); "
            f"write {_SETTINGS}.host as the name on the server's certificate (an IP address or "
            "alias usually fails), and check this machine's clock and CA certificates",
            permanent=True,
        )
    if isinstance(error, ssl.SSLError):
        return MailError(
            f"TLS with {server} failed ({error.reason or error}){hint}", permanent=True
        )
    if isinstance(error, TimeoutError):
        return MailError(f"{server} did not answer within {timeout:g} s{hint}", permanent=False)
    if isinstance(error, ConnectionRefusedError):
        return MailError(
            f"nothing accepts connections at {server} (connection refused); check "
            f"{_SETTINGS}.host and port, and that the server is running",
            permanent=False,
        )
    if isinstance(error, socket.gaierror):
        return MailError(
            f"the name {smtp.host!r} cannot be looked up ({error.strerror}); check "
            f"{_SETTINGS}.host and this machine's network",
            permanent=False,
        )
    if isinstance(error, UnicodeError):
        return MailError(
            f"{server}: an address has characters SMTP cannot carry here ({error}); check "
            "[report].from and [report].recipients",
            permanent=True,
        )
    assert isinstance(error, OSError)
    return MailError(
        f"cannot reach {server} ({error.strerror or error}); check {_SETTINGS}.host and port "
        "and this machine's network",
        permanent=False,
    )


def _reply(error: smtplib.SMTPResponseException) -> str:
    return _answer(error.smtp_code, error.smtp_error)


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address} ({_answer(*answer)})" for address, answer in refused.items())


def _port_hint(smtp: SmtpConfig) -> str:
    if smtp.port == 465 and smtp.security != "ssl":
        return '; port 465 usually expects security = "ssl"'
    if smtp.port in (25, 587) and smtp.security == "ssl":
        return f'; port {smtp.port} usually expects security = "starttls"'
    return ""


def _is_local(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _angled(value: str) -> str:
    return f"<{value.strip().strip('<>')}>"


def recipients_of(message: EmailMessage) -> list[str]:
    values = [str(v) for name in ("To", "Cc") for v in message.get_all(name, [])]
    return [address for _, address in getaddresses(values) if address]
