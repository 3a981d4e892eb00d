"""`upstatd agent-token` prints a new random agent token each time; with --file it writes
one to a new 0600 file (never over an existing one), which a config's token_file takes."""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).parent.parent))
from cli import upstatd  # noqa: E402
from upstatd.config.load import load_config  # noqa: E402
from upstatd.config.regions import token_hash  # noqa: E402

TOKEN = re.compile(r"upsa_[A-Za-z0-9_-]{32}")


async def test_each_token_is_new_and_a_token_file_takes_it(tmp_path):
    first, second = [await upstatd("agent-token") for _ in range(2)]
    assert first[0] == second[0] == 0, (first, second)
    assert TOKEN.fullmatch(first[1].strip()) and TOKEN.fullmatch(second[1].strip()), (first, second)
    assert first[1] != second[1]

    file = tmp_path / "eu-1.token"
    status, out, err = await upstatd("agent-token", "--file", str(file))
    assert (status, out) == (0, ""), err
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    secret = file.read_text().strip()
    assert TOKEN.fullmatch(secret)
    status, _, err = await upstatd("agent-token", "--file", str(file))
    assert status == 1 and "cannot create" in err
    assert file.read_text().strip() == secret  # left as it was

    config = tmp_path / "upstatd.yaml"
    config.write_text(f'storage: {{path: "{tmp_path / "db"}"}}\n'
                      "regions:\n  eu: {agents: [{key: eu-1, token_file: eu-1.token}]}\n")
    (region,) = load_config(str(config), environ={}).regions
    assert region.agents[0].token_hash == token_hash(secret)
