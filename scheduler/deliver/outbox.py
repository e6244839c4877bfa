"""The outbox: a folder of messages not yet delivered, so that nothing is lost and nothing is
sent twice. :func:`deliver` sends a message or keeps it here; ``ladder outbox --flush`` (and the
weekly job) sends what waits, each message at most once.

Every try is written ahead: before the message itself goes to the server, its file is in the
outbox marked ``sending`` (written whole and fsync'd). A try that ends without the server's reply
to the message leaves it ``uncertain`` (it may have been delivered); a process killed mid-try
leaves it ``sending``, which every later run reads as uncertain. Neither is ever sent again
automatically: only :meth:`Outbox.resend` (``ladder outbox --resend ID``), which a person runs
after checking that it did not arrive.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import re
import shlex
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from db.exceptions import MailError
from scheduler.config import SmtpConfig
from scheduler.deliver.mailer import MAIL_POLICY, DeliveryUncertain, recipients_of, send

logger = logging.getLogger(__name__)

#: The states of a message in the outbox: waiting to be sent; being sent (written ahead of the
#: message going to the server); sent but never confirmed.
WAITING, SENDING, UNCERTAIN = "waiting", "sending", "uncertain"


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
    state: str = WAITING

    @property
    def uncertain(self) -> bool:
        """It went to the server and may have been delivered (``sending`` is a try that was cut
        short, by a kill or a crash): never sent again without a person asking."""
        return self.state in (SENDING, UNCERTAIN)

    @property
    def resend_command(self) -> str:
        """The command a person runs to send it again on purpose."""
        return resend_command(self.message_id)


def resend_command(message_id: str) -> str:
    return f"ladder outbox --resend {shlex.quote(message_id.strip().strip('<>'))}"


@dataclass(frozen=True)
class FlushResult:
    sent: list[OutboxItem] = field(default_factory=list)
    failed: list[tuple[OutboxItem, str]] = field(default_factory=list)
    #: Already in sent/ by Message-ID: moved to already-sent/ instead of being sent again.
    skipped: list[OutboxItem] = field(default_factory=list)
    #: Maybe delivered (by this flush or earlier): left in the outbox, not sent again.
    uncertain: list[OutboxItem] = field(default_factory=list)


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

    def add(self, message: EmailMessage, *, error: str, state: str = WAITING) -> Path:
        """Keep ``message`` (``state`` :data:`UNCERTAIN` when it may have been delivered);
        adding a Message-ID again updates its one file."""
        message_id, path = self._place(message)
        old = _sidecar(path)
        queued_at = old.get("queued_at") or datetime.now(UTC).isoformat()
        attempts = int(old.get("attempts", 0)) + 1
        # The sidecar first: when the .eml appears, its sidecar is already there.
        _write_sidecar(
            path,
            message_id,
            queued_at=queued_at,
            attempts=attempts,
            last_error=error,
            state=state,
        )
        write_atomic(path, message.as_bytes())
        logger.info("kept %s in the outbox as %s (%s)", message_id, path, state)
        return path

    def begin(self, message: EmailMessage) -> Path:
        """The write-ahead record of a try, made before the message goes to the server: the
        message in the outbox marked ``sending``, on disk (fsync'd) when this returns. A process
        killed from here on leaves it ``sending``, which later runs read as uncertain."""
        message_id, path = self._place(message)
        old = _sidecar(path)
        _write_sidecar(
            path,
            message_id,
            queued_at=old.get("queued_at") or datetime.now(UTC).isoformat(),
            attempts=int(old.get("attempts", 0)),
            last_error=str(old.get("last_error", "")),
            state=SENDING,
            sending_since=datetime.now(UTC).isoformat(),
        )
        if not path.exists():
            write_atomic(path, message.as_bytes())
        return path

    def _place(self, message: EmailMessage) -> tuple[str, Path]:
        message_id = str(message["Message-ID"] or "").strip()
        if not message_id:
            raise ValueError("the message has no Message-ID; build it with build_message()")
        self.folder.mkdir(parents=True, exist_ok=True)
        path = _find(self.folder, message_id) or self.folder / f"{_stem(message, message_id)}.eml"
        return message_id, path

    def pending(self) -> list[OutboxItem]:
        """Messages waiting to be sent, oldest first."""
        if not self.folder.is_dir():
            return []
        items = []
        for path in self.folder.glob("*.eml"):
            with contextlib.suppress(FileNotFoundError):  # moved by a flush meanwhile
                items.append(_item(path))
        return sorted(items, key=lambda item: (item.queued_at, item.path.name))

    def uncertain(self) -> list[OutboxItem]:
        """Messages that may have been delivered (``uncertain``, or left ``sending``)."""
        return [item for item in self.pending() if item.uncertain]

    def flush(self, smtp: SmtpConfig, **send_kwargs: Any) -> FlushResult:
        """Try each waiting message once (with :func:`send`'s own retries). Uncertain ones are
        listed in the result, never sent: they may have been delivered."""
        result = FlushResult()
        if not self.folder.is_dir():
            return result
        with self._locked():
            for listed in self.pending():
                try:
                    item = _item(listed.path)  # as it is now, not as it was when listed
                except FileNotFoundError:
                    continue
                if item.uncertain:
                    result.uncertain.append(item)
                    logger.warning(
                        "%s may have been delivered (%s); not sent again: %s",
                        item.message_id,
                        item.state,
                        item.resend_command,
                    )
                    continue
                if _find(self.sent_folder, item.message_id):
                    result.skipped.append(self._move(item, self.aside_folder, "moved_aside_at"))
                    logger.warning(
                        "%s is already in %s; moved to %s, not sent again",
                        item.message_id,
                        self.sent_folder,
                        self.aside_folder,
                    )
                    continue
                outcome = self._try(item, smtp, send_kwargs)
                if isinstance(outcome, DeliveryUncertain):
                    result.uncertain.append(self._failed(item, str(outcome), UNCERTAIN))
                elif isinstance(outcome, MailError):
                    result.failed.append((self._failed(item, str(outcome)), str(outcome)))
                else:
                    result.sent.append(outcome)
        return result

    def resend(self, message_id: str, smtp: SmtpConfig, **send_kwargs: Any) -> OutboxItem:
        """Send the message ``message_id`` (with or without its angle brackets) again, whatever
        its state: for a person who checked that an uncertain message did not arrive. Written
        ahead like every try; raises :class:`MailError` (:class:`DeliveryUncertain` when it is
        uncertain again) or :class:`LookupError` when no such message waits here."""
        wanted = "<" + message_id.strip().strip("<>") + ">"
        with self._locked():
            path = _find(self.folder, wanted)
            if path is None:
                waiting = ", ".join(item.message_id for item in self.pending()) or "none"
                raise LookupError(
                    f"no message {wanted} waits in {self.folder} (waiting: {waiting}); "
                    "`ladder outbox` lists them"
                )
            item = _item(path)
            outcome = self._try(item, smtp, send_kwargs)
            if isinstance(outcome, DeliveryUncertain):
                self._failed(item, str(outcome), UNCERTAIN)
                raise outcome
            if isinstance(outcome, MailError):
                self._failed(item, str(outcome))
                raise outcome
            logger.info("%s sent again on purpose (it was %s)", item.message_id, item.state)
            return outcome

    def _try(
        self, item: OutboxItem, smtp: SmtpConfig, send_kwargs: dict[str, Any]
    ) -> OutboxItem | MailError:
        """One send of ``item``, written ahead: the item moved to sent/, or why it was not."""
        message = _read(item.path)

        def before_data() -> None:
            self.begin(message)

        try:
            send(message, smtp, before_data=before_data, **send_kwargs)
        except MailError as error:
            return error
        return self._move(item, self.sent_folder, "sent_at")

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
        return dataclasses.replace(item, path=target, state="sent")

    def _failed(self, item: OutboxItem, error: str, state: str = WAITING) -> OutboxItem:
        failed = dataclasses.replace(
            item, attempts=item.attempts + 1, last_error=error, state=state
        )
        _write_sidecar(
            item.path,
            item.message_id,
            queued_at=item.queued_at.isoformat(),
            attempts=failed.attempts,
            last_error=error,
            state=state,
        )
        return failed


@dataclass(frozen=True)
class DeliveryOutcome:
    delivered: bool
    error: str | None = None
    kept: Path | None = None
    #: Sent, but the server never confirmed it: maybe delivered; kept, not sent again by itself.
    uncertain: bool = False

    @property
    def resend_command(self) -> str:
        """The command that sends the kept message again on purpose ("" when none was kept)."""
        return _item(self.kept).resend_command if self.kept else ""


def deliver(
    message: EmailMessage,
    smtp: SmtpConfig,
    outbox: Outbox,
    *,
    on_sending: Callable[[], None] | None = None,
    **send_kwargs: Any,
) -> DeliveryOutcome:
    """:func:`send`, written ahead in ``outbox`` before each try sends the message (then
    ``on_sending``, e.g. to mark the report in the database), and kept there when it is not
    delivered: waiting to be sent again, or uncertain when it may have been delivered."""

    def before_data() -> None:
        outbox.begin(message)
        if on_sending is not None:
            on_sending()

    try:
        send(message, smtp, before_data=before_data, **send_kwargs)
    except MailError as error:
        uncertain = isinstance(error, DeliveryUncertain)
        try:
            kept = outbox.add(message, error=str(error), state=UNCERTAIN if uncertain else WAITING)
        except OSError as problem:
            raise MailError(
                f"{error}; and it could not be kept in {outbox.folder} ({problem}): check that "
                "the folder is writable and the disk not full",
                permanent=error.permanent,
            ) from problem
        logger.info("not delivered, kept in the outbox as %s: %s", kept, error)
        return DeliveryOutcome(delivered=False, error=str(error), kept=kept, uncertain=uncertain)
    outbox._settle(str(message["Message-ID"] or "").strip())
    return DeliveryOutcome(delivered=True)


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
        message = BytesParser(policy=policy.default).parse(handle)
    message.policy = MAIL_POLICY  # sent again as it was written: headers unfolded
    return message


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
        recipients=tuple(recipients_of(headers)),
        queued_at=queued_at,
        attempts=int(meta.get("attempts", 0)),
        last_error=str(meta.get("last_error", "")),
        state=str(meta.get("state", WAITING)),
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
    write_atomic(path.with_suffix(".json"), text.encode("utf-8"))


def write_atomic(path: Path, data: bytes) -> None:
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
    # the rename itself survives a power cut only once the folder is on disk too
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
