import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from accounts.models import Role
from grids.models import Building, Community, Contact, ContactKind, Grid, Street, Unit

pytestmark = pytest.mark.django_db

MODELS = (Street, Community, Grid, Building, Unit, Contact, User, Role)


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_builds_the_street_at_the_seeds_scale_and_twice_changes_nothing(capsys):
    call_command("seed_demo")
    street = Street.objects.get(name="万青路街道")
    assert street.communities.count() == 8
    assert {"春光社区", "富南社区", "草原社区"} <= set(
        street.communities.values_list("name", flat=True)
    )
    assert Grid.objects.filter(community__street=street).count() == 110
    assert Contact.objects.filter(street=street, kind=ContactKind.UNIT_LEADER).count() == 1838
    assert Contact.objects.filter(kind=ContactKind.PARTY_MEMBER).count() == 110 * 3
    assert Building.objects.filter(estate="金苑小区").exists()
    for username in ("street", "officer.chunguang", "officer.funan", "grid.chunguang.01"):
        assert User.objects.get(username=username).check_password("youjie-demo-2026")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first
    assert "nothing new" in capsys.readouterr().out
