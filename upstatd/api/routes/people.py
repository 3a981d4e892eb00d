"""/api/people: people (`usr_…`), who on-call schedules and escalation policies
page. Permission resource: `on_call`.

- contact_methods: `{channel: ch_…}`, `{email, via: ch_…}`, `{apprise: url}`;
  an Apprise URL reads as "********" (sent back, it keeps the stored one).
- alert_channel_ids: the person's own channels (one per email and apprise
  method); they are not listed under /api/alert-channels.
- Deleting a person named by a schedule or an escalation policy answers 409
  naming them. People from the config file can be read; changes answer 409.
- The use cases are people/commands.py, the shapes people/public.py.
"""

from __future__ import annotations

from upstatd.api import pagination
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import Resource
from upstatd.people.public import Person, PersonCreate, PersonUpdate, person_object
from upstatd.store import people as store


class PersonListQuery(ListQuery, forbid_unknown_fields=True):
    pass


PersonList = pagination.list_of(Person, "PersonList")

people = Resource("/api/people", "on_call", lambda context: context.people_commands,
                  lambda context, row: person_object(row), stem="people")
people.create("Create a person with their contact methods", body=PersonCreate, response=Person)
people.list("List people, newest first", query=PersonListQuery, response=PersonList, page=store.list_page)
people.retrieve("Retrieve a person (an Apprise URL masked)", response=Person)
people.update("Update a person: only the fields given change; contact_methods given replace the stored ones",
              body=PersonUpdate, response=Person)
people.delete("Delete a person with their own channels (refused while a schedule or policy names them)")
