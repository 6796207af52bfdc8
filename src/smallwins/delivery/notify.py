"""Sending through Apprise: one object per target, built once, errors without secrets."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smallwins.message import shown
from smallwins.redact import REDACTOR, register_url

if TYPE_CHECKING:
    from smallwins.api.moment import Moment
    from smallwins.config import Target

log = logging.getLogger("smallwins.notify")

TERMINAL = "terminal"
# Schemes of smallwins's own, made known to Apprise only when a URL uses them.
OWN_SCHEMES = {"desktop"}
# Desktop schemes whose library may be missing: what is missing, and the fix.
WHEEL_ONLY = "use desktop:// instead: pip install 'smallwins[desktop]' (wheels only)"
DESKTOP_SCHEMES = {
    "desktop": ("jeepney", "pip install 'smallwins[desktop]' (wheels only: nothing to build)"),
    "dbus": ("dbus-python", WHEEL_ONLY),
    "kde": ("dbus-python", WHEEL_ONLY),
    "qt": ("dbus-python", WHEEL_ONLY),
    "glib": ("PyGObject", WHEEL_ONLY),
    "gio": ("PyGObject", WHEEL_ONLY),
    "gnome": ("PyGObject", WHEEL_ONLY),
}


def quiet_library_loggers() -> None:
    """Apprise and urllib3 log URLs and payloads at DEBUG; their lines never reach our logs.

    Apprise's own lines stay on (not propagated), down to DEBUG: each send's result carries
    them, and that is where a failure's reason, and whether it is certain, come from."""
    for name in ("apprise", "urllib3", "requests"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG if name == "apprise" else logging.WARNING)
        logger.propagate = False
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())


# What Apprise logs when the endpoint certainly did not take the message: it answered with an
# HTTP error, or no connection was made. Anything else (a read timeout, a reset) may have
# reached it.
CERTAIN_FAILURE = re.compile(
    r"error=\d{3}|NewConnectionError|Connection refused|Failed to resolve|"
    r"Name or service not known|no desktop session bus|no notification daemon|"
    r"cannot reach the session bus"
)


@dataclass(frozen=True, slots=True)
class SendResult:
    """A send's outcome; ``unknown`` when it failed in a way the endpoint may have the message
    anyway (no answer in time), so that a retry must repeat it word for word."""

    ok: bool
    error: str | None = None
    unknown: bool = False


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else ""


def unusable_reason(url: str) -> tuple[str, bool]:
    """Why Apprise refused ``url``, with the fix, and whether the URL itself is wrong.

    A scheme Apprise does not know, or a known one written wrong, is wrong (a config error);
    a known scheme whose library is missing here is not: installing the library fixes it."""
    scheme = _scheme(url)
    if not scheme:
        return "not a URL: Apprise URLs look like scheme://..., e.g. ntfy://my-topic", True
    plugin = _plugin_for(scheme)
    if plugin is None:
        if scheme in ("http", "https"):
            return (
                f"Apprise knows no service at this {scheme}:// address; for a plain webhook "
                f"write json{scheme.removeprefix('http')}:// instead",
                True,
            )
        return f"Apprise knows no {scheme}:// URLs; check the scheme in the Apprise docs", True
    if not getattr(plugin, "enabled", True):
        if scheme in DESKTOP_SCHEMES:
            missing, fix = DESKTOP_SCHEMES[scheme]
            return f"{scheme}:// cannot load here: {missing} is missing; {fix}", False
        needs = getattr(plugin, "requirements", None) or {}
        if needs.get("packages_required"):
            fix = f"pip install '{needs['packages_required']}'"
        else:
            fix = str(needs.get("details") or "see the Apprise docs for what it needs")
        return f"{scheme}:// cannot load here: {fix}", False
    return f"Apprise does not accept this {scheme}:// URL; check it against the Apprise docs", True


def _plugin_for(scheme: str) -> Any:
    """Apprise's plugin class for ``scheme``, enabled or not; None when there is none."""
    from apprise.manager_plugins import NotificationManager

    try:
        return NotificationManager()[scheme]  # type: ignore[no-untyped-call]  # Apprise is untyped
    except KeyError:
        return None


def plugin_index(cache: Path | None) -> dict[str, str]:
    """Apprise's URL schemes and the plugin module of each, cached per Apprise version.

    Finding them means importing all of Apprise's ~470 plugin modules (16 MiB, 100 ms), so it
    is done once in a child process, and the daemon imports only the modules it uses.
    """
    from importlib.metadata import version

    path = cache / f"apprise-plugins-{version('apprise')}.json" if cache else None
    if path is not None and path.exists():
        try:
            index: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
            return index
        except (OSError, ValueError):
            pass  # rebuilt below
    code = (
        "import json\nfrom apprise.manager_plugins import NotificationManager\n"
        "m = NotificationManager()\nm.load_modules()\n"
        "print(json.dumps({s: c.__module__.split('.')[2] for s, c in m._schema_map.items()}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        return {}
    index = json.loads(done.stdout)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(index), encoding="utf-8")
    return index


