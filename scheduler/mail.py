"""The report as an email: building the MIME message, SMTP delivery, the outbox.

:func:`build_message` makes a ``multipart/alternative`` message (text first, then the HTML with its
inline PNG charts), UTF-8 throughout. :func:`send` delivers it over STARTTLS, implicit TLS or, for a
relay on localhost, plain SMTP; it retries what may pass later and raises :class:`DeliveryError`
worded for the user. :func:`deliver` keeps what could not be sent in an :class:`Outbox`, a folder
that ``ladder outbox --flush`` empties: nothing is lost, nothing is sent twice.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import ipaddress
import json
import logging
import os
import re
import smtplib
import socket
import ssl
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

from scheduler.config import SECURITY, SmtpConfig

logger = logging.getLogger(__name__)

_SETTINGS = "[report.smtp]"


@dataclass(frozen=True)
class InlineImage:
    """A PNG shown inside the HTML part, which refers to it as ``src="cid:<cid>"``."""

    cid: str
    data: bytes
    filename: str


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
    return message


class DeliveryError(Exception):
    """Why a message could not be delivered, and what to do about it.

    ``permanent`` is True when trying again will not help (a refused login or recipient, a 5xx
    answer, a certificate that does not verify), False for what may pass later (no connection, a
    timeout, a 4xx answer).
    """

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def send(
    message: EmailMessage,
    smtp: SmtpConfig,
    *,
    attempts: int = 3,
    backoff: float = 2.0,
    timeout: float = 30.0,
    ssl_context: ssl.SSLContext | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Deliver ``message`` to the addresses in its headers through ``smtp``.

    A transient failure is tried ``attempts`` times in all, waiting ``backoff``, ``2*backoff``, …
    seconds between tries; a permanent one raises at once. ``timeout`` bounds each network step.
    Never falls back to plain text; raises only :class:`DeliveryError` for delivery problems.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be 1 or more, not {attempts}")
    _check(smtp)
    context = None
    if smtp.security != "none":
        context = ssl_context or ssl.create_default_context()
    for attempt in range(1, attempts + 1):
        try:
            _send_once(message, smtp, timeout, context)
        except DeliveryError as error:
            if error.permanent:
                raise
            if attempt == attempts:
                if attempts == 1:
                    raise
                raise DeliveryError(f"{error} (tried {attempts} times)", permanent=False) from error
            delay = backoff * 2 ** (attempt - 1)
            logger.warning("%s; trying again in %g s (%d of %d)", error, delay, attempt, attempts)
            sleep(delay)
        else:
            logger.info(
                "sent %s to %s through %s:%d",
                message["Message-ID"],
                ", ".join(_recipients(message)),
                smtp.host,
                smtp.port,
            )
            return


def _check(smtp: SmtpConfig) -> None:
    """Settings that cannot work, refused before connecting."""
    if smtp.security not in SECURITY:
        raise DeliveryError(
            f"{_SETTINGS}.security is {smtp.security!r}; use one of {', '.join(SECURITY)}",
            permanent=True,
        )
    if smtp.user and not smtp.password:
        raise DeliveryError(
            f"{_SETTINGS}.user is {smtp.user!r} but LADDER_SMTP_PASSWORD is not set; set it in "
            "the environment of the command, the service or the cron job (or remove user if the "
            "server needs no login)",
            permanent=True,
        )
    if smtp.user and not (smtp.user + (smtp.password or "")).isascii():
        raise DeliveryError(
            f"{_SETTINGS}.user or LADDER_SMTP_PASSWORD has letters outside ASCII (such as ư or "
            "đ), which an SMTP login cannot carry here; use the provider's app password or "
            "change the password",
            permanent=True,
        )
    if smtp.user and smtp.security == "none" and not _is_local(smtp.host):
        raise DeliveryError(
            f'{_SETTINGS}.security = "none" would send the password for {smtp.user!r} '
            f'unencrypted to {smtp.host}; use security = "starttls" (port 587) or "ssl" (port 465)',
            permanent=True,
        )


def _send_once(
    message: EmailMessage, smtp: SmtpConfig, timeout: float, context: ssl.SSLContext | None
) -> None:
    server = f"SMTP server {smtp.host}:{smtp.port}"
    client: smtplib.SMTP
    try:
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
    except (OSError, UnicodeError) as error:  # smtplib.SMTPException is an OSError
        raise _explain(error, smtp, timeout) from error
    try:
        client.ehlo_or_helo_if_needed()
        if smtp.security == "starttls":
            if not client.has_extn("starttls"):
                raise DeliveryError(
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


def _explain(error: BaseException, smtp: SmtpConfig, timeout: float) -> DeliveryError:
    """The user's version of an smtplib, ssl or socket error."""
    server = f"SMTP server {smtp.host}:{smtp.port}"
    hint = _port_hint(smtp)
    if isinstance(error, smtplib.SMTPServerDisconnected) and isinstance(
        error.__context__, TimeoutError
    ):
        error = error.__context__  # smtplib words a reply that never came as a disconnection
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return DeliveryError(
            f"{server} refused the login for user {smtp.user!r}: {_reply(error)}; check "
            f"{_SETTINGS}.user and LADDER_SMTP_PASSWORD (some providers need an app password)",
            permanent=error.smtp_code >= 500,
        )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return DeliveryError(
            f"{server} refused every recipient: {_refusals(error.recipients)}; check "
            "[report].recipients",
            permanent=all(code >= 500 for code, _ in error.recipients.values()),
        )
    if isinstance(error, smtplib.SMTPSenderRefused):
        fix = "check [report].from (many servers only accept the login's own address)"
        if error.smtp_code == 530 and not smtp.user:
            fix = f"the server wants a login: set {_SETTINGS}.user and LADDER_SMTP_PASSWORD"
        return DeliveryError(
            f"{server} refused the sender {error.sender}: {_reply(error)}; {fix}",
            permanent=error.smtp_code >= 500,
        )
    if isinstance(error, smtplib.SMTPDataError):
        return DeliveryError(
            f"{server} refused the message: {_reply(error)}", permanent=error.smtp_code >= 500
        )
    if isinstance(error, smtplib.SMTPNotSupportedError) and "AUTH" in str(error):
        return DeliveryError(
            f"{server} does not offer a login; remove {_SETTINGS}.user if it needs none, or use "
            'security = "starttls" or "ssl" (servers offer a login only over TLS)',
            permanent=True,
        )
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return DeliveryError(f"{server} closed the connection ({error}){hint}", permanent=False)
    if isinstance(error, smtplib.SMTPResponseException):
        return DeliveryError(f"{server} answered {_reply(error)}", permanent=error.smtp_code >= 500)
    if isinstance(error, smtplib.SMTPException):
        return DeliveryError(f"{server}: {error}; check {_SETTINGS}", permanent=True)
    if isinstance(error, ssl.SSLCertVerificationError):
        return DeliveryError(
            f"the certificate of {server} could not be verified ({error.verify_message}); "
            f"write {_SETTINGS}.host as the name on the server's certificate (an IP address or "
            "alias usually fails), and check this machine's clock and CA certificates",
            permanent=True,
        )
    if isinstance(error, ssl.SSLError):
        return DeliveryError(
            f"TLS with {server} failed ({error.reason or error}){hint}", permanent=True
        )
    if isinstance(error, TimeoutError):
        return DeliveryError(f"{server} did not answer within {timeout:g} s{hint}", permanent=False)
    if isinstance(error, ConnectionRefusedError):
        return DeliveryError(
            f"nothing accepts connections at {server} (connection refused); check "
            f"{_SETTINGS}.host and port, and that the server is running",
            permanent=False,
        )
    if isinstance(error, socket.gaierror):
        return DeliveryError(
            f"the name {smtp.host!r} cannot be looked up ({error.strerror}); check "
            f"{_SETTINGS}.host and this machine's network",
            permanent=False,
        )
    if isinstance(error, UnicodeError):
        return DeliveryError(
            f"{server}: an address has characters SMTP cannot carry here ({error}); check "
            "[report].from and [report].recipients",
            permanent=True,
        )
    assert isinstance(error, OSError)
    return DeliveryError(
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


@dataclass(frozen=True)
class OutboxItem:
    """A message waiting in the outbox (or, in :class:`FlushResult`, just moved out of it)."""

    path: Path
    message_id: str
    subject: str
    recipients: tuple[str, ...]
    queued_at: datetime
    attempts: int
    last_error: str


@dataclass(frozen=True)
class FlushResult:
    sent: list[OutboxItem] = field(default_factory=list)
    failed: list[tuple[OutboxItem, str]] = field(default_factory=list)
    #: Already in sent/ by Message-ID: moved to already-sent/ instead of being sent again.
    skipped: list[OutboxItem] = field(default_factory=list)


class Outbox:
    """A folder of messages not yet delivered: nothing is lost, nothing is sent twice.

    Each message is ``<stamp>-<message id>.eml`` with a ``.json`` sidecar (queued_at, attempts,
    last_error). Delivered ones move to ``sent/``; copies of a message already in ``sent/`` move
    to ``already-sent/``. ``.lock`` keeps two flushes (cron and a person) from sending one message
    twice: the second waits for the first.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.sent_folder = self.folder / "sent"
        self.aside_folder = self.folder / "already-sent"

    def add(self, message: EmailMessage, *, error: str) -> Path:
        """Keep ``message``; adding a Message-ID again updates its one file."""
        message_id = str(message["Message-ID"] or "").strip()
        if not message_id:
            raise ValueError("the message has no Message-ID; build it with build_message()")
        self.folder.mkdir(parents=True, exist_ok=True)
        path = _find(self.folder, message_id) or self.folder / f"{_stem(message, message_id)}.eml"
        old = _sidecar(path)
        queued_at = old.get("queued_at") or datetime.now(UTC).isoformat()
        attempts = int(old.get("attempts", 0)) + 1
        # The sidecar first: when the .eml appears, its sidecar is already there.
        _write_sidecar(path, message_id, queued_at=queued_at, attempts=attempts, last_error=error)
        _write_atomic(path, message.as_bytes())
        logger.info("kept %s in the outbox as %s", message_id, path)
        return path

    def pending(self) -> list[OutboxItem]:
        """Messages waiting to be sent, oldest first."""
        if not self.folder.is_dir():
            return []
        items = []
        for path in self.folder.glob("*.eml"):
            with contextlib.suppress(FileNotFoundError):  # moved by a flush meanwhile
                items.append(_item(path))
        return sorted(items, key=lambda item: (item.queued_at, item.path.name))

    def flush(self, smtp: SmtpConfig, **send_kwargs: Any) -> FlushResult:
        """Try each waiting message once (with :func:`send`'s own retries)."""
        result = FlushResult()
        if not self.folder.is_dir():
            return result
        with self._locked():
            for item in self.pending():
                if _find(self.sent_folder, item.message_id):
                    result.skipped.append(self._move(item, self.aside_folder, "moved_aside_at"))
                    logger.warning(
                        "%s is already in %s; moved to %s, not sent again",
                        item.message_id,
                        self.sent_folder,
                        self.aside_folder,
                    )
                    continue
                try:
                    send(_read(item.path), smtp, **send_kwargs)
                except DeliveryError as error:
                    result.failed.append((self._failed(item, str(error)), str(error)))
                    continue
                result.sent.append(self._move(item, self.sent_folder, "sent_at"))
        return result

    def _settle(self, message_id: str) -> None:
        """``message_id`` was just delivered: a waiting copy of it moves to sent/, unsent."""
        if not self.folder.is_dir():
            return
        with self._locked():
            path = _find(self.folder, message_id)
            if path:
                self._move(_item(path), self.sent_folder, "sent_at")
                logger.info("%s was delivered directly; its outbox copy moved to sent/", path)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.folder / ".lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                logger.info("waiting for another flush of %s to finish", self.folder)
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _move(self, item: OutboxItem, folder: Path, stamp: str) -> OutboxItem:
        folder.mkdir(exist_ok=True)
        target = folder / item.path.name
        item.path.replace(target)  # from here on it is no longer pending
        _write_sidecar(
            target,
            item.message_id,
            queued_at=item.queued_at.isoformat(),
            attempts=item.attempts,
            last_error=item.last_error,
            **{stamp: datetime.now(UTC).isoformat()},
        )
        item.path.with_suffix(".json").unlink(missing_ok=True)
        return dataclasses.replace(item, path=target)

    def _failed(self, item: OutboxItem, error: str) -> OutboxItem:
        failed = dataclasses.replace(item, attempts=item.attempts + 1, last_error=error)
        _write_sidecar(
            item.path,
            item.message_id,
            queued_at=item.queued_at.isoformat(),
            attempts=failed.attempts,
            last_error=error,
        )
        return failed


@dataclass(frozen=True)
class DeliveryOutcome:
    delivered: bool
    error: str | None = None
    kept: Path | None = None


def deliver(
    message: EmailMessage, smtp: SmtpConfig, outbox: Outbox, **send_kwargs: Any
) -> DeliveryOutcome:
    """:func:`send`, keeping the message in ``outbox`` when it cannot be delivered."""
    try:
        send(message, smtp, **send_kwargs)
    except DeliveryError as error:
        try:
            kept = outbox.add(message, error=str(error))
        except OSError as problem:
            raise DeliveryError(
                f"{error}; and it could not be kept in {outbox.folder} ({problem}): check that "
                "the folder is writable and the disk not full",
                permanent=error.permanent,
            ) from problem
        logger.warning("not delivered, kept in the outbox as %s: %s", kept, error)
        return DeliveryOutcome(delivered=False, error=str(error), kept=kept)
    outbox._settle(str(message["Message-ID"] or "").strip())
    return DeliveryOutcome(delivered=True)


def _angled(value: str) -> str:
    return f"<{value.strip().strip('<>')}>"


def _recipients(message: EmailMessage) -> list[str]:
    values = [str(v) for name in ("To", "Cc") for v in message.get_all(name, [])]
    return [address for _, address in getaddresses(values) if address]


def _key(message_id: str) -> str:
    """A file-name-safe, unique form of a Message-ID."""
    digest = hashlib.sha256(message_id.encode()).hexdigest()[:12]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", message_id.strip("<>"))[:60].strip("._-")
    return f"{slug}-{digest}"


def _stem(message: EmailMessage, message_id: str) -> str:
    try:
        date = parsedate_to_datetime(str(message["Date"]))
    except (TypeError, ValueError):
        date = datetime.now(UTC)
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    return f"{date.astimezone(UTC):%Y%m%dT%H%M%SZ}-{_key(message_id)}"


def _find(folder: Path, message_id: str) -> Path | None:
    if not message_id or not folder.is_dir():
        return None
    suffix = f"-{_key(message_id)}.eml"
    return next((p for p in sorted(folder.glob("*.eml")) if p.name.endswith(suffix)), None)


def _read(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)


def _item(path: Path) -> OutboxItem:
    with path.open("rb") as handle:
        headers = BytesParser(policy=policy.default).parse(handle, headersonly=True)
    meta = _sidecar(path)
    try:
        queued_at = datetime.fromisoformat(str(meta["queued_at"]))
    except (KeyError, ValueError):
        queued_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    if queued_at.tzinfo is None:
        queued_at = queued_at.replace(tzinfo=UTC)
    return OutboxItem(
        path=path,
        message_id=str(headers["Message-ID"] or "").strip(),
        subject=str(headers["Subject"] or ""),
        recipients=tuple(_recipients(headers)),
        queued_at=queued_at,
        attempts=int(meta.get("attempts", 0)),
        last_error=str(meta.get("last_error", "")),
    )


def _sidecar(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        logger.warning("ignoring the unreadable %s: %s", path.with_suffix(".json"), error)
        return {}
    return data if isinstance(data, dict) else {}


def _write_sidecar(path: Path, message_id: str, **values: Any) -> None:
    data = {"message_id": message_id, **values}
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    _write_atomic(path.with_suffix(".json"), text.encode("utf-8"))


def _write_atomic(path: Path, data: bytes) -> None:
    """Readers see the old file or the whole new one, never a part."""
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
