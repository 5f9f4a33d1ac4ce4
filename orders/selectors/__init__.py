"""Reads of orders: querysets and small dataclasses for the edges (admin, API, portal) to render.
Nothing here writes. Import the module that holds what you need, e.g.
`from orders.selectors.orders import order_detail`; this file re-exports nothing.

    catalogue.py       the products for sale, and a search in them
    customers.py       a distributor's customers, and one of them by id
    orders.py          a distributor's orders with their totals; one order in detail (lines,
                       returnable units, VAT, returns) and what can be done with it now
    demonstrations.py  home demonstrations: QPS and host rewards as orders come in, the live page
                       and the host link; the hosts' vouchers (host credits)
    buyback.py         inventory buy-back: the terms, the eligible units, a distributor's requests
"""
