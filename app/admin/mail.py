"""The admin page for outgoing mail: what fails and why, what waits, and "retry now"."""

from flask import current_app, flash, redirect, render_template, url_for

from app.admin import bp
from app.db import get_session
from app.mail_sender import wake
from app.web import ActionForm, page_arg, require_action_form, viewer
from community import mail, mail_problems, permissions
from community.db import utcnow
from community.errors import ValidationError
from community.notifications import KINDS

# What account email is about; a notification's kind has its label in KINDS.
ACCOUNT_KIND_LABELS = {
    "password_reset": "Password reset",
    "verify_email": "Address check",
    "finish_signup": "Finish joining",
    "signup_attempt": "Joining with a used address",
}


@bp.context_processor
def _mail_trouble() -> dict:
    """The number beside the Mail tab, on every admin page an admin sees."""
    user = viewer()
    if not permissions.can_manage_mail(user):
        return {}
    return {"mail_trouble": mail_problems.trouble_count(get_session(), user)}


@bp.route("/mail")
def mail_status():
    db = get_session()
    return render_template(
        "admin/mail.html",
        counts=mail_problems.counts(db, viewer()),
        backlog=mail_problems.backlog(db, viewer()),
        page=mail_problems.problems(db, viewer(), page=page_arg()),
        kind_labels={**KINDS, **ACCOUNT_KIND_LABELS},
        max_attempts=mail.MAX_ATTEMPTS,
        first_retry_minutes=int(mail.FIRST_RETRY.total_seconds() // 60),
        shown_days=mail.FAILED_SHOWN_FOR.days,
        sender=current_app.config["MAIL_SENDER"],
        transport=current_app.config["MAIL_SERVER"] or current_app.config["MAIL_OUTBOX_PATH"],
        now=utcnow(),
        action_form=ActionForm(),
    )


@bp.route("/mail/<int:message_id>/retry", methods=["POST"])
def mail_retry(message_id: int):
    require_action_form()
    db = get_session()
    message = mail_problems.get_message(db, viewer(), message_id)
    try:
        mail_problems.retry_now(db, viewer(), message)
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        to_address = message.to_address
        db.commit()
        wake(current_app._get_current_object())
        flash(f"The message to {to_address} goes out again now.", "success")
    return redirect(url_for("admin.mail_status"))


@bp.route("/mail/retry", methods=["POST"])
def mail_retry_all():
    require_action_form()
    db = get_session()
    count = mail_problems.retry_all(db, viewer())
    db.commit()
    if count:
        wake(current_app._get_current_object())
        flash(f"{count} {'message goes' if count == 1 else 'messages go'} out again now.", "success")
    else:
        flash("No message is failing.", "info")
    return redirect(url_for("admin.mail_status"))
