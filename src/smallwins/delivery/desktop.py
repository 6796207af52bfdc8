"""``desktop://``: desktop notifications over the session's D-Bus, from wheels alone.

Apprise's own ``dbus://`` needs dbus-python, which has no wheels and is built against libdbus;
this one speaks D-Bus through jeepney (pure Python). It is an Apprise scheme like any other,
registered with Apprise only when a configured URL uses it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from typing import Any, ClassVar

from apprise import NotifyFormat, NotifyType
from apprise.manager_plugins import NotificationManager
from apprise.plugins.base import NotifyBase

SCHEME = "desktop"

# D-Bus's own default: a notification daemon that has not answered by then never will. The
# caller's send timeout is usually shorter and ends the wait first; this bounds the thread.
REPLY_SECONDS = 25.0
AUTH_SECONDS = 2.0
# Urgency 1 (normal): "critical" stays on screen until clicked away and is drawn as an alarm,
# wrong for a celebration and for a gentle note alike.
NORMAL_URGENCY = 1
# The notification daemon's own expiry, which is the person's setting, not ours.
SERVER_DEFAULT_EXPIRY = -1

_register_lock = threading.Lock()

# Apprise types its plugin attributes only in part (many as None); its plugins are written
# against the untyped reading, and so is this one.
_Base: Any = NotifyBase


def no_bus_reason() -> str | None:
    """Why this process has no session bus to send to, or None when it has one."""
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None
    where = {"darwin": " (on macOS use macosx://)", "win32": " (on Windows use windows://)"}
    return (
        "no desktop session bus here (DBUS_SESSION_BUS_ADDRESS is not set): run smallwins "
        "inside your graphical login, or as its systemd user service" + where.get(sys.platform, "")
    )


class NotifyDesktop(_Base):  # type: ignore[misc]  # see _Base
    """Apprise's view of ``desktop://``: one org.freedesktop.Notifications.Notify call."""

    service_name = "Desktop (smallwins)"
    service_url = "https://specifications.freedesktop.org/notification-spec/"
    secure_protocol = SCHEME
    enabled = importlib.util.find_spec("jeepney") is not None
    requirements: ClassVar[dict[str, str]] = {"packages_required": "jeepney"}
    # A local D-Bus call: Apprise's default throttle (5.5 s between sends) is for web services.
    request_rate_per_sec = 0
    notify_format = NotifyFormat.TEXT
    url_identifier = False
    templates = ("{schema}://",)

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        params = self.url_parameters(*args, privacy=privacy, **kwargs)
        query = f"?{self.urlencode(params)}" if params else ""
        return f"{SCHEME}://{query}"

    @staticmethod
    def parse_url(url: str) -> dict[str, Any] | None:
        # No host to check: desktop:// names this machine's session.
        results: dict[str, Any] | None = NotifyBase.parse_url(url, verify_host=False)
        return results

    def send(
        self, body: str, title: str = "", notify_type: NotifyType = NotifyType.INFO, **kwargs: Any
    ) -> bool:
        reason = no_bus_reason()
        if reason is None:
            reason = notify(self.app_id, title or body, body if title else "")
        if reason is None:
            self.logger.info("Sent desktop notification.")
            return True
        self.logger.warning(reason)
        return False


def notify(app: str, summary: str, body: str) -> str | None:
    """One Notify call on the session bus; None when it was shown, else why not."""
    from jeepney import DBusAddress, DBusErrorResponse, new_method_call
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import unwrap_msg

    notifications = DBusAddress(
        "/org/freedesktop/Notifications",
        bus_name="org.freedesktop.Notifications",
        interface="org.freedesktop.Notifications",
    )
    hints = {"urgency": ("y", NORMAL_URGENCY)}
    message = new_method_call(
        notifications,
        "Notify",
        "susssasa{sv}i",
        (app, 0, "", summary, body, [], hints, SERVER_DEFAULT_EXPIRY),
    )
    try:
        with open_dbus_connection(bus="SESSION", auth_timeout=AUTH_SECONDS) as connection:
            unwrap_msg(connection.send_and_get_reply(message, timeout=REPLY_SECONDS))
    except DBusErrorResponse as exc:
        if exc.name == "org.freedesktop.DBus.Error.ServiceUnknown":
            return "no notification daemon on the session bus: is your desktop's running?"
        return f"the notification daemon refused it: {exc.name}"
    except TimeoutError:
        return "no answer from the session bus or the notification daemon in time"
    except OSError as exc:  # a stale address: the socket is gone, or refuses
        address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
        return f"cannot reach the session bus at {address}: {exc.strerror or exc}"
    except (RuntimeError, ValueError) as exc:  # an address jeepney cannot read (tcp:, ...)
        return f"cannot reach the session bus: {exc}"
    return None


def register() -> None:
    """Make ``desktop://`` known to Apprise in this process (once)."""
    manager = NotificationManager()  # type: ignore[no-untyped-call]  # Apprise is untyped
    with _register_lock:
        if SCHEME not in manager:
            manager.add(plugin=NotifyDesktop, schemas=SCHEME)  # type: ignore[no-untyped-call]
