"""The web app fixtures of tests/handlers, shared with the scale tests."""

from tests.handlers.conftest import app_settings, fake_slack

__all__ = ["app_settings", "fake_slack"]
