from flask import flash, redirect, render_template, url_for
from flask_login import login_required

from app.db import get_session
from app.extensions import write_limited
from app.notifications import bp
from app.web import ActionForm, page_arg, require_action_form, viewer
from community import badges, notifications
from community.models import Notification

PER_PAGE = 30
_BADGE_KEYS = {badge.name: badge.key for badge in badges.BADGES}


def target_url(note: Notification) -> str:
    """Where a notification leads: its post, its thread, the badge earned, or back to the list."""
    if note.post_id is not None:
        return url_for("threads.post_link", post_id=note.post_id)
    if note.thread is not None:
        return url_for("threads.thread", thread_id=note.thread.id, slug=note.thread.slug)
    if note.kind == "badge" and note.text in _BADGE_KEYS:
        return url_for("users.badge_detail", key=_BADGE_KEYS[note.text])
    return url_for("notifications.centre")


@bp.route("/notifications")
@login_required
def centre():
    db = get_session()
    page = notifications.for_user(db, viewer(), page_arg(), PER_PAGE)
    return render_template(
        "notifications/centre.html",
        page=page,
        kinds=notifications.KINDS,
        unread=notifications.unread_count(db, viewer()),
        action_form=ActionForm(),
    )


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
@write_limited
def open_one(notification_id: int):
    """Mark one notification read and go where it points; someone else's is left alone."""
    require_action_form()
    db = get_session()
    note = notifications.open_notification(db, viewer(), notification_id)
    db.commit()
    if note is None:
        return redirect(url_for("notifications.centre"))
    return redirect(target_url(note))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
@write_limited
def read_all():
    require_action_form()
    db = get_session()
    changed = notifications.mark_read(db, viewer())
    db.commit()
    flash(f"Marked {changed} notification{'' if changed == 1 else 's'} read." if changed else "Nothing was unread.",
          "success")
    return redirect(url_for("notifications.centre"))


def unread_for_header() -> int:
    """The signed-in member's unread count for the page header (visitors never reach this)."""
    return notifications.unread_count(get_session(), viewer())
