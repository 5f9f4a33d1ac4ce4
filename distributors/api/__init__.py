"""REST API of distributors: me, downline, upline, enrolment (docs/api.md)."""
