"""The git detector against real repositories made with the git command."""

from __future__ import annotations

import fcntl
import io
import json
import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pydantic
import pytest
import smallwins_plugins.git.log as git_log
from smallwins_plugins.git import (
    GitDetector,
    GitOptions,
    default_email,
    find_repository,
    register_detectors,
)

from smallwins import Detector, DetectorError, ScanContext
from smallwins.testing import ScanResult, run_scan
from tests.plugins.conftest import ME, OTHER, GitRepo

MakeRepo = Callable[..., GitRepo]


def detector(*repos: Path | str, **options: Any) -> GitDetector:
    return GitDetector("code", GitOptions(repos=[str(r) for r in repos], **options))


def scan(det: GitDetector, cursor: Any = None) -> ScanResult:
    result = run_scan(det, ScanContext(source="code", cursor=cursor, timezone=ZoneInfo("UTC")))
    assert not result.junk
    # The ledger stores the cursor as JSON: prove it survives the trip.
    result.cursor = json.loads(json.dumps(result.cursor))
    return result


def keys(result: ScanResult) -> set[str]:
    return {win.key for win in result.wins}


def test_first_scan_finds_my_commits_and_skips_others_and_merges(project: GitRepo) -> None:
    mine = project.commit("Add the ledger", date="2024-05-01T10:00:00+02:00")
    project.commit("Their work", author=OTHER)
    project.git("checkout", "-q", "-b", "feature")
    on_feature = project.commit("Feature work")
    project.git("checkout", "-q", "main")
    also_mine = project.commit("Fix a typo")
    project.git("merge", "-q", "--no-ff", "-m", "Merge feature", "feature")

    result = scan(detector(project.path))

    assert keys(result) == {mine, on_feature, also_mine}
    assert result.cursor_saved
    assert not result.problems
    win = next(w for w in result.wins if w.key == mine)
    assert win.kind == "commit"
    assert win.title == "Add the ledger"
    assert win.occurred_at == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert win.occurred_at.utcoffset() == timedelta(hours=2)
    assert (win.value, win.unit) == (1, "")
    assert win.tags == ("project", "git")
    assert win.history
    assert win.details["repo"] == str(project.path)
    assert win.details["repo_name"] == "project"
    assert win.details["branch"] in ("main", "feature")
    assert win.details["sha"] == mine
    assert win.details["author_email"] == ME
    assert win.details["parents"] == 0
    assert datetime.fromisoformat(win.details["committed_at"]).utcoffset() is not None
    assert next(w for w in result.wins if w.key == also_mine).details["branch"] == "main"


