from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="journeys:list", permanent=False), name="home"),
    path("accounts/", include("accounts.urls")),
    path("journeys/", include("journeys.urls")),
    path("api/v1/", include("accounts.api_urls")),
    path("api/v1/", include("journeys.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
