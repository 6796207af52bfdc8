"""What the PostgreSQL ledger promises beyond the contract: its URLs, its password, its
migrations shared by daemons that start at once, and one clear line when it cannot open."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from smallwins.errors import ConfigError
from smallwins.ledger import Ledger, LedgerNotFound, check_url, location, open_ledger, schemes
from smallwins.redact import REDACTOR
from tests import postgres
from tests.cli_run import smallwins
from tests.test_ledger import record, win


@pytest.fixture
def server() -> postgres.Server:
    return postgres.server()


@pytest.fixture
def kept(server: postgres.Server) -> str:
    """A fresh database that only ``keeper``, with its password, may open."""
    return postgres.fresh_database(owner=postgres.KEEPER)


def test_the_scheme_is_known_and_a_url_is_shown_without_its_password() -> None:
    assert "postgresql" in schemes()
    url = "postgresql+psycopg://me:s3cr%40t@db.home.arpa:6543/smallwins?sslmode=verify-full"
    assert check_url(url) == url
    assert location(url) == "postgresql://me@db.home.arpa:6543/smallwins"
    assert location("postgresql://me@[::1]/wins?password=s3cret") == "postgresql://me@[::1]/wins"
    assert location("postgresql:///wins") == "postgresql:///wins"
    with pytest.raises(ValueError, match="names its database"):
        location("postgresql://me@db.home.arpa")


def test_the_url_forms_open_the_same_ledger(server: postgres.Server) -> None:
    database = postgres.fresh_database()
    with open_ledger(server.url(database)) as ledger:
        record(ledger, [win("a")])
    plus = server.url(database).replace("postgresql://", "postgresql+psycopg://")
    with open_ledger(plus + "?sslmode=disable&connect_timeout=5", readonly=True) as reader:
        assert [w.key for w in reader.wins()] == ["a"]
        assert reader.location == server.url(database)


def test_a_password_opens_it_and_never_shows(
    server: postgres.Server, kept: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    password = postgres.KEEPER_PASSWORD
    url = server.url(kept, postgres.KEEPER, password.replace(" ", "%20"))
    with open_ledger(url) as ledger:
        record(ledger, [win("a")])
        assert password not in ledger.location and "%20" not in ledger.location
        assert ledger.location == server.url(kept, postgres.KEEPER)
    logger = logging.getLogger("smallwins.test")
    logger.addFilter(REDACTOR)
    try:
        with caplog.at_level(logging.INFO, "smallwins.test"):
            logger.info("opened with %s", password)
    finally:
        logger.removeFilter(REDACTOR)
    assert password not in caplog.text
    # From a file that holds the password alone, as a service manager mounts a secret.
    secret = tmp_path / "ledger-password"
    secret.write_text(password + "\n")
    from_file = f"{server.url(kept, postgres.KEEPER)}?password_file={secret}"
    assert location(from_file) == server.url(kept, postgres.KEEPER)
    with open_ledger(from_file, readonly=True) as reader:
        assert reader.count_wins() == 1


def test_the_password_may_come_from_the_environment(
    server: postgres.Server, kept: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="refused the connection"):
        open_ledger(server.url(kept, postgres.KEEPER))
    monkeypatch.setenv("PGPASSWORD", postgres.KEEPER_PASSWORD)
    with open_ledger(server.url(kept, postgres.KEEPER)) as ledger:
        assert ledger.count_wins() == 0


def test_ledgers_opening_a_fresh_database_at_once_migrate_it_once(
    server: postgres.Server,
) -> None:
    url = server.url(postgres.fresh_database())
    with pytest.raises(LedgerNotFound):
        open_ledger(url, readonly=True)
    start = threading.Barrier(4)
    opened: list[Ledger] = []
    problems: list[BaseException] = []

    def open_at_once() -> None:
        try:
            start.wait(10)
            opened.append(open_ledger(url))
        except BaseException as exc:  # reported below, in the test's thread
            problems.append(exc)

    threads = [threading.Thread(target=open_at_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not problems
    assert len(opened) == 4
    from smallwins.ledger.backends.postgresql.schema import MIGRATIONS

    assert {ledger.schema_version for ledger in opened} == {len(MIGRATIONS)}
    for number, ledger in enumerate(opened):
        record(ledger, [win("same"), win(f"own{number}")])
    assert opened[0].count_wins() == 5
    for ledger in opened:
        ledger.close()
    import psycopg

    with psycopg.connect(url) as db:
        versions = db.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert versions == [(n,) for n in range(1, len(MIGRATIONS) + 1)]


def _cli_with_ledger(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(f'[ledger]\nurl = "{url}"\n')
    env = {**os.environ, "SMALLWINS_HOME": str(home), "HOME": str(tmp_path)}
    env.pop("PGPASSWORD", None)
    env.pop("SMALLWINS_CONFIG", None)
    return smallwins(*args, env=env)


@pytest.mark.parametrize("command", [("wins",), ("status",), ("run", "--once")])
def test_a_wrong_password_is_one_line_and_exit_78(
    server: postgres.Server, kept: str, tmp_path: Path, command: tuple[str, ...]
) -> None:
    url = server.url(kept, postgres.KEEPER, "wrong-password")
    done = _cli_with_ledger(tmp_path, url, *command)
    assert done.returncode == 78, done.stderr
    assert "Traceback" not in done.stderr
    assert "wrong-password" not in done.stderr + done.stdout
    assert f'password authentication failed for user "{postgres.KEEPER}"' in done.stderr
    assert server.url(kept, postgres.KEEPER) in done.stderr


def test_a_missing_database_is_one_line_and_exit_78(
    server: postgres.Server, tmp_path: Path
) -> None:
    done = _cli_with_ledger(tmp_path, server.url("no_such_ledger"), "wins")
    assert done.returncode == 78, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"smallwins: the ledger {server.url('no_such_ledger')} refused the connection:"
        ' database "no_such_ledger" does not exist. Check the user and database in'
        " [ledger] url, and the password (PGPASSWORD, ~/.pgpass or ?password_file=)"
    ]


def test_a_ledger_newer_than_this_smallwins_is_one_line_and_exit_78(
    server: postgres.Server, tmp_path: Path
) -> None:
    import psycopg

    from smallwins.ledger.backends.postgresql.schema import MIGRATIONS

    url = server.url(postgres.fresh_database())
    open_ledger(url).close()
    with psycopg.connect(url, autocommit=True) as db:  # as a newer smallwins leaves it
        db.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (len(MIGRATIONS) + 1,))
    done = _cli_with_ledger(tmp_path, url, "run", "--once")
    assert done.returncode == 78, done.stderr
    assert "Traceback" not in done.stderr
    assert (
        f"the ledger's schema is version {len(MIGRATIONS) + 1}, newer than this smallwins knows"
        f" ({len(MIGRATIONS)}): upgrade smallwins on this machine" in done.stderr
    )


def test_a_server_that_does_not_answer_is_one_line(tmp_path: Path) -> None:
    with socket_port() as port:
        done = _cli_with_ledger(tmp_path, f"postgresql://me@127.0.0.1:{port}/wins", "wins")
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"smallwins: the ledger postgresql://me@127.0.0.1:{port}/wins cannot")


def test_without_the_driver_the_error_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from smallwins.errors import ConfigError\n"
        "from smallwins.ledger import open_ledger\n"
        "try:\n"
        "    open_ledger('postgresql://me@127.0.0.1:1/wins')\n"
        "except ConfigError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pip install 'smallwins[postgresql]'" in done.stdout


class socket_port:
    """A port on 127.0.0.1 that nothing listens on, while the block runs."""

    def __enter__(self) -> int:
        import socket

        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        return int(self._socket.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self._socket.close()


def test_a_machine_joins_once_at_a_time(server: postgres.Server) -> None:
    url = server.url(postgres.fresh_database())
    with open_ledger(url) as first, open_ledger(url) as copy:
        assert first.join("m-one", "laptop")
        assert not copy.join("m-one", "laptop")  # the same state folder on another host
        assert copy.machine == ""
        assert copy.join("m-two", "desktop")
    with open_ledger(url) as again:  # the first one's connection is gone, and its lock
        assert again.join("m-one", "laptop")


def test_cursors_kept_before_machines_go_to_the_first_machine(server: postgres.Server) -> None:
    import psycopg

    from smallwins.ledger.backends.postgresql.schema import MIGRATIONS

    url = server.url(postgres.fresh_database())
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        db.execute(MIGRATIONS[0].encode())
        db.execute("INSERT INTO schema_migrations (version) VALUES (1)")
        db.execute("INSERT INTO cursors VALUES ('code', 'git', '{\"at\": 1}', 0)")
    with open_ledger(url) as first:
        assert first.schema_version == len(MIGRATIONS)
        first.join("m-one", "laptop")
        assert first.cursor("code") == {"at": 1}
    with open_ledger(url) as second:
        second.join("m-two", "desktop")
        assert second.cursor("code") is None


def test_the_lead_is_one_machine_until_its_lease_runs_out(server: postgres.Server) -> None:
    url = server.url(postgres.fresh_database())
    with open_ledger(url) as one, open_ledger(url) as two:
        one.join("m-one", "laptop")
        two.join("m-two", "desktop")
        assert one.heartbeat(0.5)
        assert not two.heartbeat(0.5)
        assert one.lead() == two.lead() == "m-one"
        time.sleep(0.6)
        assert two.lead() is None
        assert two.heartbeat(30)
        assert not one.heartbeat(30)  # a lead that came back late follows
        assert one.lead() == "m-two"
    with open_ledger(url) as three:
        # A clean stop gives the lead up at once.
        assert three.lead() is None


def test_each_machine_tells_its_own_moments_and_the_lead_the_persons(
    server: postgres.Server,
) -> None:
    from datetime import UTC, datetime

    from tests.test_ledger import moment

    url = server.url(postgres.fresh_database())
    now = datetime.now(UTC)
    with open_ledger(url) as one, open_ledger(url) as two:
        one.join("m-one", "laptop")
        two.join("m-two", "desktop")
        assert one.heartbeat(0.5)
        assert one.add_moment(moment("best", kind="personal_best", at=now), ["phone"])
        assert two.add_moment(moment("win", kind="celebration", at=now), ["desk"])
        targets, shared = ["phone", "desk"], ["phone"]
        (mine,) = one.due(now, targets, shared=shared)
        assert (mine.target, mine.moment.kind) == ("phone", "personal_best")
        (own,) = two.due(now, targets, shared=shared)
        assert (own.target, own.moment.kind) == ("desk", "celebration")
        assert two.next_due(["phone"], shared=shared) is None  # no busy wake-ups
        time.sleep(0.6)
        # The lease ran out: the lead that was claims nothing more (fencing).
        assert one.freeze([mine.outbox_id], "phone", **_words(), shared=True) is None
        assert two.heartbeat(30)
        (taken,) = two.due(now, targets[:1], shared=shared)
        assert two.freeze([taken.outbox_id], "phone", **_words(), shared=True) is not None
        # A row is claimed once, whoever asks.
        assert one.freeze([taken.outbox_id], "phone", **_words()) is None
        assert two.freeze([own.outbox_id], "desk", **_words()) is not None
        assert [s.target for s in two.frozen(now, targets, shared=shared)] == ["phone", "desk"]
        assert one.frozen(now, targets, shared=shared) == []


def _words() -> dict[str, str]:
    return {"kind": "k", "category": "celebration", "title": "t", "body": "b"}


def test_a_silent_server_is_noticed_by_keepalives_unless_the_url_says_otherwise(
    server: postgres.Server,
) -> None:
    url = server.url(postgres.fresh_database())
    with open_ledger(url) as ledger:
        given = ledger._db.info.get_parameters()  # type: ignore[attr-defined]
        assert (given["keepalives"], given["tcp_user_timeout"]) == ("1", "30000")
        # The server's side of the connection too: a client cut off is let go within a minute.
        server_side = ledger._db.execute("SHOW tcp_keepalives_idle").fetchone()  # type: ignore[attr-defined]
        assert server_side == ("10",)
    with open_ledger(f"{url}?keepalives_idle=99") as ledger:
        assert ledger._db.info.get_parameters()["keepalives_idle"] == "99"  # type: ignore[attr-defined]


class SilentProxy:
    """A TCP proxy to the server that can go silent: it keeps the connections open (so the
    client's keepalives are answered) but forwards nothing more, as a network that drops a
    machine's packets without a reset."""

    def __init__(self, port: int) -> None:
        self.upstream = port
        self.silent = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream))
            self.sockets += [client, server]
            for one, other in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(one, other), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            if not self.silent.is_set():
                sink.sendall(data)

    def close(self) -> None:
        for each in self.sockets:
            # shutdown, not only close: it wakes the threads blocked reading, and resets.
            with contextlib.suppress(OSError):
                each.shutdown(socket.SHUT_RDWR)
            each.close()


