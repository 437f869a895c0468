from flask import abort, current_app, render_template, request

from app.db import get_session
from app.users import bp
from app.web import page_arg, viewer
from community import accounts, reading

TABS = ("questions", "answers", "following")


@bp.route("/u/<username>")
def profile(username: str):
    db = get_session()
    user = accounts.get_by_username(db, username)
    tab = request.args.get("tab", "questions")
    if tab not in TABS:
        abort(404)
    per_page = current_app.config["THREADS_PER_PAGE"]
    listing = {
        "questions": reading.asked_by,
        "answers": reading.answers_by,
        "following": reading.followed_threads,
    }[tab](db, user, viewer(), page_arg(), per_page)
    return render_template(
        "users/profile.html", user=user, tab=tab, listing=listing, stats=reading.member_stats(db, user)
    )
