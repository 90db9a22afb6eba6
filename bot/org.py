"""The org file importer moved to bot/orgfile/; this name stays until its last importer moves."""

from __future__ import annotations

from bot.orgfile import OrgPlan, RemovalNotConfirmed, import_org, org_file_help, plan_org

__all__ = ["OrgPlan", "RemovalNotConfirmed", "import_org", "org_file_help", "plan_org"]
