"""Scrapyd nodes over HTTP, and ``ladder deploy``: the Scrapy project built as an egg and uploaded.

A :class:`Node` speaks Scrapyd's JSON API (``daemonstatus.json``, ``schedule.json``,
``listjobs.json``, ``cancel.json``, ``addversion.json``) and fetches a job's item feed and log.
Basic-auth credentials come only from the environment (``LADDER_SCRAPYD_USERNAME`` and
``LADDER_SCRAPYD_PASSWORD``); they are sent in a header and never logged or stored.

The egg holds the packages a spider imports (``crawler`` and ``db``) with the entry point Scrapyd
looks for (``scrapy: settings = crawler.settings``). It is built in a temporary folder, so no build
artefact lands in the working tree.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urljoin, urlparse
from urllib.request import Request, urlopen

from db.exceptions import NodeDown, ScrapydError
from scheduler import clock
from scheduler.config import Config

#: The packages a spider needs on a node (``crawler`` imports ``db``; nothing else of ours).
EGG_PACKAGES = ("crawler", "db")
USERNAME_VARIABLE = "LADDER_SCRAPYD_USERNAME"
PASSWORD_VARIABLE = "LADDER_SCRAPYD_PASSWORD"  # noqa: S105 - the variable's name, not a password
_SETUP = """\
from setuptools import find_packages, setup

setup(
    name={project!r},
    version={version!r},
    packages=find_packages(),
    entry_points={{"scrapy": ["settings = crawler.settings"]}},
    zip_safe=True,
)
"""


@dataclass(frozen=True)
class Node:
    url: str
    timeout: float = 30.0
    #: The ``Authorization`` header value, or None; never shown.
    authorization: str | None = field(default=None, repr=False)

    def get(self, endpoint: str, **params: str) -> dict[str, Any]:
        query = f"?{urlencode(params)}" if params else ""
        return self._json(self._open(f"{endpoint}{query}"), endpoint)

    def post(
        self, endpoint: str, fields: Sequence[tuple[str, str]], egg: bytes | None = None
    ) -> dict[str, Any]:
        if egg is None:
            body = urlencode(list(fields)).encode()
            content_type = "application/x-www-form-urlencoded"
        else:
            body, content_type = _multipart(fields, egg)
        return self._json(self._open(endpoint, body, content_type), endpoint)

    def fetch(self, path: str) -> bytes | None:
        """A file the node serves (``/items/…``, ``/logs/…``); None when it is not there."""
        try:
            return self._open(path)
        except ScrapydError as error:
            if "HTTP 404" in str(error):
                return None
            raise

    def load(self) -> int:
        """Jobs running and waiting on the node (``daemonstatus.json``)."""
        status = self.get("daemonstatus.json")
        return int(status.get("running", 0)) + int(status.get("pending", 0))

    def _json(self, raw: bytes, endpoint: str) -> dict[str, Any]:
        try:
            answer = json.loads(raw)
        except ValueError:
            raise ScrapydError(
                f"{self.url}/{endpoint}: the answer is not JSON; is this a Scrapyd node?"
            ) from None
        if not isinstance(answer, dict) or answer.get("status") not in ("ok", None):
            message = answer.get("message") if isinstance(answer, dict) else answer
            raise ScrapydError(f"{self.url}/{endpoint}: {message}")
        return answer

    def _open(self, path: str, data: bytes | None = None, content_type: str | None = None) -> bytes:
        """GET (or with ``data`` POST) a path below the node's address."""
        url = urljoin(self.url + "/", path.lstrip("/"))
        if urlparse(url).scheme not in ("http", "https"):
            raise ScrapydError(f"{url}: not an http(s) address")
        headers = {"Content-Type": content_type} if content_type else {}
        if self.authorization:
            headers["Authorization"] = self.authorization
        request = Request(url, data=data, headers=headers)  # noqa: S310 - http(s), checked above
        try:
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - the same
                answer: bytes = response.read()
                return answer
        except HTTPError as error:
            if error.code == 401:
                raise ScrapydError(
                    f"{self.url}: login refused (HTTP 401); set {USERNAME_VARIABLE} and "
                    f"{PASSWORD_VARIABLE} to the username and password of the node's scrapyd.conf"
                ) from None
            raise ScrapydError(f"{request.full_url}: HTTP {error.code} {error.reason}") from None
        except (URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise NodeDown(
                f"{self.url}: unreachable ({reason}); is scrapyd running there and is the address "
                "in [crawl].scrapyd_nodes right?"
            ) from None


def _multipart(fields: Sequence[tuple[str, str]], egg: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="egg"; filename="project.egg"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + egg
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def cluster_nodes(config: Config, environ: Mapping[str, str] = os.environ) -> list[Node]:
    """The configured nodes, with the credentials from the environment when both are set."""
    user, password = environ.get(USERNAME_VARIABLE), environ.get(PASSWORD_VARIABLE)
    authorization = None
    if user and password:
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        authorization = f"Basic {token}"
    elif user or password:
        raise ScrapydError(f"set both {USERNAME_VARIABLE} and {PASSWORD_VARIABLE}, or neither")
    timeout = config.crawl.scrapyd_http_timeout
    return [Node(url, timeout, authorization) for url in config.crawl.scrapyd_nodes]


def egg_version(now: datetime | None = None) -> str:
    """A version that sorts by time (Scrapyd runs the newest unless told otherwise)."""
    return (now or clock.now()).strftime("%Y%m%d%H%M%S")


def package_folder(package: str) -> Path:
    """Where one of our packages is installed (or checked out)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ScrapydError(f"cannot find the {package!r} package to put in the egg")
    return Path(next(iter(spec.submodule_search_locations)))


def build_egg(project: str, version: str) -> bytes:
    """The egg of the Scrapy project, built in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="ladder-egg-") as folder:
        source = Path(folder) / "src"
        for package in EGG_PACKAGES:
            shutil.copytree(
                package_folder(package),
                source / package,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
        (source / "setup.py").write_text(_SETUP.format(project=project, version=version))
        out = Path(folder) / "dist"
        result = subprocess.run(  # noqa: S603 - our own interpreter, no shell
            [sys.executable, "setup.py", "-q", "bdist_egg", "--dist-dir", str(out)],
            cwd=source,
            capture_output=True,
            text=True,
            check=False,
        )
        eggs = sorted(out.glob("*.egg")) if out.exists() else []
        if result.returncode or not eggs:
            raise ScrapydError(
                f"could not build the project's egg (setuptools bdist_egg): "
                f"{result.stderr.strip()[-500:] or result.stdout.strip()[-500:]}"
            )
        return eggs[0].read_bytes()


@dataclass(frozen=True)
class Deployed:
    node: str
    ok: bool
    message: str


def deploy(config: Config, *, version: str | None = None) -> list[Deployed]:
    """Build the egg once and upload it to every node (``addversion.json``); one result per node,
    a node that fails does not stop the others."""
    project = config.crawl.scrapyd_project
    version = version or egg_version()
    egg = build_egg(project, version)
    results = []
    for node in cluster_nodes(config):
        try:
            answer = node.post(
                "addversion.json", [("project", project), ("version", version)], egg=egg
            )
        except ScrapydError as error:
            results.append(Deployed(node.url, False, str(error)))
            continue
        spiders = answer.get("spiders", "?")
        results.append(Deployed(node.url, True, f"{project} {version}: {spiders} spiders"))
    return results
