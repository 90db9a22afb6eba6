"""`uptake import org FILE`: teams, their parents, members and managers from an org file.

The file is the truth for the teams it came from: importing it again replaces their
memberships, and teams no longer in it are removed. `plan_org` says what an import would
change without writing anything; `import_org` makes the change, in one transaction, and removes
only the teams its caller agreed to remove. Nothing is written if any line is wrong.
Reading and checking the file is in `parse`; comparing and applying it is in `plan`.
"""

from __future__ import annotations

from bot.orgfile.parse import ORG_SOURCE, OrgRejected, org_file_help, slugify
from bot.orgfile.plan import OrgPlan, PeopleChange, RemovalNotConfirmed, import_org, plan_org

__all__ = [
    "ORG_SOURCE",
    "OrgPlan",
    "OrgRejected",
    "PeopleChange",
    "RemovalNotConfirmed",
    "import_org",
    "org_file_help",
    "plan_org",
    "slugify",
]
