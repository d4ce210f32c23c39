"""Stand-alone programs that play external systems against the portal over HTTP.

Nothing in this package imports Django or the portal's apps, so it can run next to a
portal process or inside the test suite without a database.
"""
