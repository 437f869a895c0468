"""The Flask application factory."""

from pathlib import Path

from flask import Flask
from flask_openapi3 import Info, OpenAPI

import config as config_module
from app import converters, db, extensions, rate_limit_storage, serving
from community import rules

ROOT = Path(__file__).resolve().parent.parent


API_DESCRIPTION = (
    "Read and write the community from other tools: a CRM, a ticketing system, a script. "
    "The API uses the same rules and permission checks as the web pages. Errors are "
    "`application/problem+json` (RFC 9457). Lists are paged with `page` and `per_page`. "
    "A body over the size limit is answered `413`; a method a path does not take, `405` with an "
    "`Allow` header. Every operation's answer reports the caller's rate-limit budget in "
    "`X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`; `429` (too many calls) "
    "and `503` (search unavailable) say how many seconds to wait in `Retry-After`."
)


def create_app(config: object | None = None) -> Flask:
    from app.api import auth as api_auth, problems

    # OpenAPI is a Flask subclass that also collects the API's operations into its document.
    app = OpenAPI(
        __name__,
        info=Info(title="Hearth API", version="1", description=API_DESCRIPTION),
        security_schemes=api_auth.SECURITY_SCHEMES,
        validation_error_model=problems.Problem,
        validation_error_callback=problems.from_model_error,
        doc_ui=False,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
        instance_path=str(config_module.INSTANCE_DIR),
    )
    converters.init_app(app)
    app.config.from_object(config or config_module.config_from_env())
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or rate_limit_storage.storage_uri(
            Path(app.instance_path) / "rate-limits"
        )
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        Path(app.config["DATABASE_URL"].removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

    rules.configure(app.config["REPUTATION_RULES"], app.config["RANK_NAMES"] or None)
    serving.init_app(app)  # first: a server waits here while a restore runs
    db.init_app(app)
    extensions.login_manager.init_app(app)
    extensions.csrf.init_app(app)
    extensions.init_limiter(app)

    from app import auth, cli, errors, mail_sender, page_cache, searching, security, templating, view_counts, webhook_sender
    from app import api, notifications
    from app.admin import bp as admin_bp
    from app.care import bp as care_bp
    from app.mail import bp as mail_bp
    from app.seo import bp as seo_bp
    from app.staff import bp as staff_bp
    from app.threads import bp as threads_bp
    from app.tokens import bp as tokens_bp
    from app.users import bp as users_bp

    auth.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    view_counts.init_app(app)
    page_cache.init_app(app)
    searching.init_app(app)
    webhook_sender.init_app(app)
    mail_sender.init_app(app)
    app.register_blueprint(threads_bp)
    app.register_blueprint(users_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(seo_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(care_bp)
    notifications.init_app(app)
    app.register_blueprint(mail_bp)
    api.init_app(app)
    app.register_blueprint(tokens_bp)
    return app
