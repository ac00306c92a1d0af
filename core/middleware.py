"""Refuse NUL characters in the URL, the query string and form bodies with 400, before any view runs.

PostgreSQL cannot store U+0000 in text, nor compare text with it: a `%00` anywhere a view passes a value to
a query (a search box, a sign-in form's username that django-axes records, a comment) was a 500. No text a
person types contains NUL, so the request is refused whole, naming the parameter. JSON bodies are checked
field by field by the API's serializers (core.serializers, DRF's CharField), which DRF parses later.
"""

from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render

from .text import NUL_MESSAGE

NAME_KEY = "non_field_errors"  # a parameter whose name holds NUL names no field: the request as a whole
NAME_MESSAGE = "A parameter's name contains a NUL character (U+0000)."


def nul_parameter(request) -> str | None:
    """The name of the first parameter (or "path") that contains a NUL character, NAME_KEY when a
    parameter's name itself does, else None."""
    if "\x00" in request.path:
        return "path"
    sources = [request.GET]
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            sources.append(request.POST)  # only form bodies are parsed here; JSON stays for DRF
        except (MultiPartParserError, OSError):
            pass  # a broken body is the view's (and its parser's) to refuse
    for params in sources:
        for name, values in params.lists():
            if "\x00" in name:
                return NAME_KEY
            if any("\x00" in value for value in values):
                return name
    return None


class RefuseNulMiddleware:
    """Answers 400 naming the parameter: JSON `{name: [message]}` under /api/, a page elsewhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = nul_parameter(request)
        if name is None:
            return self.get_response(request)
        message = NAME_MESSAGE if name == NAME_KEY else NUL_MESSAGE
        if request.path.startswith("/api/"):
            return JsonResponse({name: [message]}, status=400)
        field = "" if name == NAME_KEY else name
        return render(request, "400.html", {"field": field, "message": message}, status=400)
