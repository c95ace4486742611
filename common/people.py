"""How a user is named on pages, in history rows and in exports."""


def display_name(user) -> str:
    return user.get_full_name() or user.username
