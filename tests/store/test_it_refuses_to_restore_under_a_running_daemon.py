"""`upstatd restore` is refused while a daemon runs on the database (it holds the
flock on `<db>.lock`), and leaves the database as it is; with the daemon stopped it
goes ahead. The restore takes that same lock (db.lock, which the daemon takes at
start), so a daemon cannot start while a restore runs."""

from __future__ import annotations

import os

import pytest

from backupkit import files
from cli import upstatd
from loopback import closed_port
from upstatd.app import AlreadyRunning, Daemon
from upstatd.config.load import load_config
from upstatd.store import db
from upstatd.systemd import Notifier


async def test_it_refuses_to_restore_while_a_daemon_holds_the_database(api, tmp_path):
    config = str(api.config_path)
    backup = tmp_path / "b.db"
    code, _, err = await upstatd("backup", str(backup), "-c", config)
    assert code == 0, err
    before = (os.stat(api.db_path).st_ino, files(api.db_path.parent))

    code, out, err = await upstatd("restore", str(backup), "-c", config)
    assert code == 1 and out == ""
    assert err == (f"upstatd: restore refused: a daemon is running on {api.db_path} (it holds {api.db_path}.lock): "
                   f"stop it first (systemctl stop upstatd), then restore\n")
    assert (os.stat(api.db_path).st_ino, files(api.db_path.parent)) == before
    status, _, _ = await api.request("GET", "/api/monitors")
    assert status == 200  # the daemon is none the worse

    await api.daemon.stop()
    code, out, err = await upstatd("restore", str(backup), "-c", config)
    assert code == 0 and "the database that was there is kept as" in out, err
    await api.daemon.start()
    assert (await api.request("GET", "/api/monitors"))[0] == 200


async def test_it_keeps_a_daemon_from_starting_while_the_restore_holds_the_lock(tmp_path):
    path = tmp_path / "state" / "upstatd.db"
    config = tmp_path / "config.yaml"
    config.write_text(f'server: {{listen: "127.0.0.1:{closed_port()}"}}\nstorage: {{path: "{path}"}}\nmonitors: []\n')
    held = db.lock(str(path))  # what restore() holds from its first check to the rename
    assert held is not None
    try:
        assert db.lock(str(path)) is None  # a second restore: refused too
        daemon = Daemon(load_config(str(config), environ={}), notifier=Notifier(None))
        with pytest.raises(AlreadyRunning, match="another upstatd is already running on"):
            await daemon.start()
        assert not path.exists()  # it stopped before it opened anything
    finally:
        os.close(held)
