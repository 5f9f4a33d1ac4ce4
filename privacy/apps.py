from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """GDPR: collects every app's part of a person's personal data (no models of its own)."""

    name = "privacy"
