from datetime import timedelta

import factory
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from accounts.models import Role, RoleKind
from grids.models import Building, Community, Contact, ContactKind, Grid, Street, Unit


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"测试{n}街道")
    district = "青山区"


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"测试{n}社区")


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"第{n}网格")


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    grid = factory.SubFactory(GridFactory)
    estate = "金苑小区"
    name = factory.Sequence(lambda n: f"{n}号楼")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    building = factory.SubFactory(BuildingFactory)
    name = factory.Sequence(lambda n: f"{n}单元")


class UnitLeaderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    kind = ContactKind.UNIT_LEADER
    unit = factory.SubFactory(UnitFactory)
    grid = factory.SelfAttribute("unit.building.grid")
    community = factory.SelfAttribute("grid.community")
    street = factory.SelfAttribute("community.street")
    name = factory.Sequence(lambda n: f"单元长{n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password(settings.DEMO_PASSWORD)


class NewUserFactory(UserFactory):
    """A user whose name is new by construction (the sequence): one INSERT, no lookup first."""

    class Meta:
        model = User
        django_get_or_create = ()


def new_role(user, kind, place) -> Role:
    """A role of `user` at `place` (a Street, Community or Grid), not yet saved."""
    if kind == RoleKind.STREET_STAFF:
        return Role(user=user, kind=kind, street=place)
    if kind == RoleKind.COMMUNITY_OFFICER:
        return Role(user=user, kind=kind, street=place.street, community=place)
    return Role(
        user=user, kind=kind, street=place.community.street, community=place.community, grid=place
    )


def make_role(user, kind, place):
    """Give `user` a role at `place` (a Street, Community or Grid)."""
    role = new_role(user, kind, place)
    role.save()
    return role


def make_people(**roles_by_username):
    """Users with their roles, `username=[(kind, place), ...]`, in two INSERTs: most tests start
    with the same handful of people, and one INSERT per row cost each test tens of ms."""
    users = User.objects.bulk_create(
        NewUserFactory.build(username=username) for username in roles_by_username
    )
    Role.objects.bulk_create(
        new_role(user, kind, place)
        for user, roles in zip(users, roles_by_username.values(), strict=True)
        for kind, place in roles
    )
    return dict(zip(roles_by_username, users, strict=True))


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "cases.Case"

    resident_name = "王大妈"
    resident_phone = factory.Sequence(lambda n: f"139{n:08d}")
    grid = factory.SubFactory(GridFactory)
    community = factory.SelfAttribute("grid.community")
    street = factory.SelfAttribute("community.street")
    category = factory.LazyFunction(lambda: _category("水电气暖"))
    description = "水龙头滴滴答答响了一夜，早上连洗脸水都接不上。"
    channel = "phone"
    created_by = factory.SubFactory(NewUserFactory)


def _category(name):
    from cases.models import Category

    return Category.objects.get_or_create(name=name)[0]


def photo_bytes(fmt="JPEG", size=(64, 48), with_gps=True) -> bytes:
    """A small real image; JPEGs carry an EXIF GPS position, as a phone photo does."""
    import io

    from PIL import Image

    image = Image.new("RGB", size, (200, 120, 40))
    out = io.BytesIO()
    if fmt == "JPEG" and with_gps:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (40.0, 49.0, 12.0), 3: "E", 4: (111.0, 40.0, 5.0)}
        exif[0x010F] = "PhoneMaker"
        image.save(out, format=fmt, exif=exif)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def upload(name="tap.jpg", content=None, content_type="image/jpeg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, photo_bytes() if content is None else content, content_type)


def attendees(meeting, n=15):
    """Residents' representatives who came to `meeting`: only those present vote."""
    from meetings.models import Participant, ParticipantKind

    return Participant.objects.bulk_create(
        Participant(
            meeting=meeting, kind=ParticipantKind.RESIDENT_REP, name=f"代表{i}", attended=True
        )
        for i in range(1, n + 1)
    )


class EmergencySessionFactory(factory.django.DjangoModelFactory):
    """An emergency session of a community, three days ahead, hosted by `host` (an officer)."""

    class Meta:
        model = "meetings.Meeting"

    community = factory.SubFactory(CommunityFactory)
    street = factory.SelfAttribute("community.street")
    kind = "emergency"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    venue_kind = "room"
    address = "社区居委会二楼"
    host = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("host")
