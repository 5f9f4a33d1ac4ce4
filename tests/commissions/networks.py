"""Small networks for close tests, written as import files and loaded with `import_network`."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command

PRODUCTS = {
    # sku: retail, wholesale, qv, cv
    "TM1": ("100.00", "75.00", "75", "75.00"),
    "W": ("15.00", "12.50", "12.5", "12.50"),
    "D2": ("100.00", "100.00", "100", "200.00"),  # the compensation-plan §10 example: CV = 2 x QV
}


def _write(path: Path, header: str, rows: list[str]) -> None:
    path.write_text(header + "\n" + "".join(row + "\n" for row in rows), encoding="utf-8")


def import_network(
    directory: Path,
    *,
    tree: dict[str, str | None],
    orders: list[tuple[str, str, str, str, str, int]],
    returns: list[tuple[str, str, int, str]] = (),
    enrolled_at: str = "2026-01-01T10:00:00+01:00",
) -> None:
    """tree: id -> sponsor id; orders: (order id, distributor, customer or '', purpose, paid_at, sku, qty)
    with one line each; returns: (order id, sku, quantity, refunded_at)."""
    directory.mkdir(parents=True, exist_ok=True)
    _write(
        directory / "products.csv",
        "sku,name,retail_price,wholesale_price,qv,cv,commissionable,buyback_eligible",
        [f"{sku},{sku} product,{r},{w},{qv},{cv},true,true" for sku, (r, w, qv, cv) in PRODUCTS.items()],
    )
    _write(
        directory / "distributors.csv",
        "id,sponsor_id,first_name,last_name,email,enrolled_at,status,country",
        [
            f"{node},{sponsor or ''},{node},Test,{node.lower()}@example.nl,{enrolled_at},active,NL"
            for node, sponsor in tree.items()
        ],
    )
    _write(
        directory / "orders.csv",
        "order_id,distributor_id,customer_id,purpose,paid_at,sku,quantity,unit_price,demonstration_id",
        [
            f"{oid},{dist},{cust},{purpose},{paid},{sku},{qty},,"
            for oid, dist, cust, purpose, paid, sku, qty in orders
        ],
    )
    if returns:
        _write(
            directory / "returns.csv",
            "order_id,sku,quantity,refunded_at",
            [f"{oid},{sku},{qty},{when}" for oid, sku, qty, when in returns],
        )
    call_command("import_network", str(directory))


def customer_orders(
    distributor: str, count: int, *, paid_at: str, sku: str = "TM1", prefix: str = ""
) -> list:
    """`count` one-unit customer orders, each from a different customer of the distributor."""
    return [
        (
            f"{prefix}{distributor}-o{i}",
            distributor,
            f"{prefix}{distributor}-c{i}",
            "customer",
            paid_at,
            sku,
            1,
        )
        for i in range(count)
    ]
