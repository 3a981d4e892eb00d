"""Shared fixtures. Loopback servers live in tests/loopback.py (on sys.path as `loopback`)."""

from __future__ import annotations

import gc
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from upstatd import ids
from upstatd.config.load import load_config
from upstatd.config.schema import Config

TEST_ID_KEY = bytes(range(32))


@pytest.fixture(scope="session", autouse=True)
def young_collection_at_daemon_start():
    """Daemon.start collects garbage, then freezes what is left (upstatd/app.py). In a test
    process the heap is pytest's, hypothesis' and every test module's, moved back from the
    frozen generation after each test (gc.unfreeze): a full pass over it costs a few hundred
    ms per daemon started, and hundreds are. Here Daemon.start collects the young generations
    only; what is older was alive at the last freeze and the interpreter's own passes see it."""
    import upstatd.app
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(upstatd.app, "gc", SimpleNamespace(collect=lambda: gc.collect(1), freeze=gc.freeze,
                                                       enable=gc.enable))
        yield


@pytest.fixture(autouse=True)
def id_key():
    """Row ids (ids.seq_id) need the installation's key, which Daemon.start loads
    from the database: tests that make ids without a daemon get this one. A
    daemon started in the test replaces it with its database's own."""
    ids.use_key(TEST_ID_KEY)
    return TEST_ID_KEY


@pytest.fixture
async def migrated_db(tmp_path):
    """A migrated SQLite file, open: (Database, path)."""
    from upstatd.store import db

    path = str(tmp_path / "upstatd.db")
    db.prepare_file(path)
    database = await db.Database.open(path)
    await database.call(db.migrate)
    yield database, path
    await database.close()


@pytest.fixture
async def store(migrated_db):
    """A migrated SQLite file with its writer running: (Database, writer, path)."""
    from upstatd.store.writer import Writer

    database, path = migrated_db
    writer = Writer(database, linger=0)
    writer.start()
    yield database, writer, path
    await writer.stop()


@pytest.fixture
def make_config(tmp_path: Path):
    """make_config(yaml_text) -> Config, loaded from a real file in tmp_path."""

    def make(text: str, name: str = "config.yaml") -> Config:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return load_config(str(path), environ={})

    return make


@pytest.fixture
async def target():
    """A TCP port on 127.0.0.1 that accepts while up (tests/clockdrive.py Target), closed after."""
    from clockdrive import Target
    made = Target()
    await made.up()
    yield made
    await made.down()