def test_rescan_adds_nothing_and_costs_one_git_command(
    project: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.commit()
    det = detector(project.path)
    first = scan(det)
    commands: list[list[str]] = []

    class CountingPopen(subprocess.Popen[bytes]):
        def __init__(self, args: list[str], **kwargs: Any) -> None:
            commands.append(args)
            super().__init__(args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", CountingPopen)
    again = scan(det, first.cursor)

    assert again.wins == []
    assert again.cursor == first.cursor
    assert [args[args.index(str(project.path)) + 1] for args in commands] == ["show-ref"]


def test_a_new_commit_costs_two_git_commands(
    project: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.commit()
    det = detector(project.path, authors=[ME])
    first = scan(det)
    new = project.commit("Second thought")
    commands: list[list[str]] = []

    class CountingPopen(subprocess.Popen[bytes]):
        def __init__(self, args: list[str], **kwargs: Any) -> None:
            commands.append(args)
            super().__init__(args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", CountingPopen)
    result = scan(det, first.cursor)

    assert keys(result) == {new}
    assert [args[args.index(str(project.path)) + 1] for args in commands] == ["show-ref", "log"]


def test_new_commit_is_news(project: GitRepo) -> None:
    project.commit()
    det = detector(project.path)
    first = scan(det)
    new = project.commit("Second thought")

    result = scan(det, first.cursor)

    assert [(w.key, w.title, w.history) for w in result.wins] == [(new, "Second thought", False)]
    assert scan(det, result.cursor).wins == []


def test_amend_is_a_new_win(project: GitRepo) -> None:
    project.commit("Draft")
    det = detector(project.path)
    first = scan(det)
    project.git("commit", "-q", "--amend", "-m", "Final")

    result = scan(det, first.cursor)

    assert [(w.key, w.title) for w in result.wins] == [(project.head(), "Final")]


def test_rebase_yields_the_rewritten_commits(project: GitRepo) -> None:
    project.commit("Base")
    project.git("checkout", "-q", "-b", "feature")
    project.commit("One")
    project.commit("Two")
    project.git("checkout", "-q", "main")
    upstream = project.commit("Upstream")
    det = detector(project.path)
    first = scan(det)

    project.git("checkout", "-q", "feature")
    project.git("rebase", "-q", "main")
    result = scan(det, first.cursor)

    assert sorted(w.title for w in result.wins) == ["One", "Two"]
    assert project.head("HEAD~2") == upstream
    assert keys(result) == {project.head(), project.head("HEAD~1")}
    assert all(not w.history for w in result.wins)


@pytest.mark.parametrize("include_merges", [False, True])
def test_merges_count_only_when_asked(project: GitRepo, include_merges: bool) -> None:
    project.commit()
    det = detector(project.path, include_merges=include_merges)
    first = scan(det)
    project.git("checkout", "-q", "-b", "feature")
    feature = project.commit()
    project.git("checkout", "-q", "main")
    main = project.commit()
    project.git("merge", "-q", "--no-ff", "-m", "Merge feature", "feature")

    result = scan(det, first.cursor)

    merge = project.head()
    expected = {feature, main, merge} if include_merges else {feature, main}
    assert keys(result) == expected
    if include_merges:
        assert next(w for w in result.wins if w.key == merge).details["parents"] == 2


def test_cherry_pick_is_a_new_win(project: GitRepo) -> None:
    project.commit()
    project.git("checkout", "-q", "-b", "feature")
    picked = project.commit("Worth having twice")
    project.git("checkout", "-q", "main")
    project.commit("Meanwhile on main")
    det = detector(project.path)
    first = scan(det)

    project.git("cherry-pick", picked)
    result = scan(det, first.cursor)

    assert [(w.key, w.title) for w in result.wins] == [(project.head(), "Worth having twice")]
    assert project.head() != picked


def test_commits_on_a_branch_that_is_not_checked_out(project: GitRepo) -> None:
    project.commit()
    det = detector(project.path)
    first = scan(det)
    project.git("checkout", "-q", "-b", "side")
    side = project.commit("Side quest")
    project.git("checkout", "-q", "main")

    result = scan(det, first.cursor)

    assert [(w.key, w.details["branch"]) for w in result.wins] == [(side, "side")]


def test_commits_in_linked_worktrees(project: GitRepo, tmp_path: Path) -> None:
    project.commit()
    det = detector(project.path)
    first = scan(det)
    on_branch = GitRepo(tmp_path / "wt-branch")
    project.git("worktree", "add", "-q", "-b", "wt", str(on_branch.path))
    detached = GitRepo(tmp_path / "wt-detached")
    project.git("worktree", "add", "-q", "--detach", str(detached.path))

    branch_commit = on_branch.commit("In a worktree")
    detached_commit = detached.commit("Detached experiment")
    result = scan(det, first.cursor)

    assert {(w.key, w.details["branch"]) for w in result.wins} == {
        (branch_commit, "wt"),
        (detached_commit, "HEAD"),
    }
    assert scan(det, result.cursor).wins == []


def test_force_reset_to_an_older_commit_then_new_commits(project: GitRepo) -> None:
    project.commit()
    project.commit()
    project.commit()
    det = detector(project.path)
    first = scan(det)

    project.git("reset", "-q", "--hard", "HEAD~2")
    after_reset = scan(det, first.cursor)
    assert after_reset.wins == []
    new = project.commit("Start over")
    result = scan(det, after_reset.cursor)

    assert keys(result) == {new}


def test_deleted_and_garbage_collected_branch(project: GitRepo) -> None:
    project.commit()
    project.git("checkout", "-q", "-b", "doomed")
    project.commit("Abandoned")
    project.git("checkout", "-q", "main")
    det = detector(project.path)
    first = scan(det)

    project.git("branch", "-q", "-D", "doomed")
    project.git("reflog", "expire", "--expire=now", "--all")
    project.git("gc", "-q", "--prune=now")
    new = project.commit("Carry on")
    result = scan(det, first.cursor)

    assert keys(result) == {new}
    assert not result.problems


def test_latin1_commit_message_is_decoded(project: GitRepo) -> None:
    message = project.path.parent / "message.txt"
    message.write_bytes("Café für Müller".encode("iso-8859-1"))
    (project.path / "a.txt").write_text("a\n")
    project.git("add", "a.txt")
    project.git("-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "-F", str(message))
    assert "encoding ISO-8859-1" in project.git("cat-file", "commit", "HEAD")

    result = scan(detector(project.path))

    assert [w.title for w in result.wins] == ["Café für Müller"]


def test_invalid_utf8_is_replaced_not_fatal(project: GitRepo) -> None:
    # git commit would repair the message (it reads bad bytes as Latin-1), so write the object.
    tree = project.git("write-tree")
    raw = (
        f"tree {tree}\nauthor Me <{ME}> 1700000000 +0000\ncommitter Me <{ME}> 1700000000 +0000\n\n"
    ).encode() + b"Broken \xff bytes\n"
    sha = project.git("hash-object", "-t", "commit", "-w", "--stdin", input=raw)
    project.git("update-ref", "refs/heads/main", sha)

    result = scan(detector(project.path))

    assert [w.title for w in result.wins] == ["Broken \ufffd bytes"]


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(DetectorError, match=f"{missing}: does not exist"):
        scan(detector(missing))


def test_glob_matching_nothing_is_a_clear_error(src: Path) -> None:
    with pytest.raises(DetectorError, match=r"src/\*: matches no folder"):
        scan(detector(src / "*"))


def test_folder_that_is_not_a_repository(src: Path) -> None:
    plain = src / "notes"
    plain.mkdir()
    with pytest.raises(DetectorError, match=f"{plain}: is not a git repository"):
        scan(detector(plain))


def test_folder_inside_a_repository_names_the_repository(project: GitRepo) -> None:
    inner = project.path / "docs"
    inner.mkdir()
    with pytest.raises(DetectorError, match=f"inside the repository at {project.path}"):
        scan(detector(inner))


def test_bare_repository_is_refused(src: Path) -> None:
    subprocess.run(["git", "init", "-q", "--bare", str(src / "bare.git")], check=True)
    with pytest.raises(DetectorError, match="without a work tree"):
        scan(detector(src / "bare.git"))


def test_glob_with_two_repositories_and_one_bad_folder(make_repo: MakeRepo, src: Path) -> None:
    first = make_repo("alpha").commit("Alpha")
    second = make_repo("beta").commit("Beta")
    (src / "junk").mkdir()
    (src / "README").write_text("files beside the repositories are not repositories\n")

    result = scan(detector(src / "*"))

    assert keys(result) == {first, second}
    assert [str(p) for p in result.problems] == [
        f"{src / 'junk'}: is not a git repository (git init or git clone makes one)"
    ]
    assert {w.tags for w in result.wins} == {("alpha", "git"), ("beta", "git")}


def test_repository_that_appears_later_is_backfilled_as_history(
    make_repo: MakeRepo, src: Path
) -> None:
    alpha = make_repo("alpha")
    alpha.commit("Alpha")
    det = detector(src / "*")
    first = scan(det)

    beta = make_repo("beta")
    old = beta.commit("Beta")
    news = alpha.commit()
    result = scan(det, first.cursor)
    assert {(w.key, w.history) for w in result.wins} == {(old, True), (news, False)}

    later = beta.commit()
    assert [(w.key, w.history) for w in scan(det, result.cursor).wins] == [(later, False)]


def test_same_commit_in_two_clones_counts_once(project: GitRepo, src: Path) -> None:
    shared = project.commit()
    subprocess.run(["git", "clone", "-q", str(project.path), str(src / "clone")], check=True)

    result = scan(detector(src / "*", authors=[ME]))

    assert [w.key for w in result.wins] == [shared]


def test_authors_are_matched_without_case(project: GitRepo) -> None:
    mine = project.commit()
    theirs = project.commit(author=OTHER)
    project.commit(author="Third <third@example.com>")

    result = scan(detector(project.path, authors=["ME@Example.com", "other@EXAMPLE.com"]))

    assert keys(result) == {mine, theirs}


def test_missing_user_email_names_the_fix(project: GitRepo) -> None:
    project.commit()
    project.git("config", "--unset", "user.email")
    assert default_email(project.path) is None

    with pytest.raises(DetectorError, match=r"git config --global user\.email you@example\.com"):
        scan(detector(project.path))


def test_branches_filter(project: GitRepo) -> None:
    project.commit()
    project.git("checkout", "-q", "-b", "feature/x")
    wanted = project.commit()
    project.git("checkout", "-q", "-b", "spike")
    project.commit()
    project.git("checkout", "-q", "--detach")
    project.commit()

    result = scan(detector(project.path, branches=["feature/*"]))

    assert keys(result) == {project.head("main"), wanted}
    assert {w.details["branch"] for w in result.wins} == {"feature/x"}


def test_changing_what_counts_backfills_as_history(project: GitRepo) -> None:
    project.commit()
    project.git("checkout", "-q", "-b", "feature")
    project.commit()
    project.git("checkout", "-q", "main")
    project.commit()
    project.git("merge", "-q", "--no-ff", "-m", "Merge feature", "feature")
    first = scan(detector(project.path))

    result = scan(detector(project.path, include_merges=True), first.cursor)

    merge = project.head()
    assert merge in keys(result)
    assert all(w.history for w in result.wins)


def test_main_and_linked_worktree_are_one_repository(project: GitRepo, tmp_path: Path) -> None:
    project.commit()
    linked = tmp_path / "linked"
    project.git("worktree", "add", "-q", "-b", "other", str(linked))
    det = detector(project.path, linked)

    assert det.watch_paths() == [project.path / ".git"]
    assert len(scan(det).wins) == 1


def test_watch_paths_of_a_linked_worktree_is_the_common_dir(
    project: GitRepo, tmp_path: Path
) -> None:
    project.commit()
    linked = tmp_path / "linked"
    project.git("worktree", "add", "-q", "-b", "other", str(linked))

    assert detector(linked).watch_paths() == [project.path / ".git"]


@pytest.mark.parametrize(
    ("inside", "relevant"),
    [
        ("HEAD", True),
        ("ORIG_HEAD", True),
        ("packed-refs", True),
        ("refs/heads/main", True),
        ("refs/heads/feature/x", True),
        ("logs/HEAD", True),
        ("logs/refs/heads/main", True),
        ("worktrees/wt/HEAD", True),
        ("objects/ab/cdef0123", False),
        ("objects/pack/pack-1.pack", False),
        ("index", False),
        ("HEAD.lock", False),
        ("refs/heads/main.lock", False),
        ("packed-refs.lock", False),
        ("worktrees/wt/index", False),
        ("config", False),
        ("FETCH_HEAD", False),
        ("", False),
    ],
)
def test_is_relevant(project: GitRepo, inside: str, relevant: bool) -> None:
    det = detector(project.path)
    git_dir = det.watch_paths()[0]

    assert det.is_relevant(git_dir / inside) is relevant
    assert detector(project.path).is_relevant(git_dir / inside) is relevant


def test_is_relevant_ignores_work_tree_files(project: GitRepo) -> None:
    det = detector(project.path)
    det.watch_paths()
    assert not det.is_relevant(project.path / "refs" / "notes.txt")


def test_describe(make_repo: MakeRepo, src: Path, git_home: Path) -> None:
    make_repo("alpha")
    make_repo("beta")
    mine = git_home / "code" / "smallwins"
    mine.mkdir(parents=True)

    assert detector(mine).describe() == "~/code/smallwins"
    assert detector(src / "*").describe() == f"2 repositories in {src}"
    assert detector(src / "a*").describe() == str(src / "alpha")
    assert detector("~/none/*").describe() == "no repositories yet in ~/none/*"


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"repos": ["~/src"], "author": ["me@example.com"]}, "author"),
        ({"repos": ["~/src"], "include_merge": True}, "include_merge"),
        ({"repos": []}, "repos"),
        ({}, "repos"),
        ({"repos": ["  "]}, "repos"),
        ({"repos": ["~/src"], "authors": ["Me"]}, "not an email address"),
    ],
)
def test_options_are_checked(options: dict[str, Any], complaint: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=complaint):
        GitOptions(**options)


def test_options_accept_one_string_for_a_list() -> None:
    options = GitOptions.model_validate({"repos": "~/src/x", "authors": " Me@Example.com "})
    assert options.repos == ["~/src/x"]
    assert options.authors == ["me@example.com"]


def test_helpers_for_the_cli(project: GitRepo, src: Path) -> None:
    inner = project.path / "docs"
    inner.mkdir()
    (inner / "guide.md").write_text("hello\n")

    assert find_repository(inner / "guide.md") == project.path
    assert find_repository(inner) == project.path
    assert find_repository(src) is None
    assert default_email(project.path) == ME


def test_registers_the_detector() -> None:
    registered: list[type[Detector]] = []
    register_detectors(registered.append)
    assert registered == [GitDetector]
    assert (GitDetector.name, GitDetector.noun) == ("git", "commit")


def test_a_git_hook_environment_does_not_redirect_the_scan(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    alpha = make_repo("alpha")
    mine = alpha.commit("Alpha")
    beta = make_repo("beta")
    beta.commit("Beta")
    monkeypatch.setenv("GIT_DIR", str(beta.path / ".git"))

    assert keys(scan(detector(alpha.path))) == {mine}


def test_empty_repository_then_its_first_commit_is_news(project: GitRepo) -> None:
    det = detector(project.path)
    first = scan(det)
    assert first.wins == []
    assert not first.problems

    new = project.commit()
    assert [(w.key, w.history) for w in scan(det, first.cursor).wins] == [(new, False)]


def test_abandoned_scan_leaves_nothing_running(project: GitRepo) -> None:
    for _ in range(3):
        project.commit()
    wins = detector(project.path).scan(
        ScanContext(source="code", cursor=None, timezone=ZoneInfo("UTC"))
    )
    assert next(iter(wins)).kind == "commit"
    wins.close()


def test_records_split_across_reads_decode_as_each_record_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = [
        *(
            f"sha{n}\x1f\x1fme@x\x1fd\x1fd\x1fmain\x1f\u00e9t\u00e9 \u20ac{n} \U0001f600".encode()
            for n in range(3)
        ),
        b"1\x1f2\x1f3\x1f4\x1f5\x1f6\x1fbad \xff and cut \xe2\x82",  # a sequence cut by the NUL
        b"too\x1ffew",
        b"1\x1f2\x1f3\x1f4\x1f5\x1f6\x1fa subject \x1f with the separator",
    ]
    stream = b"".join(record + b"\0" for record in records) + b"left without its NUL"
    expected = [
        parts
        for record in records
        if len(parts := record.decode("utf-8", "replace").split("\x1f", 6)) == 7
    ]
    for size in (1, 2, 3, 5, 64, 1 << 16):
        monkeypatch.setattr(git_log, "READ_CHUNK", size)
        assert list(git_log.records(io.BytesIO(stream))) == expected
    assert len(expected) == 5 and expected[3][6] == "bad \ufffd and cut \ufffd"


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="pipe sizes are Linux's")
def test_git_gets_a_wide_pipe_to_write_ahead_into() -> None:
    read, write = os.pipe()
    with open(read, "rb") as pipe, open(write, "wb"):
        assert fcntl.fcntl(read, fcntl.F_GETPIPE_SZ) < git_log.PIPE_SIZE
        git_log.widen(pipe)
        assert fcntl.fcntl(read, fcntl.F_GETPIPE_SZ) == git_log.PIPE_SIZE


def test_a_scan_reports_the_commits_it_has_read(make_repo: MakeRepo) -> None:
    first, second = make_repo("one"), make_repo("two")
    for _ in range(3):
        first.commit("Mine")
    first.commit("Theirs", author=OTHER)
    second.commit("Mine too")
    context = ScanContext(source="code", cursor=None, timezone=ZoneInfo("UTC"))

    run_scan(detector(first.path, second.path), context)

    # The commits git log handed over (it leaves out other authors'), across repositories.
    assert (context.progress_done, context.progress_total, context.progress_unit) == (
        4,
        None,
        "commits",
    )
