"""The progress store: SQLite under ``$MLQUIZ_HOME`` (else the platform's user data folder, see paths.py).

Every answer is one transaction, committed the moment it is given, so Ctrl-C, the end of input or
a killed process lose nothing already answered. WAL mode and ``BEGIN IMMEDIATE`` let two
sessions write at once: each review reads and updates its card inside its own transaction. A
database we cannot read is reported with its path and never overwritten, moved or deleted.
Schema changes are numbered migrations recorded in ``_mlquiz_migrations``.
"""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from mlquiz.errors import StoreError
from mlquiz.i18n import _
from mlquiz.paths import DB_NAME, data_dir, legacy_data_dir, migrate_legacy_store
BUSY_TIMEOUT_MS = 10_000  # another session's write takes milliseconds; wait rather than fail


def default_path(*, save: bool = True) -> Path:
    """The store's path; a read-only run reads a legacy store that no saving run has moved yet."""
    path = data_dir() / DB_NAME
    if not save and not path.exists():
        old = legacy_data_dir()
        if old is not None and (old / DB_NAME).is_file():
            return old / DB_NAME
    return path


# ----- migrations: append new ones; never edit one that has shipped
def _run_script(db: sqlite3.Connection, script: str) -> None:
    # not executescript(): it commits first, which would break the migration's transaction
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def m001_initial(db: sqlite3.Connection) -> None:
    _run_script(
        db,
        """
        CREATE TABLE cards (
            question_id TEXT PRIMARY KEY,
            topic TEXT NOT NULL,
            card TEXT NOT NULL,          -- fsrs Card as JSON
            due TEXT NOT NULL,           -- ISO UTC, copied out of card for indexing
            updated_at TEXT NOT NULL
        );
        CREATE INDEX cards_due ON cards(due);
        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            question_id TEXT NOT NULL,
            topic TEXT NOT NULL,
            variant INTEGER NOT NULL DEFAULT 0,
            rating INTEGER NOT NULL,     -- 1 again, 2 hard, 3 good, 4 easy
            correct INTEGER,             -- 1/0 for graded questions, NULL for self-rated recall
            response TEXT,
            reviewed_at TEXT NOT NULL,   -- ISO UTC
            duration_ms INTEGER,
            session TEXT,
            card_before TEXT,            -- the card before this review, so a grading can be overruled
            overruled INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX reviews_question ON reviews(question_id, reviewed_at);
        CREATE INDEX reviews_time ON reviews(reviewed_at);
        """
    )


def m002_step_scores(db: sqlite3.Connection) -> None:
    # a derivation is one card of several graded steps: keep how many were right (partial credit)
    _run_script(db, "ALTER TABLE reviews ADD COLUMN steps_right INTEGER; "
                    "ALTER TABLE reviews ADD COLUMN steps_total INTEGER")


MIGRATIONS = [m001_initial, m002_step_scores]


