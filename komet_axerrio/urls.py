"""URL map: the admin (the portal's main screen), the vendor API and its schema."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from api.urls import method_not_found

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    # "/api" without the slash, so that a POST to it gets the envelope, not a redirect.
    path("api", method_not_found),
    path("api/", include("api.urls")),
    path("labels/", include("labels.urls")),
    path("receiving/", include("receiving.urls")),
    path("dashboard/", include("dashboard.urls")),
]
