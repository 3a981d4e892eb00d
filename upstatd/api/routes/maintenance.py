"""/api/maintenance: maintenance windows (`mnt_…`), when monitors and
heartbeats are expected to be down. Permission resource: `maintenance`.

- One-off (starts_at, ends_at in Unix seconds) or recurring (exactly one of
  rrule, cron, oncalendar with duration_seconds, in `timezone`).
- `status` and `upcoming` are of the moment of the answer.
- Windows from the config file (`managed_by: "config"`) can be read; changes
  answer 409 naming the file and key.
- The use cases are maintenance/commands.py, the shapes maintenance/public.py.
"""

from __future__ import annotations

from upstatd.api import pagination
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import Resource
from upstatd.maintenance.public import MaintenanceWindow, WindowCreate, WindowUpdate, window_object
from upstatd.store import maintenance as store


class WindowListQuery(ListQuery, forbid_unknown_fields=True):
    pass


WindowList = pagination.list_of(MaintenanceWindow, "MaintenanceWindowList")

windows = Resource("/api/maintenance", "maintenance", lambda context: context.maintenance_commands,
                   lambda context, row: window_object(row, context.clock.time()))
windows.create("Create a maintenance window (one-off, or recurring on an RRULE, cron or OnCalendar)",
               body=WindowCreate, response=MaintenanceWindow)
windows.list("List maintenance windows, newest first", query=WindowListQuery, response=WindowList,
             page=store.list_page)
windows.retrieve("Retrieve a maintenance window with its next occurrences", response=MaintenanceWindow)
windows.update("Update a maintenance window: only the fields given change; metadata merges", body=WindowUpdate,
               response=MaintenanceWindow)
windows.delete("Delete a maintenance window (one that is on ends now)")
