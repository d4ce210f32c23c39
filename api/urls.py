"""One URL per API method: `/api/<method name>`; any other path gets a Komet 404 envelope."""

from django.urls import path, re_path

from api.methods import METHOD_VIEWS
from api.not_found import method_not_found_view

app_name = "api"

method_not_found = method_not_found_view({view.name for view in METHOD_VIEWS})

urlpatterns = [
    *(path(view.name, view.as_view(), name=view.name) for view in METHOD_VIEWS),
    # Last, so that it only gets paths no method matched.
    re_path(r"^(?P<method>.*)$", method_not_found, name="method-not-found"),
]
