"""The loopback cluster of `make cluster` (bin/cluster/): production's settings, with the one
difference the fault drill needs. Its mail server is a directory, one file per message, so the
drill can count every reminder email that went out (and any that went out twice)."""

from .production import *  # noqa: F403
from .production import env

MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": env.str("CLUSTER_MAIL_DIR")},
    }
}

# Everything of the loopback cluster runs on this machine, and so would its Prometheus: each web
# node's /metrics answers loopback (production lists its Prometheus servers instead).
METRICS_ALLOWED_ADDRESSES = ["127.0.0.1/32"]
