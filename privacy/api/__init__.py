"""REST API of personal data: the caller's own GDPR export (docs/api.md, docs/privacy.md)."""
