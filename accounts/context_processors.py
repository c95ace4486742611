def scope(request):
    return {"scope": getattr(request, "scope", None)}
