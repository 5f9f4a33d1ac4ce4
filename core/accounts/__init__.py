"""Account pages outside the admin: set a password from an invitation, reset a forgotten one.

Server-rendered Django views and templates (templates/account/), translated, usable at 375 px,
without inline script (a strict CSP is coming); the distributor portal will reuse them. Links
in e-mails are built from settings.PUBLIC_URL, never from the request's Host header.
"""
