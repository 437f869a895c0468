"""The moderators' review queue: flagged posts and posts held as likely spam."""

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from app.db import get_session
from app.extensions import write_limited
from app.staff import bp
from app.web import ActionForm, viewer
from community import audit, flags, threads
from community.errors import ValidationError


class DecisionForm(FlaskForm):
    note = StringField("Note for the audit log (optional)", validators=[Length(max=audit.MAX_NOTE)])


@bp.route("/flags")
def review_queue():
    db = get_session()
    return render_template(
        "staff/flags.html", queue=flags.review_queue(db, viewer()), decision_form=DecisionForm(), action_form=ActionForm()
    )


def _decide(post_id: int, decide, done: str):
    db = get_session()
    post = threads.get_post(db, post_id, viewer())
    form = DecisionForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            flash("The form expired; reload the page and try again.", "error")
        else:
            flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("staff.review_queue"))
    try:
        count = decide(db, viewer(), post, note=form.note.data or "")
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
        return redirect(url_for("staff.review_queue"))
    db.commit()
    flash(done.format(count=count, s="" if count == 1 else "s"), "success")
    return redirect(url_for("staff.review_queue"))


@bp.route("/flags/<int:post_id>/uphold", methods=["POST"])
@write_limited
def uphold_flags(post_id: int):
    return _decide(post_id, flags.uphold, "Upheld {count} flag{s}: the post is hidden and the flaggers are told.")


@bp.route("/flags/<int:post_id>/dismiss", methods=["POST"])
@write_limited
def dismiss_flags(post_id: int):
    return _decide(post_id, flags.dismiss, "Dismissed {count} flag{s}: the post stays up and the flaggers are told.")
