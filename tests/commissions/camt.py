"""A camt.053 bank statement built in the tests, as a bank writes one (ISO 20022
BkToCstmrStmt, version .08): booked debits of our transfers, returns with their reason, anything."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from xml.etree.ElementTree import Element, SubElement, tostring

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
COMPANY_IBAN = "NL02ABNA0123456789"


@dataclass
class Line:
    amount: Decimal | str
    end_to_end_id: str = ""
    credit: bool = False
    return_code: str = ""
    return_info: str = ""
    status: str = "BOOK"
    booked_on: str = "2026-11-05"
    info: str = ""


def camt053(lines: list[Line], *, statement_id: str = "STMT-2026-11-05", iban: str = COMPANY_IBAN) -> bytes:
    document = Element("Document", xmlns=NAMESPACE)
    report = SubElement(document, "BkToCstmrStmt")
    header = SubElement(report, "GrpHdr")
    SubElement(header, "MsgId").text = f"MSG-{statement_id}"
    SubElement(header, "CreDtTm").text = "2026-11-06T07:00:00+01:00"
    stmt = SubElement(report, "Stmt")
    SubElement(stmt, "Id").text = statement_id
    SubElement(stmt, "CreDtTm").text = "2026-11-06T07:00:00+01:00"
    SubElement(SubElement(SubElement(stmt, "Acct"), "Id"), "IBAN").text = iban
    for number, line in enumerate(lines, start=1):
        entry = SubElement(stmt, "Ntry")
        SubElement(entry, "NtryRef").text = str(number)
        SubElement(entry, "Amt", Ccy="EUR").text = str(line.amount)
        SubElement(entry, "CdtDbtInd").text = "CRDT" if line.credit else "DBIT"
        SubElement(SubElement(entry, "Sts"), "Cd").text = line.status
        SubElement(SubElement(entry, "BookgDt"), "Dt").text = line.booked_on
        SubElement(entry, "AcctSvcrRef").text = f"BANK-{number:05d}"
        if line.end_to_end_id:
            tx = SubElement(SubElement(entry, "NtryDtls"), "TxDtls")
            SubElement(SubElement(tx, "Refs"), "EndToEndId").text = line.end_to_end_id
            SubElement(tx, "Amt", Ccy="EUR").text = str(line.amount)
            party = SubElement(SubElement(tx, "RltdPties"), "Dbtr" if line.credit else "Cdtr")
            SubElement(SubElement(party, "Pty"), "Nm").text = "Anna A"
            if line.return_code:
                reason = SubElement(tx, "RtrInf")
                SubElement(SubElement(reason, "Rsn"), "Cd").text = line.return_code
                if line.return_info:
                    SubElement(reason, "AddtlInf").text = line.return_info
        if line.info:
            SubElement(entry, "AddtlNtryInf").text = line.info
    return tostring(document, encoding="utf-8", xml_declaration=True)
