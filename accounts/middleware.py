from django.utils.functional import SimpleLazyObject

from .scope import Scope


class ScopeMiddleware:
    """Attach `request.scope`, read afresh each request so that a removed role or a
    deactivated account loses access at once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The roles came with the account (accounts/login.py): no query of their own.
        request.scope = SimpleLazyObject(lambda: Scope.for_user(request.user, loaded=True))
        return self.get_response(request)
