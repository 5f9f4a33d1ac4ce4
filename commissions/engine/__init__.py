"""Pure in-memory commission engine; see types.py for the contract."""
