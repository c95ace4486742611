"""Production: no defaults for secrets, HTTPS everywhere, hashed static files."""

from .base import *  # noqa: F403
from .base import MIDDLEWARE, REDIS_SENTINELS, REDIS_URL, STORAGES, env, mailers_from_url
from .required import required_redis_url, required_site_url

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
MAILERS = mailers_from_url(env.email_url("EMAIL_URL"))  # real mail: no console default
# No development fallbacks on a server: links in emails and QR codes must name the real site,
# and every worker must share one cache (rate limits, login throttling) and one broker.
SITE_URL = required_site_url(env.str("SITE_URL", default=""))
# (Through Sentinel, REDIS_SENTINELS names the servers instead of REDIS_URL.)
if not REDIS_SENTINELS:
    REDIS_URL = required_redis_url(REDIS_URL)

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The load balancer probes /healthz over plain http (it is answered before this redirect
# anyway, by notifications.health.HealthzMiddleware; this says so to whoever reads the settings).
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Sessions live in the browser, in a cookie signed with SECRET_KEY (README, "Sessions through
# a failover"): no server holds them, so losing the database primary, the Redis master or a web
# node logs nobody out. What a server-side session would add, the app does otherwise: each
# request reads the account afresh (a deactivated account, or a changed password, ends every
# session of it at once), and the idle and absolute limits are stamped into the signed cookie
# (accounts/session_limits.py). SESSION_ENGINE=django.contrib.sessions.backends.db keeps them
# in PostgreSQL instead.
SESSION_ENGINE = env.str(
    "SESSION_ENGINE", default="django.contrib.sessions.backends.signed_cookies"
)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = True

STORAGES = {
    "default": STORAGES["default"],  # the shared folder, or S3 with STORAGE_S3_BUCKET
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The app serves its own static files (no CDN, no separate web server needed).
# (Right after SecurityMiddleware, as whitenoise asks.)
_after = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1
MIDDLEWARE = [
    *MIDDLEWARE[:_after],
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[_after:],
]
