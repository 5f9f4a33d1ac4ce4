"""Reads of commissions: querysets and small dataclasses for the edges (admin, API, portal,
commands) to render. Nothing here writes. Import the module that holds what you need, e.g.
`from commissions.selectors.statements import final_statements_of`; this file re-exports nothing.

Runs, periods, statements
    runs.py                  which run to read (a period's final close or newest preview, the
                             close under way, last month's final run); a run's progress and stall
    periods.py               the period calendar
    ranks.py                 rank names: of a plan, of several runs' plans, of the live rank
    statements.py            a distributor's statements and payouts; a run's export rows
    payouts.py               payouts as the bank saw them: held and returned, with the reason
    report_figures.py        the figures of a run the compliance report needs; its period report

Explaining a result: why this rank, where each line of money comes from
    explanation.py           explain_distributor, and the explanation as text (`manage.py explain`)
    legs.py                  the frontline legs as in the run's period, the highest rank in each
    rank_checks.py           each rank's requirements against the distributor's numbers
    money_lines.py           ledger lines with source, level, rate and base (the statement's too)
    rank_progress.py         the explanation without money: GET /me/progress/, the rank card

The open month and the team
    standing.py              the distributor's standing in the open month (dashboard, GET /me/)
    customer_requirement.py  the customer requirement and the consumption cap, live
    team.py                  the portal's team pages: downline members with their figures in a run
    radar.py                 the team radar: who is close to the next rank, who is dropping out

Comparing two runs
    comparison.py            two runs distributor by distributor: who gains, who loses, and why
    comparison_render.py     a comparison as CSV rows and as plain text

The newest preview of the open month is read through commissions/previews.py, beside the schedule
and the pruning that write previews.
"""
