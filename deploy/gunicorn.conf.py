"""Kezek: gunicorn's settings for one app server (deploy/systemd/kezek-web@.service runs one per port).

    gunicorn -c deploy/gunicorn.conf.py

The app keeps nothing in the process (state lives in PostgreSQL and Redis), so any number of these run side by
side behind nginx (deploy/nginx/kezek.conf). Set by the environment: KEZEK_WEB_BIND (default 127.0.0.1:8001),
KEZEK_WEB_WORKERS (default 2 x CPU cores + 1) and KEZEK_WEB_THREADS (default 4); options given on the command
line win over this file (tests/scale starts its servers that way, on free ports).
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
bind = [os.environ.get("KEZEK_WEB_BIND", "127.0.0.1:8001")]
workers = int(os.environ.get("KEZEK_WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Threads let one worker wait on the database for one request while answering another, and keep nginx's
# upstream connections open (a sync worker closes every connection after one answer).
worker_class = "gthread"
threads = int(os.environ.get("KEZEK_WEB_THREADS", "4"))

# A request still running after 30 s is killed (nginx waits 35 s, then answers 503). Long work (rounds,
# statements, scans) runs in the worker, never in a request.
timeout = 30
graceful_timeout = 30
# Longer than nginx's upstream keepalive_timeout (60 s): nginx closes an idle connection first.
keepalive = 75
# Recycle workers now and then, spread out, so slow leaks never build up and no two restart together.
max_requests = 5000
max_requests_jitter = 500
# Heartbeat files in memory, not on a disk that may stall under load.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# The app writes its own request log (kezek.request, JSON, with the request id nginx sends); gunicorn's
# access log would repeat it. gunicorn's own messages go to standard error (the journal under systemd).
accesslog = None
errorlog = "-"
loglevel = "info"
proc_name = "kezek-web"


def child_exit(server, worker):
    """A finished worker's live gauges leave /metrics; its counters stay summed (PROMETHEUS_MULTIPROC_DIR)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
