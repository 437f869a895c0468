"""What crawlers and feed readers fetch: robots.txt, the sitemap and Atom feeds."""

from flask import Blueprint

bp = Blueprint("seo", __name__)

from app.seo import routes  # noqa: E402,F401 - registers the views