class Store:
    """Progress for one user. ``save=False`` reads existing progress but never writes."""

    def __init__(self, path: Path | str | None = None, *, save: bool = True):
        self.notice = None  # what the UI should tell the user about the store (a move), if anything
        if path is None and save:
            self.notice = migrate_legacy_store()
        self.path = Path(path) if path is not None else default_path(save=save)
        self.save = save
        self.warning: str | None = None  # set when reading found no usable progress folder
        self.corrupt: list[str] = []  # question ids of card rows that could not be used
        self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        where = str(self.path)
        if self.path.is_dir():
            raise StoreError(_("{where}: is a folder, not a progress database; move it aside, or set MLQUIZ_HOME to "
                               "another folder").format(where=where))
        if not self.save and not self.path.exists():
            problem = _folder_problem(self.path.parent)
            if problem:
                self.warning = _("{problem}; no progress can be read from {folder}").format(
                    problem=problem, folder=self.path.parent)
            db = sqlite3.connect(":memory:")
            self._migrate(db)
            return db
        try:
            if self.save:
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    reason = _folder_problem(self.path.parent) or exc.strerror
                    raise StoreError(_("{where}: cannot create the progress folder ({reason}); set "
                                       "MLQUIZ_HOME to a writable folder, or use --no-save").format(
                        where=where, reason=reason)) from None
            if not _looks_like_sqlite(self.path):
                raise sqlite3.DatabaseError("file is not a database")
            db = self._connect(read_only=not self.save)
            self._check_integrity(db)
            if self.save:
                _enable_wal(db)
                self._migrate(db)
                self._check_schema(db)
                self._check_writable(db)
            else:
                self._check_version(db)
                self._check_schema(db)
        except OSError as exc:
            raise StoreError(_("{where}: cannot read the progress database ({reason}); set MLQUIZ_HOME to a "
                               "usable folder").format(where=where, reason=exc.strerror)) from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(_explain(where, exc)) from None
        return db

    def _connect(self, *, read_only: bool) -> sqlite3.Connection:
        def connect(**params) -> sqlite3.Connection:
            db = sqlite3.connect(_uri(self.path, **params), uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                                 isolation_level=None)
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # fails on a file that is not SQLite
            return db

        if not read_only:
            return connect()
        try:
            return connect(mode="ro")
        except sqlite3.OperationalError as exc:
            # a WAL database needs its -shm file even to be read; in a read-only folder that cannot be
            # created, so read the file as it is (no other session can be writing there either)
            if "unable to open" not in str(exc) and "readonly" not in str(exc):
                raise
            return connect(mode="ro", immutable=1)

    def _check_integrity(self, db: sqlite3.Connection) -> None:
        """A damaged page is found before the session, not used silently (answers written into a damaged
        file can be lost with it). quick_check reads every page once: milliseconds for years of answers."""
        problem = db.execute("PRAGMA quick_check(1)").fetchone()[0]
        if problem != "ok":
            raise StoreError(_("{where}: the progress database is damaged ({reason}); it has been left untouched: "
                               "keep a copy, try `sqlite3 FILE .recover`, or move it aside to start fresh").format(
                where=self.path, reason=" ".join(str(problem).split())[:120]))

    def _check_writable(self, db: sqlite3.Connection) -> None:
        """A write that is rolled back: a read-only file is found before the first question, not at the
        first answer (which would then be lost)."""
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT OR REPLACE INTO _mlquiz_migrations VALUES ('_write_check', '')")
        finally:
            if db.in_transaction:
                db.execute("ROLLBACK")

    def _check_version(self, db: sqlite3.Connection) -> None:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "_mlquiz_migrations" in tables:
            self._refuse_newer({row[0] for row in db.execute("SELECT name FROM _mlquiz_migrations")})

    def _refuse_newer(self, applied: set[str]) -> None:
        known = {m.__name__ for m in MIGRATIONS}
        if applied - known:
            raise StoreError(_("{where}: written by a newer mlquiz (migrations {migrations}); upgrade mlquiz to use "
                               "it").format(where=self.path, migrations=sorted(applied - known)))

    def _migrate(self, db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE IF NOT EXISTS _mlquiz_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        applied = {row[0] for row in db.execute("SELECT name FROM _mlquiz_migrations")}
        self._refuse_newer(applied)
        for migration in MIGRATIONS:
            if migration.__name__ in applied:
                continue
            db.execute("BEGIN IMMEDIATE")
            try:
                # another session may have applied it while we waited for the lock
                if not db.execute("SELECT 1 FROM _mlquiz_migrations WHERE name = ?", (migration.__name__,)).fetchone():
                    migration(db)
                    db.execute("INSERT INTO _mlquiz_migrations VALUES (?, datetime('now'))", (migration.__name__,))
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def _check_schema(self, db: sqlite3.Connection) -> None:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = {"cards", "reviews"} - tables
        if missing:
            raise StoreError(_("{where}: not an mlquiz progress database (no table {tables}); it has been left "
                               "untouched: move it aside, or point MLQUIZ_HOME elsewhere").format(
                where=self.path, tables=", ".join(sorted(missing))))

    def close(self) -> None:
        self.db.close()

    # ----- reads
    def card_json(self, question_id: str) -> str | None:
        row = self.db.execute("SELECT card FROM cards WHERE question_id = ?", (question_id,)).fetchone()
        return row[0] if row else None

    def cards(self) -> dict[str, tuple[str, str, str]]:
        """question_id -> (topic, card JSON, due ISO). Rows that are not a card (edited or damaged
        by hand) are left out and listed in ``corrupt``; their reviews are kept."""
        cards, self.corrupt = {}, []
        with self._reading():
            for qid, topic, card, due in self.db.execute("SELECT question_id, topic, card, due FROM cards"):
                if _card_row_ok(qid, topic, card, due):
                    cards[qid] = (topic, card, due)
                else:
                    self.corrupt.append(str(qid))
        return cards

    def corrupt_note(self) -> str | None:
        if not self.corrupt:
            return None
        return _("{where}: {count} damaged card rows ignored ({ids}); their questions count as new, their reviews "
                 "are kept").format(where=self.path, count=len(self.corrupt),
                                    ids=", ".join(self.corrupt[:3]) + (", ..." if len(self.corrupt) > 3 else ""))

    @contextmanager
    def _reading(self):
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise StoreError(_explain(str(self.path), exc)) from None

    def last_results(self) -> dict[str, bool]:
        """Whether each question's most recent review was right (overrules included).

        A self-rated recall card counts as wrong when it was rated "again".
        """
        with self._reading():
            rows = self.db.execute(
                # one pass over the question index, not a subquery per review (1.5 s at 100,000 reviews)
                """SELECT question_id, correct, rating FROM reviews
                   WHERE id IN (SELECT max(id) FROM reviews GROUP BY question_id)"""
            ).fetchall()
        return {qid: bool(correct) if correct is not None else (rating or 0) > 1 for qid, correct, rating in rows}

    def review_count(self) -> int:
        with self._reading():
            return self.db.execute("SELECT count(*) FROM reviews").fetchone()[0]

    def history(self, question_id: str) -> list[dict]:
        """Every review of one question, oldest first."""
        rows = self.db.execute("SELECT reviewed_at, variant, rating, correct, response, overruled FROM reviews "
                               "WHERE question_id = ? ORDER BY id", (question_id,))
        return [{"reviewed_at": at, "variant": variant, "rating": rating,
                 "correct": None if correct is None else bool(correct), "response": response,
                 "overruled": bool(overruled)} for at, variant, rating, correct, response, overruled in rows]

    def counts(self, question_ids: list[str] | None) -> tuple[int, int]:
        """(questions with progress, reviews) among ``question_ids`` (None: all)."""
        if question_ids is None:
            return (self.db.execute("SELECT count(*) FROM cards").fetchone()[0], self.review_count())
        marks = ",".join("?" * len(question_ids))
        cards = self.db.execute(f"SELECT count(*) FROM cards WHERE question_id IN ({marks})", question_ids)
        reviews = self.db.execute(f"SELECT count(*) FROM reviews WHERE question_id IN ({marks})", question_ids)
        return cards.fetchone()[0], reviews.fetchone()[0]

    def forget(self, question_ids: list[str] | None, backup: Path | None = None) -> tuple[int, int]:
        """Delete the progress on ``question_ids`` (None: all), after copying the store to ``backup``."""
        if not self.save:
            return (0, 0)
        if backup is not None:
            target = sqlite3.connect(backup)
            try:
                self.db.backup(target)
            finally:
                target.close()
        counted = self.counts(question_ids)
        with self._transaction():
            if question_ids is None:
                self.db.execute("DELETE FROM reviews")
                self.db.execute("DELETE FROM cards")
            else:
                marks = ",".join("?" * len(question_ids))
                self.db.execute(f"DELETE FROM reviews WHERE question_id IN ({marks})", question_ids)
                self.db.execute(f"DELETE FROM cards WHERE question_id IN ({marks})", question_ids)
        return counted

    # ----- writes
    def record(self, *, question_id: str, topic: str, variant: int, rating: int, correct: bool | None,
               response: str, now: datetime, duration_ms: int | None, session: str, apply_review,
               steps: tuple[int, int] | None = None) -> int | None:
        """Record one answer and update its card in one transaction; returns the review's id.

        ``apply_review(card_json_or_None) -> (new_card_json, due_iso)`` runs inside the transaction,
        so a concurrent session's update of the same card is never lost.
        """
        if not self.save:
            return None
        with self._transaction():
            before = self.card_json(question_id)
            card, due = apply_review(before)
            cursor = self.db.execute(
                """INSERT INTO reviews (question_id, topic, variant, rating, correct, response, reviewed_at,
                                        duration_ms, session, card_before, steps_right, steps_total)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (question_id, topic, variant, rating, None if correct is None else int(correct), response,
                 now.isoformat(), duration_ms, session, before, *(steps or (None, None))),
            )
            self._put_card(question_id, topic, card, due, now)
        return cursor.lastrowid

    def overrule(self, review_id: int, *, rating: int, correct: bool, now: datetime, apply_review) -> None:
        """Replace a review's grading: the card is recomputed from its state before that review."""
        if not self.save or review_id is None:
            return
        with self._transaction():
            question_id, topic, before = self.db.execute(
                "SELECT question_id, topic, card_before FROM reviews WHERE id = ?", (review_id,)).fetchone()
            card, due = apply_review(before)
            self.db.execute("UPDATE reviews SET rating = ?, correct = ?, overruled = 1 WHERE id = ?",
                            (rating, int(correct), review_id))
            self._put_card(question_id, topic, card, due, now)

    @contextmanager
    def _transaction(self):
        """One write transaction, taken before reading so that concurrent sessions never lose an update."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.db.execute("COMMIT")
            except BaseException:
                # a failed COMMIT (disk full, I/O error) has already rolled back: a second ROLLBACK
                # would raise "no transaction is active" and hide the real reason
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            raise StoreError(_explain(str(self.path), exc)) from None

    def _put_card(self, question_id, topic, card, due, now) -> None:
        self.db.execute(
            """INSERT INTO cards (question_id, topic, card, due, updated_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT(question_id) DO UPDATE SET topic = excluded.topic, card = excluded.card,
               due = excluded.due, updated_at = excluded.updated_at""",
            (question_id, topic, card, due, now.isoformat()),
        )


def _uri(path: Path, **params) -> str:
    """A SQLite URI for ``path``: '#', '?' and '%' in a folder name are quoted, not read as URI syntax."""
    from urllib.parse import quote, urlencode

    query = f"?{urlencode(params)}" if params else ""
    return f"file:{quote(str(path.absolute()), safe='/')}{query}"


def _folder_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot be the progress folder, or None when it can (or can be created)."""
    import errno

    for candidate in (folder, *folder.parents):
        try:
            info = candidate.stat()
        except (FileNotFoundError, NotADirectoryError):
            continue  # will be created, or a parent is a file (found next)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return f"{candidate} is a symbolic link loop"
            return f"{candidate}: {exc.strerror}"
        import stat

        if not stat.S_ISDIR(info.st_mode):
            return f"{candidate} is a file, not a folder"
        return None
    return None


def _card_row_ok(qid, topic, card, due) -> bool:
    """A row of ``cards`` as mlquiz writes it: text ids, a JSON object, an ISO due time."""
    import json

    if not all(isinstance(v, str) for v in (qid, topic, card, due)):
        return False
    try:
        datetime.fromisoformat(due)
        return isinstance(json.loads(card), dict)
    except ValueError:
        return False


def _looks_like_sqlite(path: Path) -> bool:
    """Missing, empty, or starting with SQLite's header; SQLite itself overwrites a 1-byte file."""
    try:
        with open(path, "rb") as file:
            head = file.read(16)
    except FileNotFoundError:
        return True
    return head in (b"", b"SQLite format 3\x00")


def _enable_wal(db: sqlite3.Connection) -> None:
    # Switching a new file to WAL while another session does the same can fail at once with
    # "database is locked" (SQLite skips the busy handler to avoid a deadlock): retry until the timeout.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _explain(where: str, exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        message = _("{where}: the progress database is unreadable ({reason}); it has been left untouched: move it "
                    "aside to start fresh, or set MLQUIZ_HOME to another folder")
    elif "readonly" in text or "unable to open" in text:
        message = _("{where}: cannot write progress ({reason}); set MLQUIZ_HOME to a writable folder, or use "
                    "--no-save")
    elif "full" in text:
        message = _("{where}: the disk is full ({reason}); answers before this one are saved; free some space")
    elif "disk I/O error" in text:
        message = _("{where}: could not write to the disk ({reason}): it may be full, or over a file-size limit; "
                    "answers before this one are saved; free some space")
    elif "locked" in text or "busy" in text:
        message = _("{where}: the database stayed locked by another session ({reason}); try again")
    else:
        message = _("{where}: database error ({reason})")
    return message.format(where=where, reason=text)
