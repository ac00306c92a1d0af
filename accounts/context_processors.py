from . import selectors


def workspace(request):
    """The workspace the signed-in person is working in, and the others they can switch to."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    current = selectors.current_workspace(request)
    return {"current_workspace": current}
