from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    # RedirectView redirects every method (a DELETE of / too): only reads are sent on.
    path(
        "",
        RedirectView.as_view(
            pattern_name="journeys:list", permanent=False, http_method_names=["get", "head"]
        ),
        name="home",
    ),
    path("accounts/", include("accounts.urls")),
    path("journeys/", include("journeys.urls")),
    path("research/", include("research.urls")),
    path("metrics/", include("metrics.urls")),
    path("prioritization/", include("prioritization.urls")),
    path("imports/", include("core.urls")),
    path("api/v1/", include("accounts.api_urls")),
    path("api/v1/", include("journeys.api.urls")),
    path("api/v1/", include("research.api.urls")),
    path("api/v1/", include("metrics.api.urls")),
    path("api/v1/", include("prioritization.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's init script from `?script` instead of inline (our CSP has no
    # 'unsafe-inline' for scripts).
    path(
        "api/docs/",
        # GET only: an OPTIONS answer rendered through the Swagger template was a 500.
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html", http_method_names=["get", "head"]
        ),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
]

# Errors outside a view's own answers: JSON under /api/, Django's pages elsewhere (core/api.py).
handler400 = "core.api.bad_request"
handler404 = "core.api.not_found"
handler500 = "core.api.server_error"
