"""Previews of Uptake's surfaces without a Slack workspace: the Block Kit JSON each would send,
and static HTML pages that look like Slack at a phone's and a desktop's width."""
