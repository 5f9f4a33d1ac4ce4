"""What every app's REST API shares: error format, pagination, idempotency, ETags, permissions."""
