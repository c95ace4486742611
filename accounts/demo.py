"""Demo accounts for every role, all with settings.DEMO_PASSWORD."""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission, User

from grids.models import Grid

from .models import Role, RoleKind

# (community, pinyin used in usernames)
COMMUNITY_SLUGS = {
    "春光社区": "chunguang",
    "富南社区": "funan",
    "草原社区": "caoyuan",
    "青福社区": "qingfu",
    "万和社区": "wanhe",
    "幸福社区": "xingfu",
    "阳光社区": "yangguang",
    "和平社区": "heping",
}
STREET_STAFF_GROUP = "街道工作人员"
# Street staff keep the hierarchy and accounts up to date in the admin.
STREET_STAFF_APPS = ("grids", "accounts")
STREET_STAFF_MODELS = ("user",)
# …and read the list of case categories, which every street shares: only superusers change it.
STREET_STAFF_CASE_MODELS = ("category",)


def street_staff_group() -> Group:
    group, _ = Group.objects.get_or_create(name=STREET_STAFF_GROUP)
    permissions = (
        Permission.objects.filter(content_type__app_label__in=STREET_STAFF_APPS)
        | Permission.objects.filter(
            content_type__app_label="auth", content_type__model__in=STREET_STAFF_MODELS
        )
        | Permission.objects.filter(
            content_type__app_label="cases",
            content_type__model__in=STREET_STAFF_CASE_MODELS,
            codename__startswith="view_",
        )
    )
    group.permissions.set(permissions)
    return group


def build_accounts(street) -> list[tuple[str, str]]:
    """Create the demo users once; return (username, what they are) for the README/banner."""
    password = make_password(settings.DEMO_PASSWORD)  # hash once, reuse for every user
    logins = []

    def user(username, full_name, **extra):
        account, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": full_name, "password": password, **extra},
        )
        return account

    staff = user("street", "赵敏", is_staff=True, email="street@youjie.local")
    staff.groups.add(street_staff_group())
    Role.objects.get_or_create(user=staff, kind=RoleKind.STREET_STAFF, street=street)
    logins.append(("street", f"{street.name} · 街道工作人员"))

    grids = Grid.objects.filter(community__street=street).select_related("community")
    for community in street.communities.all():
        slug = COMMUNITY_SLUGS.get(community.name, f"c{community.pk}")
        officer = user(f"officer.{slug}", f"{community.name[:2]}社工", email=f"{slug}@youjie.local")
        Role.objects.get_or_create(
            user=officer, kind=RoleKind.COMMUNITY_OFFICER, street=street, community=community
        )
        logins.append((officer.username, f"{community.name} · 社区工作人员"))
    for grid in grids:
        slug = COMMUNITY_SLUGS.get(grid.community.name, f"c{grid.community_id}")
        number = "".join(ch for ch in grid.name if ch.isdigit()) or str(grid.pk)
        worker = user(f"grid.{slug}.{int(number):02d}", f"{grid.community.name[:2]}网格员{number}")
        Role.objects.get_or_create(
            user=worker,
            kind=RoleKind.GRID_WORKER,
            street=street,
            community=grid.community,
            grid=grid,
        )
    logins.append(("grid.chunguang.01", "春光社区 第1网格 · 网格员"))
    return logins
