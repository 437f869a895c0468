"""Configuration classes read from environment variables, with embedded defaults."""

import json
import os
import secrets
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("HEARTH_INSTANCE_DIR", BASE_DIR / "instance"))


def _development_secret_key() -> str:
    """Generate a secret key once and keep it under instance/ so sessions survive restarts."""
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        write_private(key_file, secrets.token_hex(32))
    return key_file.read_text().strip()


def write_private(path: Path, text: str, *, replace: bool = False) -> None:
    """Write a file only its owner can read, created so from the start (never 0644 for a moment)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)  # an existing file being replaced keeps its old mode otherwise
    with os.fdopen(fd, "w") as out:
        out.write(text)


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _json(name: str) -> dict:
    raw = os.environ.get(name)
    return json.loads(raw) if raw else {}


def _names(name: str) -> list[str]:
    raw = os.environ.get(name, "")
    return [part.strip() for part in raw.split(",") if part.strip()]


class Config:
    SITE_NAME = os.environ.get("HEARTH_SITE_NAME", "Hearth")
    DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'hearth.db'}"
    SQLITE_BUSY_TIMEOUT_MS = _int("SQLITE_BUSY_TIMEOUT_MS", 15000)
    REDIS_URL = os.environ.get("REDIS_URL")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    MAX_CONTENT_LENGTH = 1024 * 1024

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None

    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    # Where the counters live; unset: Redis when REDIS_URL is set, otherwise a store under the
    # instance folder that every worker process of this machine shares ("memory://": each its own).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI")
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute")
    RATELIMIT_REGISTER = os.environ.get("RATELIMIT_REGISTER", "5 per hour")
    RATELIMIT_WRITE = os.environ.get("RATELIMIT_WRITE", "30 per minute")
    # Many accounts writing from one address (a script signing up sock puppets) hit this.
    RATELIMIT_WRITE_PER_ADDRESS = os.environ.get("RATELIMIT_WRITE_PER_ADDRESS", "120 per minute")
    # Questions and answers posted by a new account (below the `new_account_reputation` rule).
    RATELIMIT_NEW_ACCOUNT_POSTS = os.environ.get("RATELIMIT_NEW_ACCOUNT_POSTS", "10 per day")
    # Asking for reset or verification links, confirming them and unsubscribing, per address.
    RATELIMIT_MAIL = os.environ.get("RATELIMIT_MAIL", "10 per hour")
    RATELIMIT_SEARCH = os.environ.get("RATELIMIT_SEARCH", "60 per minute")
    # The ask page looks up similar questions as the title is typed.
    RATELIMIT_SIMILAR = os.environ.get("RATELIMIT_SIMILAR", "120 per minute")
    # REST API: every call, per token (or per address without one), and writes on top of that.
    RATELIMIT_API = os.environ.get("RATELIMIT_API", "300 per minute")
    RATELIMIT_API_WRITE = os.environ.get("RATELIMIT_API_WRITE", "30 per minute")

    SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "whoosh")
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR") or str(INSTANCE_DIR / "search-index")
    # How the index follows the database: "thread" (a background thread in each web worker),
    # "worker" (a separate `flask search worker` process), or "sync" (right after each commit).
    SEARCH_INDEXER = os.environ.get("SEARCH_INDEXER", "thread")
    SEARCH_RESULTS_PER_PAGE = _int("SEARCH_RESULTS_PER_PAGE", 10)

    THREADS_PER_PAGE = _int("THREADS_PER_PAGE", 20)
    ANSWERS_PER_PAGE = _int("ANSWERS_PER_PAGE", 30)
    # How far another answer must outscore the accepted one before readers are told.
    OUTSCORED_MARGIN = _int("OUTSCORED_MARGIN", 5)

    # Reputation points, caps, privilege thresholds and anti-gaming limits: any field of
    # community.rules.ReputationRules, as JSON (see the README for every key and default).
    REPUTATION_RULES = _json("HEARTH_REPUTATION_RULES")
    # Rank names, lowest first, comma-separated: "Newcomer,Member,Helper,Expert,Advocate,Champion".
    RANK_NAMES = _names("HEARTH_RANK_NAMES")
    # Page views are counted in memory and written to the database at most this often.
    VIEW_COUNT_FLUSH_SECONDS = _int("VIEW_COUNT_FLUSH_SECONDS", 10)
    # Pages for visitors who are not signed in are kept this long in each worker (0: never),
    # in at most this many megabytes; a thread page is renewed as soon as the thread changes.
    ANON_CACHE_SECONDS = _int("ANON_CACHE_SECONDS", 30)
    ANON_CACHE_MB = _int("ANON_CACHE_MB", 16)
    # Results of the same search are shared by the workers of one machine while the Whoosh
    # index is unchanged, in at most this many megabytes (0: never) under SEARCH_CACHE_DIR
    # (default: beside the index).
    SEARCH_CACHE_MB = _int("SEARCH_CACHE_MB", 64)
    SEARCH_CACHE_DIR = os.environ.get("SEARCH_CACHE_DIR")
    # Searches served from that store are logged for analytics in batches, at most this often.
    SEARCH_LOG_FLUSH_SECONDS = _int("SEARCH_LOG_FLUSH_SECONDS", 5)

    # How webhook deliveries are sent after the commit that queued them: "thread" (a background
    # thread in each web worker), "worker" (only a separate `flask webhooks worker` process), or
    # "sync" (right after each commit, in the same thread).
    WEBHOOK_SENDER = os.environ.get("WEBHOOK_SENDER", "thread")
    WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", 5))
    # How often the background thread looks for retries that came due.
    WEBHOOK_POLL_SECONDS = float(os.environ.get("WEBHOOK_POLL_SECONDS", 5))

    # The care queue: an answered thread still unsolved after this many days comes back to it;
    # an unanswered one is due soon in the last quarter of the first-response target, then overdue.
    CARE_UNSOLVED_DAYS = _int("CARE_UNSOLVED_DAYS", 3)
    CARE_FIRST_RESPONSE_MINUTES = _int("CARE_FIRST_RESPONSE_MINUTES", 60)
    CARE_QUEUE_PER_PAGE = _int("CARE_QUEUE_PER_PAGE", 25)
    # Care metrics (/staff/metrics), the staffing estimate's inputs: handling minutes per
    # question, staff hours available a week (0: the number of team members ×
    # CARE_HOURS_PER_STAFF_MEMBER), and how many recent weeks it reads.
    CARE_MINUTES_PER_THREAD = float(os.environ.get("CARE_MINUTES_PER_THREAD", 15))
    CARE_STAFF_HOURS_PER_WEEK = float(os.environ.get("CARE_STAFF_HOURS_PER_WEEK", 0))
    CARE_HOURS_PER_STAFF_MEMBER = float(os.environ.get("CARE_HOURS_PER_STAFF_MEMBER", 30))
    CARE_STAFFING_WEEKS = max(1, _int("CARE_STAFFING_WEEKS", 4))
    # Reminders sent by `flask care remind`: an asker whose thread has answers but none accepted
    # after this many days; whoever should respond to a thread still unanswered after this many minutes.
    CARE_ACCEPT_REMINDER_DAYS = _int("CARE_ACCEPT_REMINDER_DAYS", 3)

    # Email. Without MAIL_SERVER, messages are appended to MAIL_OUTBOX_PATH (an mbox) instead.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _int("MAIL_PORT", 587)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1") not in ("0", "false", "no", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Hearth <noreply@localhost>")
    MAIL_OUTBOX_PATH = os.environ.get("MAIL_OUTBOX_PATH") or str(INSTANCE_DIR / "outbox.mbox")
    MAIL_TIMEOUT_SECONDS = float(os.environ.get("MAIL_TIMEOUT_SECONDS", 10))
    # Who sends after the commit: "thread", "worker" (only `flask mail send`) or "sync".
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "thread")
    MAIL_POLL_SECONDS = float(os.environ.get("MAIL_POLL_SECONDS", 30))
    # The site's public address, for the links in emails (there is no request to take it from).
    SITE_URL = os.environ.get("SITE_URL", "http://localhost:5000")


class DevelopmentConfig(Config):
    ENV_NAME = "development"

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or _development_secret_key()


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = os.environ.get("HEARTH_INSECURE_COOKIES") != "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    def __init__(self) -> None:
        key = os.environ.get("SECRET_KEY")
        if not key:
            raise RuntimeError("SECRET_KEY must be set in the environment in production.")
        self.SECRET_KEY = key


class TestingConfig(Config):
    __test__ = False  # a configuration, not a test class
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"  # each test app counts alone; nothing is left on disk
    THREADS_PER_PAGE = 5
    ANSWERS_PER_PAGE = 30
    SEARCH_INDEXER = "sync"
    WEBHOOK_SENDER = "sync"
    MAIL_SENDER = "worker"  # a test sends what it means to, into its own outbox
    VIEW_COUNT_FLUSH_SECONDS = 0
    ANON_CACHE_SECONDS = 0
    SEARCH_CACHE_MB = 0
    SEARCH_LOG_FLUSH_SECONDS = 0

    def __init__(
        self, database_url: str | None = None, search_index_dir: str | None = None, search_backend: str | None = None
    ) -> None:
        if database_url:
            self.DATABASE_URL = database_url
        if search_backend:
            self.SEARCH_BACKEND = search_backend
        # Each test app gets its own index unless told otherwise, never the real one under instance/.
        self.SEARCH_INDEX_DIR = search_index_dir or tempfile.mkdtemp(prefix="hearth-test-index-")


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def config_from_env() -> Config:
    name = os.environ.get("HEARTH_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise RuntimeError(f"HEARTH_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
