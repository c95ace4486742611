"""Partners and their API keys: made and revoked by street staff, shown once, kept as a hash.

A key is `yj_<prefix>_<secret>`; the prefix finds the row, the SHA-256 of the whole key must
match. A partner acts through a service account of its own (no role, no password), and its
scope is `Scope.for_partner()`: its street, and of cases only those it brought.
"""

import hashlib
import hmac
import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.scope import Scope

from .models import ApiKey, Partner, PartnerKind


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_partner(user, street, name: str, kind: str, outbound_url: str = "") -> Partner:
    service_user = User(username=f"partner-{secrets.token_hex(6)}", first_name=name[:150])
    service_user.set_unusable_password()
    service_user.save()
    return Partner.objects.create(
        name=name,
        kind=kind,
        street=street,
        service_user=service_user,
        webhook_secret=secrets.token_hex(32) if kind == PartnerKind.HOTLINE else "",
        outbound_url=outbound_url,
        created_by=user,
    )


def issue_key(user, partner: Partner, name: str) -> tuple[ApiKey, str]:
    """A new key; the raw value is returned once and never stored."""
    prefix = secrets.token_hex(4)
    raw = f"yj_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        partner=partner, name=name, prefix=prefix, digest=digest(raw), created_by=user
    )
    return key, raw


def revoke(key: ApiKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])


def find_key(raw: str) -> ApiKey | None:
    """The live key for this value, or None (unknown, malformed or revoked look the same)."""
    parts = (raw or "").split("_")
    if len(parts) < 3 or parts[0] != "yj" or len(raw) > 100:
        return None
    key = ApiKey.objects.select_related("partner").filter(prefix=parts[1]).first()
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.digest, digest(raw)):
        return None
    return key


def scope_of(key: ApiKey) -> Scope:
    return Scope.for_partner(key.partner)
