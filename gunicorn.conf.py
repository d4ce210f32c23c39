"""gunicorn settings for the portal's web process.

gunicorn reads this file when it starts in the repository's top folder (its default
`./gunicorn.conf.py`); options given on the command line take precedence. The
environment variables below change the defaults without editing the file.
"""

import os

worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# Seconds an idle keep-alive connection stays open. It must be longer than a client's
# pause between calls: when the server closes an idle connection just as the client
# sends on it, the client gets a connection reset and no response. With gunicorn's
# default of 2 s, 24 clients pausing about 2 s between calls saw 6 resets in 720 calls.
# With 75 s they saw none (measured on 127.0.0.1, see docs/benchmarks.md). A reverse
# proxy in front should close its idle upstream connections sooner than this.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))

# A worker silent for this many seconds is restarted. The slowest calls (a day's list of
# 20,000 lines) take a few seconds.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
backlog = 2048

# %(U)s is the path without the query string: GET calls carry the API token and the
# API's `login` method a password in the query, and neither may reach a log file.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'
