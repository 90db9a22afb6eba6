"""Everything Uptake stores about one person: export it, summarise it, or forget it.

"About a person" means: their person row; their accounts (`storage.identities.owned_by`:
identities verified as theirs, plus unlinked ones carrying their Slack-verified email, the
accounts automatic linking would give them, including ones they unlinked); the daily usage,
vendor team memberships and seats of those accounts; their team memberships and tip preference;
outbox messages addressed to them; and audit entries whose subject is them. Export, summary and
forget all use that one definition.

A pending claim (`/myusage link github LOGIN` not yet approved) is not an account: it is shown
as a claim, with none of the claimed account's data, and forgetting withdraws it.

The parts: `export` (the data and its JSON), `forget` (deleting it) and `privacy` (who sees
what, the summary, and recording an operator's look).
"""
