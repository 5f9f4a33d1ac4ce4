"""How the apps declare their PostgreSQL triggers: in their models' `Meta.triggers` (django-pgtrigger).

Each trigger gets its own function, `pgtrigger_<name>_<hash>`, created and replaced by the
`AddTrigger` operations that `makemigrations` writes; `manage.py pgtrigger ls` lists them and says
whether the database holds the current text. PostgreSQL fires the triggers of one table and event
in the order of their names, so a name decides which of two refusals is reported first. SQLite (the
demo) gets no trigger: the services enforce the same rules.

A rule over many rows is checked once per statement over its transition tables (`new_rows`,
`old_rows`): the close COPYs millions of rows, and a row trigger would run a query for each.
"""

import pgtrigger

NEW_ROWS = pgtrigger.Referencing(new="new_rows")
OLD_ROWS = pgtrigger.Referencing(old="old_rows")
OLD_AND_NEW_ROWS = pgtrigger.Referencing(old="old_rows", new="new_rows")


def after_each_statement(
    name: str,
    operation: pgtrigger.Operation,
    referencing: pgtrigger.Referencing,
    func: str,
    declare: list[tuple[str, str]] | None = None,
) -> pgtrigger.Trigger:
    """An AFTER ... FOR EACH STATEMENT trigger running `func` (PL/pgSQL between BEGIN and END)."""
    return pgtrigger.Trigger(
        name=name,
        when=pgtrigger.After,
        operation=operation,
        level=pgtrigger.Statement,
        referencing=referencing,
        func=func,
        declare=declare,
    )
