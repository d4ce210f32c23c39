"""One URL per API method: `/api/<method name>`."""

from django.urls import path

from api.methods import METHOD_VIEWS

app_name = "api"

urlpatterns = [path(view.name, view.as_view(), name=view.name) for view in METHOD_VIEWS]
