"""Importing a company's network, catalogue and order history from CSV files (interfaces.md).

Above the domain: it reads the files (`parse`, `files`), checks them against each other and the
database (`check`) and writes through the domain (`write`): the rows in bulk, the sponsor tree
numbered by `distributors.tree`, referral codes from `distributors.services.referral_codes`.
`services` runs it.
"""