def load_only(schemes: set[str], cache: Path | None) -> bool:
    """Load just the Apprise plugins for ``schemes``; False (and Apprise loads them all, as
    usual) when one is unknown, as a native https:// webhook URL is."""
    if not schemes:
        return False  # nothing to send through Apprise: neither import it nor index it
    from apprise.manager_plugins import NotificationManager

    manager = NotificationManager()  # type: ignore[no-untyped-call]  # Apprise is untyped
    # Smallwins's own schemes are registered by _apprise(), and Apprise's index lacks them.
    schemes = schemes - OWN_SCHEMES
    if manager:
        # Loaded already, in part (for other targets: a reload that adds a target of a new
        # scheme) or in full: Apprise would not load the rest by itself, so load what is new.
        schemes = {scheme for scheme in schemes if scheme not in manager}
        if not schemes:
            return True
    try:
        index = plugin_index(cache) if schemes else {}
        if not schemes <= set(index):
            return False
        with tempfile.TemporaryDirectory() as folder:
            # Apprise imports apprise.plugins.NAME for each NAME it finds in the folder (none
            # at all for desktop:// alone, which still marks Apprise's plugins as loaded).
            for module in {index[scheme] for scheme in schemes}:
                (Path(folder) / f"{module}.py").touch()
            manager.load_modules(path=folder, name="apprise.plugins")  # type: ignore[no-untyped-call]
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        log.debug("loading only some Apprise plugins failed (%r); loading all", exc)
        return False
    return True


def _apprise(url: str, storage: Path | None) -> tuple[Any, tuple[str, bool] | None]:
    import apprise

    # No time limit and no thread pool of Apprise's: a send runs on the caller's thread, one
    # that cannot hold up the process's exit, and the caller's deadline is the time limit.
    asset = apprise.AppriseAsset(
        app_id="smallwins",
        app_desc="smallwins",
        storage_path=str(storage) if storage else None,
        storage_mode="auto" if storage else "memory",
        service_timeout=0,
        async_mode=False,
    )
    ap = apprise.Apprise(asset=asset)
    if _scheme(url) in OWN_SCHEMES:
        from smallwins.delivery.desktop import register

        register()
    if not ap.add(url):
        return None, unusable_reason(url)
    return ap, None


def _attachment(png: bytes) -> Any:
    """A PNG as an Apprise attachment held in memory: nothing written to disk to clean up."""
    from apprise import AppriseAttachment
    from apprise.attachment.memory import AttachMemory

    files = AppriseAttachment()
    memory = AttachMemory(content=png, name="week.png", mimetype="image/png")  # type: ignore[no-untyped-call]  # Apprise is untyped
    files.add(memory)
    return files


def _outcome(result: Any) -> SendResult:
    if bool(result):
        return SendResult(True)
    errors = []
    certain = False
    for service in result:
        for entry in service.logs():
            text = str(entry.message)
            certain = certain or CERTAIN_FAILURE.search(text) is not None
            level = entry.level
            if isinstance(level, str):  # Apprise 2.x gives the level's name
                level = logging.getLevelName(level)
            if isinstance(level, int) and level >= logging.WARNING:
                errors.append(text)
    status = getattr(result.status, "name", str(result.status)).lower()
    text = errors[-1] if errors else status
    return SendResult(False, REDACTOR.redact(text)[:300], unknown=not certain)


def _within(seconds: float, send: Callable[[], Any]) -> tuple[bool, Any]:
    """Run ``send`` on a daemon thread and wait at most ``seconds``: (finished, its result).

    A send that does not finish is left to itself: being a daemon thread, it cannot keep the
    process alive, and it touches nothing but its own endpoint."""
    done = threading.Event()
    box: list[Any] = []

    def run() -> None:
        try:
            box.append(send())
        except Exception as exc:  # an Apprise plugin bug: one failed attempt, not a crash
            box.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="smallwins-apprise", daemon=True).start()
    if not done.wait(seconds):
        return False, None
    return True, box[0]


def send_one(
    url: str, title: str, body: str, notify_type: str, *, timeout: float = 30.0
) -> tuple[bool, str | None]:
    """Send one message to one URL now; returns (ok, error)."""
    quiet_library_loggers()
    register_url(url)
    ap, refused = _apprise(url, None)
    if ap is None:
        return False, refused[0] if refused else None
    title, body = shown(title), shown(body)
    finished, result = _within(
        timeout, lambda: ap.notify(body=body, title=title, notify_type=notify_type)
    )
    if not finished:
        return False, f"no answer in {timeout:g} s"
    if isinstance(result, Exception):
        return False, f"sending raised {type(result).__name__}"
    outcome = _outcome(result)
    return outcome.ok, outcome.error


