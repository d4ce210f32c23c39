"""The accounts app keeps no tables of its own (roles are Django groups).

This module exists so Django treats the app as having models and sends it the
post_migrate signal that refreshes the role groups.
"""
