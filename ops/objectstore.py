"""A stand-in S3-compatible object store on loopback, for the restore drill and the tests.

moto's S3 server (`moto[server]`, a test dependency), served by gunicorn over TLS:
    gunicorn --chdir ops -w 1 --threads 8 -k gthread --certfile C --keyfile K
        objectstore:application

Why gunicorn and not `moto_server --ssl`: pgBackRest speaks to S3 over TLS only, and Werkzeug's
development server closes its TLS connections without a close_notify, which pgBackRest (OpenSSL
3) takes for a truncated answer ("unexpected eof while reading") and retries for ever.
One worker process: moto keeps every bucket in that process's memory.
"""

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

application = DomainDispatcherApplication(create_backend_app)
