"""Titles of the admin site, which is the portal's main screen."""

from django.conf import settings
from django.contrib import admin

admin.site.site_header = settings.PORTAL_NAME
admin.site.site_title = settings.PORTAL_NAME
admin.site.index_title = "Dashboard"
