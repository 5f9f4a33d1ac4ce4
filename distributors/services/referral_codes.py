"""Referral codes: a new distributor's drawn at random, an imported one's derived from their
external id (so that importing the same files again derives the same codes)."""

from __future__ import annotations

import hashlib
import secrets

from core.batches import chunked, matching

from ..models import Distributor

# No 0/O, 1/I/L: a code read aloud or copied from paper cannot be mistyped into another one.
REFERRAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERRAL_CODE_LENGTH = 8


def referral_code_generate() -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _position in range(REFERRAL_CODE_LENGTH))


def referral_codes_derive(external_ids: list[str]) -> list[str]:
    """A referral code per external id (the import's): drawn from its hash, so importing the same
    files again derives the same codes; re-salted past a code already in use."""
    codes = [_referral_code_derived(ext, 0) for ext in external_ids]
    taken: set[str] = set()
    for batch in chunked(codes):
        taken.update(
            matching(Distributor.objects.all(), batch, "referral_code").values_list(
                "referral_code", flat=True
            )
        )
    result = []
    for ext, code in zip(external_ids, codes, strict=True):
        salt = 0
        while code in taken:
            salt += 1
            code = _referral_code_derived(ext, salt)
            if Distributor.objects.filter(referral_code=code).exists():
                taken.add(code)
        taken.add(code)
        result.append(code)
    return result


def _referral_code_derived(external_id: str, salt: int) -> str:
    number = int.from_bytes(hashlib.sha256(f"{external_id}#{salt}".encode()).digest()[:16], "big")
    letters = []
    for _position in range(REFERRAL_CODE_LENGTH):
        number, digit = divmod(number, len(REFERRAL_ALPHABET))
        letters.append(REFERRAL_ALPHABET[digit])
    return "".join(letters)
