"""/api/escalation-policies: escalation policies (`esc_…`), who is paged when an
incident stays open. Permission resource: `on_call`.

- Steps fire in order, each `wait_seconds` after the one before; targets are
  {type, id}: current_on_call or schedule_members (sch_), user (usr_), channel (ch_).
- `is_default` true makes it the policy of monitors and heartbeats that name none.
- Policies from the config file (`managed_by: "config"`) can be read; changes
  answer 409 naming the file and key. One named by monitors or heartbeats
  cannot be deleted (409 naming them).
- The use cases are oncall/policy_commands.py, the shapes oncall/policy_public.py.
"""

from __future__ import annotations

from upstatd.api import pagination
from upstatd.api.pagination import ListQuery
from upstatd.api.routes import Resource
from upstatd.oncall.policy_public import EscalationPolicy, PolicyCreate, PolicyUpdate, policy_object
from upstatd.store import escalation_policies as store


class PolicyListQuery(ListQuery, forbid_unknown_fields=True):
    pass


PolicyList = pagination.list_of(EscalationPolicy, "EscalationPolicyList")

policies = Resource("/api/escalation-policies", "on_call", lambda context: context.policy_commands,
                    lambda context, row: policy_object(row), stem="escalation_policies")
policies.create("Create an escalation policy", body=PolicyCreate, response=EscalationPolicy)
policies.list("List escalation policies, newest first", query=PolicyListQuery, response=PolicyList,
              page=store.list_page)
policies.retrieve("Retrieve an escalation policy", response=EscalationPolicy)
policies.update("Update an escalation policy: only the fields given change; steps given replace the stored "
                "ones; metadata merges", body=PolicyUpdate, response=EscalationPolicy)
policies.delete("Delete an escalation policy (refused while monitors or heartbeats name it)")