def test_a_lead_cut_off_silently_tells_nothing_and_another_takes_over(
    server: postgres.Server,
) -> None:
    from datetime import UTC, datetime

    from tests.test_ledger import moment

    url = server.url(postgres.fresh_database())
    proxy = SilentProxy(server.port)
    now = datetime.now(UTC)
    cut_off = open_ledger(url.replace(f":{server.port}/", f":{proxy.port}/"))
    try:
        with open_ledger(url) as other:
            cut_off.join("m-one", "laptop")
            other.join("m-two", "desktop")
            assert cut_off.heartbeat(1)
            cut_off.add_moment(moment("best", kind="personal_best", at=now), ["phone"])
            (row,) = cut_off.due(now, ["phone"], shared=["phone"])
            proxy.silent.set()
            claims: list[object] = []

            def claim() -> None:
                try:
                    claims.append(cut_off.freeze([row.outbox_id], "phone", **_words(), shared=True))
                except Exception as exc:  # the connection closed under it, below
                    claims.append(exc)

            thread = threading.Thread(target=claim, daemon=True)
            thread.start()
            time.sleep(1.2)
            assert claims == []  # waiting for a server that says nothing
            assert other.heartbeat(30) and other.lead() == "m-two"
            (taken,) = other.due(now, ["phone"], shared=["phone"])
            assert other.freeze([taken.outbox_id], "phone", **_words(), shared=True)
            proxy.close()
            thread.join(10)
            assert claims and not isinstance(claims[0], int)
            assert other.outbox_counts() == {"pending": 1, "failed": 0}  # frozen once, by m-two
            assert [s.target for s in other.frozen(now, ["phone"], shared=["phone"])] == ["phone"]
    finally:
        proxy.close()
        with contextlib.suppress(Exception):
            cut_off.close()


