"""Action, block and callback ids: defined once, shared by builders and handlers."""

APPROVE_CLAIM = "uptake.claim.approve"
DENY_CLAIM = "uptake.claim.deny"
FORGET_CONFIRM = "uptake.forget.confirm"
FORGET_CANCEL = "uptake.forget.cancel"
