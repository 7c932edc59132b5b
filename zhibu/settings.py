"""zhibu settings: one module, driven by the environment.

Every value comes from an environment variable with a safe demo default. Malformed values stop
the process with a message that names the variable, rather than being silently ignored.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("ZHIBU_VAR_DIR", BASE_DIR.parent / "var"))

DEMO_SECRET_KEY = "zhibu-demo-secret-key-do-not-use-in-production"  # public: demo only

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_database(name: str, default: str) -> dict:
    raw = os.environ.get(name) or default
    try:
        config = dj_database_url.parse(raw, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
    except Exception as exc:  # dj_database_url raises several types for bad URLs
        raise ImproperlyConfigured(f"{name}={raw!r} is not a valid database URL: {exc}") from None
    engine = config.get("ENGINE", "")
    if engine.endswith("sqlite3"):
        name_ = str(config.get("NAME", ""))
        if name_ and name_ != ":memory:":
            Path(name_).parent.mkdir(parents=True, exist_ok=True)
        config.setdefault("OPTIONS", {})
        # WAL lets the demo's web server and worker read while the other writes; a writer
        # waits up to SQLITE_BUSY_SECONDS for another's transaction (a big roster import)
        # instead of failing with "database is locked".
        busy_ms = env_int("SQLITE_BUSY_SECONDS", 30) * 1000
        config["OPTIONS"].setdefault(
            "init_command",
            f"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={busy_ms};",
        )
        config["OPTIONS"].setdefault("timeout", busy_ms / 1000)
        config["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
        # A file (not in-memory) test database, so a worker subprocess can open it too.
        config.setdefault("TEST", {})
        config["TEST"].setdefault(
            "NAME", str(Path(tempfile.gettempdir()) / f"zhibu-test-{os.getpid()}.sqlite3")
        )
    elif engine.endswith("mysql"):
        config.setdefault("OPTIONS", {})
        config["OPTIONS"].setdefault("charset", "utf8mb4")
        config["OPTIONS"].setdefault("isolation_level", "read committed")
        config.setdefault("TEST", {})
        config["TEST"].setdefault("CHARSET", "utf8mb4")
        config["TEST"].setdefault("COLLATION", "utf8mb4_unicode_ci")
    elif not engine.endswith("postgresql"):
        raise ImproperlyConfigured(
            f"{name}: unsupported database {engine!r}; use sqlite://, postgres:// or mysql://."
        )
    return config


# Fail closed: DEBUG is off unless asked for. ZHIBU_DEMO=1 says "this instance is a demo"
# (`zhibu demo` sets it for itself); serving (`zhibu serve`, zhibu.wsgi) refuses DEBUG and the
# public demo key without it, see zhibu.core.startup.
ZHIBU_DEMO = env_bool("ZHIBU_DEMO", False)
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", DEMO_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "zhibu.core",
    "zhibu.accounts",
    "zhibu.audit",
    "zhibu.orgs",
    "zhibu.members",
    "zhibu.orglife",
    "zhibu.reports",
    "zhibu.compliance",
    "zhibu.notify",
    "zhibu.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "zhibu.audit.middleware.AuditMiddleware",
    "zhibu.accounts.middleware.ForcePasswordChangeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "zhibu.core.middleware.HtmxHistoryMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "zhibu.urls"
WSGI_APPLICATION = "zhibu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'zhibu.sqlite3'}")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes first: a locked-out account or address is refused before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "zhibu.accounts.backends.PhoneOrUsernameBackend",
]
# Login lockout (django-axes): after ZHIBU_LOGIN_FAILURE_LIMIT wrong passwords for one account,
# or ZHIBU_LOGIN_ADDRESS_LIMIT from one address (an office shares one), logins stop for
# ZHIBU_LOGIN_LOCKOUT_MINUTES; an administrator unlocks earlier in the admin (访问尝试) or with
# `zhibu axes_reset_username NAME`.
# Audit rows are kept this many days; fewer than 183 (six months) is refused.
ZHIBU_AUDIT_RETENTION_DAYS = env_int("ZHIBU_AUDIT_RETENTION_DAYS", 200)
ZHIBU_LOGIN_FAILURE_LIMIT = env_int("ZHIBU_LOGIN_FAILURE_LIMIT", 5)
ZHIBU_LOGIN_ADDRESS_LIMIT = env_int("ZHIBU_LOGIN_ADDRESS_LIMIT", 50)
AXES_FAILURE_LIMIT = ZHIBU_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ZHIBU_LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "zhibu.accounts.lockout.LockoutHandler"
AXES_USERNAME_CALLABLE = "zhibu.accounts.lockout.login_name"
AXES_LOCKOUT_CALLABLE = "zhibu.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
if ZHIBU_LOGIN_FAILURE_LIMIT < 1 or ZHIBU_LOGIN_ADDRESS_LIMIT < ZHIBU_LOGIN_FAILURE_LIMIT:
    raise ImproperlyConfigured(
        "ZHIBU_LOGIN_FAILURE_LIMIT must be at least 1 and ZHIBU_LOGIN_ADDRESS_LIMIT at least as "
        "large."
    )

# Single sign-on (docs/deployment.md). Each is tried before local login, which stays available.
# Accounts are never created for unknown people: a login links to the roster by phone number or
# employee number (zhibu.members.sso).
ZHIBU_LDAP_URI = env_str("ZHIBU_LDAP_URI", "")
ZHIBU_LDAP_PHONE_ATTR = env_str("ZHIBU_LDAP_PHONE_ATTR", "mobile")
ZHIBU_LDAP_EMPLOYEE_ATTR = env_str("ZHIBU_LDAP_EMPLOYEE_ATTR", "employeeNumber")
ZHIBU_OIDC_CLIENT_ID = env_str("ZHIBU_OIDC_CLIENT_ID", "")
ZHIBU_OIDC_PHONE_CLAIM = env_str("ZHIBU_OIDC_PHONE_CLAIM", "phone_number")
ZHIBU_OIDC_EMPLOYEE_CLAIM = env_str("ZHIBU_OIDC_EMPLOYEE_CLAIM", "employee_number")


def _env_required(name: str, why: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} is required when {why} is set.")
    return value


if ZHIBU_LDAP_URI:
    import ldap
    from django_auth_ldap.config import LDAPSearch

    AUTH_LDAP_SERVER_URI = ZHIBU_LDAP_URI
    AUTH_LDAP_BIND_DN = env_str("ZHIBU_LDAP_BIND_DN", "")
    AUTH_LDAP_BIND_PASSWORD = env_str("ZHIBU_LDAP_BIND_PASSWORD", "")
    AUTH_LDAP_USER_SEARCH = LDAPSearch(
        _env_required("ZHIBU_LDAP_USER_BASE", "ZHIBU_LDAP_URI"),
        ldap.SCOPE_SUBTREE,
        env_str("ZHIBU_LDAP_USER_FILTER", "(uid=%(user)s)"),
    )
    AUTH_LDAP_START_TLS = env_bool("ZHIBU_LDAP_START_TLS", False)
    AUTH_LDAP_ALWAYS_UPDATE_USER = False
    AUTH_LDAP_CONNECTION_OPTIONS = {ldap.OPT_NETWORK_TIMEOUT: env_int("ZHIBU_LDAP_TIMEOUT", 5)}
    AUTHENTICATION_BACKENDS.insert(1, "zhibu.members.sso.LinkingLDAPBackend")  # after axes

if ZHIBU_OIDC_CLIENT_ID:
    INSTALLED_APPS.append("mozilla_django_oidc")
    OIDC_RP_CLIENT_ID = ZHIBU_OIDC_CLIENT_ID
    OIDC_RP_CLIENT_SECRET = _env_required("ZHIBU_OIDC_CLIENT_SECRET", "ZHIBU_OIDC_CLIENT_ID")
    OIDC_OP_AUTHORIZATION_ENDPOINT = _env_required(
        "ZHIBU_OIDC_AUTHORIZATION_ENDPOINT", "ZHIBU_OIDC_CLIENT_ID"
    )
    OIDC_OP_TOKEN_ENDPOINT = _env_required("ZHIBU_OIDC_TOKEN_ENDPOINT", "ZHIBU_OIDC_CLIENT_ID")
    OIDC_OP_USER_ENDPOINT = _env_required("ZHIBU_OIDC_USERINFO_ENDPOINT", "ZHIBU_OIDC_CLIENT_ID")
    OIDC_RP_SIGN_ALGO = env_str("ZHIBU_OIDC_SIGN_ALGO", "RS256")
    OIDC_OP_JWKS_ENDPOINT = env_str("ZHIBU_OIDC_JWKS_ENDPOINT", "")
    if OIDC_RP_SIGN_ALGO.startswith("RS") and not OIDC_OP_JWKS_ENDPOINT:
        raise ImproperlyConfigured("ZHIBU_OIDC_JWKS_ENDPOINT is required for RS* signatures.")
    OIDC_RP_SCOPES = env_str("ZHIBU_OIDC_SCOPES", "openid profile phone")
    LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/"
    AUTHENTICATION_BACKENDS.insert(1, "zhibu.members.sso.LinkingOIDCBackend")  # after axes
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
# zhibu/static (vendored htmx, Pico, ECharts and our CSS) belongs to no app: list it.
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# After `zhibu collectstatic` static files are served compressed with hashed names; before it
# (the demo, development, tests) straight from the app directories, so no page fails for want
# of a manifest whatever DEBUG says.
COLLECTED_STATIC = (STATIC_ROOT / "staticfiles.json").is_file()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if COLLECTED_STATIC
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not COLLECTED_STATIC
if not COLLECTED_STATIC:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ZHIBU_ATTACHMENT_MAX_BYTES = env_int("ZHIBU_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", SESSION_COOKIE_SECURE)
# Idle timeout: a session unused for this long ends (every request pushes the expiry on).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 120) * 60
if SESSION_COOKIE_AGE <= 0:
    raise ImproperlyConfigured("SESSION_IDLE_MINUTES must be at least 1.")
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", False)
X_FRAME_OPTIONS = "DENY"
# HTTPS (docs/deployment.md): behind a TLS proxy set all of these.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# "HTTP_X_FORWARDED_PROTO,https": the header a trusted proxy sets on HTTPS requests.
_proxy_header = env_list("SECURE_PROXY_SSL_HEADER", [])
if _proxy_header and len(_proxy_header) != 2:
    raise ImproperlyConfigured(
        f"SECURE_PROXY_SSL_HEADER={os.environ['SECURE_PROXY_SSL_HEADER']!r}: give the header "
        "and its HTTPS value, e.g. HTTP_X_FORWARDED_PROTO,https."
    )
SECURE_PROXY_SSL_HEADER = tuple(_proxy_header) if _proxy_header else None

EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "zhibu@localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Per account (or per address when anonymous); the counters live in the cache, so with
    # several server processes give them a shared cache.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("ZHIBU_API_RATE_ANON", "60/min"),
        "user": env_str("ZHIBU_API_RATE_USER", "600/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "zhibu API",
    "DESCRIPTION": "Organizational life of party branches. Same permissions as the pages.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from the drf-spectacular-sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would otherwise load a badge from validator.swagger.io on non-localhost hosts.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Choice sets that share a field name ("status", "method") get their own schema names.
    "ENUM_NAME_OVERRIDES": {
        "ComplianceStatusEnum": "zhibu.compliance.verdicts.Status",
        "LeaveStatusEnum": "zhibu.orglife.models.LeaveStatus",
        "SignInMethodEnum": "zhibu.orglife.models.SignInMethod",
        "MakeupMethodEnum": "zhibu.orglife.models.MakeupMethod",
        "OrgKindEnum": "zhibu.orgs.models.OrgKind",
        "ReportKindEnum": "zhibu.reports.models.ReportKind",
        "MembershipEndEnum": "zhibu.members.models.MembershipEnd",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Parameters of organizational life (make-up deadline, sign-in margin, ...) are not settings:
# they live in the registry (zhibu/orgs/parameters.py) and organizations set them for their
# subtree. The QR sign-in token's rotation is technical, so it is a setting.
ZHIBU_SIGNIN_TOKEN_SECONDS = env_int("ZHIBU_SIGNIN_TOKEN_SECONDS", 180)
# Wrong 6-digit sign-in codes: after this many from one member, or at one meeting from all,
# code sign-in pauses for ZHIBU_SIGNIN_CODE_LOCK_MINUTES (QR and the roster tick still work).
ZHIBU_SIGNIN_CODE_TRIES_MEMBER = env_int("ZHIBU_SIGNIN_CODE_TRIES_MEMBER", 5)
ZHIBU_SIGNIN_CODE_TRIES_MEETING = env_int("ZHIBU_SIGNIN_CODE_TRIES_MEETING", 50)
ZHIBU_SIGNIN_CODE_LOCK_MINUTES = env_int("ZHIBU_SIGNIN_CODE_LOCK_MINUTES", 10)

# Compliance sweeps (`zhibu worker`, `zhibu evaluate`): processes evaluating chunks of a large
# tree side by side (PostgreSQL/MySQL; SQLite always uses one).
ZHIBU_EVALUATE_WORKERS = env_int("ZHIBU_EVALUATE_WORKERS", 1)

# Reminders (notify): quiet hours in local time, no external message between them.
ZHIBU_QUIET_START = env_int("ZHIBU_QUIET_START", 22)
ZHIBU_QUIET_END = env_int("ZHIBU_QUIET_END", 7)
ZHIBU_DELIVERY_MAX_ATTEMPTS = env_int("ZHIBU_DELIVERY_MAX_ATTEMPTS", 6)
# How long a worker holds a claimed delivery before another may take it over (crash recovery).
ZHIBU_DELIVERY_LEASE_SECONDS = env_int("ZHIBU_DELIVERY_LEASE_SECONDS", 300)
ZHIBU_WEBHOOK_TIMEOUT = env_int("ZHIBU_WEBHOOK_TIMEOUT", 5)
# Hosts webhooks may go to (notify.outbound): exact names or "*.example.com"; internal addresses
# only when listed exactly. Default: the robots of WeCom, DingTalk and Feishu/Lark.
ZHIBU_WEBHOOK_HOSTS = env_list(
    "ZHIBU_WEBHOOK_HOSTS",
    ["qyapi.weixin.qq.com", "oapi.dingtalk.com", "open.feishu.cn", "open.larksuite.com"],
)
ZHIBU_BASE_URL = env_str("ZHIBU_BASE_URL", "http://127.0.0.1:8000")
# Links in notices use ZHIBU_BASE_URL; the sign-in QR uses the address the browser used, unless
# ZHIBU_BASE_URL is set explicitly (behind a proxy that does not pass the real host on).
ZHIBU_BASE_URL_FIXED = bool(os.environ.get("ZHIBU_BASE_URL"))

# The organization's own rule set for organ branches (the organ_model profile), as its rules
# cite it: 本单位规定《title》（number）. A bare title (no 《》); the number may stay empty.
ZHIBU_ORGAN_RULES_TITLE = env_str("ZHIBU_ORGAN_RULES_TITLE", "机关党支部组织生活规定").strip()
ZHIBU_ORGAN_RULES_NUMBER = env_str("ZHIBU_ORGAN_RULES_NUMBER", "").strip()
if not ZHIBU_ORGAN_RULES_TITLE or {"《", "》"} & set(ZHIBU_ORGAN_RULES_TITLE):
    raise ImproperlyConfigured(
        f"ZHIBU_ORGAN_RULES_TITLE={ZHIBU_ORGAN_RULES_TITLE!r}: give the bare title, without 《》."
    )