def test_a_server_that_went_away_is_one_error_and_the_next_call_after_it_returns_connects(
    own_server: postgres.Server,
) -> None:
    from smallwins.ledger import LedgerUnreachable
    from smallwins.ledger.backends.postgresql import connection

    url = own_server.url("postgres")
    with open_ledger(url) as ledger:
        assert ledger.join("m-one", "laptop") and ledger.heartbeat(30)
        assert record(ledger, [win("a")], {"at": 1}) == ["a"]
        own_server.stop()
        with pytest.raises(LedgerUnreachable, match="went away"):
            ledger.cursor("code")
        with pytest.raises(LedgerUnreachable, match="cannot be reached"):
            record(ledger, [win("b")], {"at": 2})
        with pytest.raises(LedgerUnreachable, match="cannot be reached"):
            ledger.heartbeat(30)
        own_server.start()
        time.sleep(connection.RETRY_SECONDS)
        assert ledger.cursor("code") == {"at": 1}
        assert record(ledger, [win("a"), win("b")], {"at": 2}) == ["b"]
        assert ledger.heartbeat(30) and ledger.lead() == "m-one"  # the lease had not run out
        with open_ledger(url) as copy:  # the machine's lock was taken again with the connection
            assert not copy.join("m-one", "laptop")


def test_a_server_crashing_mid_transaction_rolls_it_back_and_it_is_recorded_once_after(
    own_server: postgres.Server,
) -> None:
    from datetime import time as dtime

    from smallwins.ledger import LedgerUnreachable, LedgerView
    from smallwins.ledger.backends.postgresql import connection
    from tests.test_ledger import ZONE, moment

    url = own_server.url("postgres")

    def crash(view: LedgerView, new: object) -> list[object]:
        own_server.stop()  # pg_ctl stop -m immediate: the server's processes killed
        return [moment("ten")]

    def told(view: LedgerView, new: object) -> list[object]:
        return [moment("ten")]

    def record_ab(moments_for: object) -> list[str]:
        new = ledger.record(
            "code",
            "git",
            [win("a"), win("b")],
            {"at": 2},
            zone=ZONE,
            day_starts_at=dtime(4),
            moments_for=moments_for,  # type: ignore[arg-type]
            targets_for=lambda _m: ["phone"],
        )
        return [w.key for w in new]

    with open_ledger(url) as ledger:
        ledger.join("m-one", "laptop")
        with pytest.raises(LedgerUnreachable):
            record_ab(crash)
        own_server.start()
        time.sleep(connection.RETRY_SECONDS)
        assert ledger.count_wins() == 0 and ledger.cursor("code") is None
        assert record_ab(told) == ["a", "b"]
        assert record_ab(told) == []
        assert ledger.count_wins() == 2 and ledger.cursor("code") == {"at": 2}
        assert ledger.outbox_counts() == {"pending": 1, "failed": 0}
