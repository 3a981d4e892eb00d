"""A state file with people in it (rowskit.add_person) and the config text that makes
the daemon of tests/api/conftest.py start on it: the people resource is another
part's, so these tests seed its rows before the daemon starts."""

from __future__ import annotations

from pathlib import Path

from handoffkit import storage_yaml
from rowskit import add_person

PEOPLE = {"usr_anna": "Anna", "usr_bob": "Bob", "usr_lead": "Lead"}


def with_people(tmp_path: Path, yaml: str = "") -> str:
    """The extra YAML of start_api: `storage:` on a state file holding PEOPLE, then `yaml`."""
    path = tmp_path / "seeded.db"
    if not path.exists():
        for person_id, name in PEOPLE.items():
            add_person(str(path), person_id, name)
    return storage_yaml(path) + yaml
