"""How a user is named on pages, in history rows and in exports."""


def display_name(user) -> str:
    """A user by their name; their login name only when the account has no name."""
    return user.get_full_name() or user.username


def person_name(person) -> str:
    """Whoever does something: a user by `display_name`, anyone else (an outside contact) as
    they name themselves."""
    if person is None:
        return ""
    return display_name(person) if hasattr(person, "get_full_name") else str(person)


def display_name_of(first_name: str, last_name: str, username: str) -> str:
    """`display_name` from the three columns, for lists that load no User rows."""
    return f"{first_name} {last_name}".strip() or username


# Names on public pages (notices, posters): the family name stays, so neighbours recognise the
# matter, and the rest becomes two stars whatever its length (王大妈 → 王**, 李娜 → 李**), so
# the stars do not tell how long the name was. Chinese family names are one character far
# more often than two; a two-character one (欧阳) shows its first character only.
NAME_MASK = "**"


def mask_name(name: str) -> str:
    name = (name or "").strip()
    return f"{name[0]}{NAME_MASK}" if name else ""


def mask_names_in(text: str, names) -> str:
    """`text` with every whole occurrence of each name masked; longer names first, so 王大妈
    is masked whole before a shorter 王大 could split it. One-character names are left: they
    would mask every word that shares the character."""
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len)[::-1]:
        text = (text or "").replace(name, mask_name(name))
    return text or ""