class Notifier:
    """The configured targets, each with its Apprise object built once (a slow first add)."""

    def __init__(
        self,
        targets: tuple[Target, ...],
        *,
        storage: Path | None = None,
        timeout: float = 30.0,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        quiet_library_loggers()
        self.targets = {t.name: t for t in targets}
        self.timeout = timeout
        self._storage = storage
        self._apprise: dict[str, Any] = {}
        # Targets whose URL is wrong, not just unusable here: a config error.
        self.invalid: set[str] = set()
        self._echo = echo or (lambda line: print(line, file=sys.stdout, flush=True))
        for target in targets:
            register_url(target.url.get_secret_value())

    @property
    def names(self) -> list[str]:
        return list(self.targets) or [TERMINAL]

    @property
    def shared(self) -> list[str]:
        """Targets of scope ``shared``: on a shared ledger, told to by the lead alone."""
        return [name for name, target in self.targets.items() if target.reach == "shared"]

    def names_for(self, category: str, scope: str | None = None) -> list[str]:
        """Targets that take a moment of ``category`` (and are of ``scope``, when given);
        the terminal, which is local, when none is configured."""
        if not self.targets:
            return [TERMINAL] if scope in (None, "local") else []
        return [
            name
            for name, target in self.targets.items()
            if target.wants(category) and scope in (None, target.reach)
        ]

    def targets_for(self, moment: Moment, *, shared_ledger: bool) -> list[str]:
        """The targets a moment goes to. On a shared ledger, a machine's own moments go to
        its local targets, and the person's to the shared ones, which the lead tells."""
        if not moment.deliver:
            return []
        if not shared_ledger:
            return self.names_for(moment.category)
        return self.names_for(moment.category, "local" if moment.of_machine else "shared")

    def prepare(self) -> dict[str, str]:
        """Build every target's Apprise object now; returns the targets that cannot load.

        Those whose URL is wrong (not only unusable here) are also in ``invalid``."""
        if not self.targets:
            return {}  # the terminal only: Apprise is not imported
        schemes = {_scheme(t.url.get_secret_value()) for t in self.targets.values()}
        load_only(schemes, self._storage)
        problems = {}
        for name, target in self.targets.items():
            if name in self._apprise:
                continue
            ap, refused = _apprise(target.url.get_secret_value(), self._storage)
            if ap is None:
                problems[name], wrong = refused or ("cannot load", True)
                if wrong:
                    self.invalid.add(name)
            else:
                self._apprise[name] = ap
        return problems

    def alert(self, title: str, body: str) -> None:
        """Send a ``system`` message to the targets tagged so, each on a thread of its own, and
        return at once: for a problem that the outbox cannot hold. Not retried."""
        for name in self.names_for("system"):
            if name != TERMINAL:
                threading.Thread(
                    target=self.send,
                    args=(name, title, body, "warning"),
                    name="smallwins-alert",
                    daemon=True,
                ).start()

    def takes_pictures(self, name: str) -> bool:
        """Whether the target wants pictures and its service can carry a file (ntfy, email,
        Telegram, Matrix, Discord, json:// ...); the others get the words alone."""
        target = self.targets.get(name)
        if target is None or not target.pictures:
            return False
        if name not in self._apprise and name in self.prepare():
            return False
        return all(getattr(service, "attachment_support", False) for service in self._apprise[name])

    def send(
        self, name: str, title: str, body: str, notify_type: str, *, attach: bytes | None = None
    ) -> SendResult:
        """Send to one target; blocking (run it off the event loop). ``attach`` is a PNG to
        send with the words, for a target that ``takes_pictures``.

        Every message leaves through here: its control characters are written out, so a
        commit subject's ESC or BEL reaches no terminal and no notification daemon."""
        title, body = shown(title), shown(body)
        if name == TERMINAL:
            self._echo(f"{title}\n  {body}")
            return SendResult(True)
        if name not in self.targets:
            return SendResult(False, "no such target in the config")
        if name not in self._apprise:
            problems = self.prepare()
            if name in problems:
                return SendResult(False, problems[name])
        ap = self._apprise[name]
        files = _attachment(attach) if attach is not None else None
        finished, result = _within(
            self.timeout,
            lambda: ap.notify(
                body=body, title=title, notify_type=notify_type, attach=files, log_level="DEBUG"
            ),
        )
        if not finished:
            return SendResult(False, f"no answer in {self.timeout:g} s", unknown=True)
        if isinstance(result, Exception):
            return SendResult(False, f"sending raised {type(result).__name__}", unknown=True)
        return _outcome(result)
