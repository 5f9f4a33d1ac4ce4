"""Writes to distributors and the sponsor tree. Import the module that holds what you need, e.g.
`from distributors.services.enrollment import distributor_enroll`; this file re-exports nothing.

Every structural write (enroll, move, terminate, renumber) takes the sponsor-tree advisory lock
first, then locks the rows it reads with `select_for_update(no_key=True)` in id order, and only
then re-reads the nested-set numbers: instances passed in by callers may carry stale lft/rght.
See docs/adr/0001-sponsor-tree.md.

    enrollment.py       distributor_enroll: under a sponsor or as a new root, with or without a login
    moves.py            distributor_move with the whole downline; tree_renumber
    status.py           distributor_set_status (hold, active), distributor_terminate (roll-up)
    profile.py          distributor_update_profile: contact data, by the distributor or by staff
    referral_codes.py   a new code at random; codes derived from external ids (the import)
    checks.py           what these share: staff only, a reason, the contact fields cleaned

The login invitation is distributors/invitations.py, the GDPR export and erasure
distributors/personal_data.py, the bank account distributors/bank.py.
"""
