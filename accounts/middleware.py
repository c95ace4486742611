from django.utils.functional import SimpleLazyObject

from .scope import Scope


class ScopeMiddleware:
    """Attach `request.scope`, read afresh each request so that a removed role or a
    deactivated account loses access at once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.scope = SimpleLazyObject(lambda: Scope.for_user(request.user))
        return self.get_response(request)
