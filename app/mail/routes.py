from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from app.db import get_session
from app.extensions import csrf, limiter, mail_limit
from app.mail import bp
from app.mail.forms import EmailSettingsForm, ForgotPasswordForm, ResetPasswordForm
from app.mail_sender import read_unsubscribe_token
from app.web import ActionForm, require_action_form, save, viewer
from community import account_email, mail
from community.errors import ValidationError
from community.notifications import KINDS, kinds_for

SENT_IF_KNOWN = "If an account uses that address, a link to choose a new password is on its way. It works for one hour."


def _link(endpoint: str):
    return lambda token: url_for(endpoint, token=token, _external=True)


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(mail_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        db = get_session()
        account_email.send_password_reset(
            db, form.email.data, _link("mail.reset_password"), current_app.config["SITE_NAME"]
        )
        db.commit()
        # The same words whether or not the address has an account.
        flash(SENT_IF_KNOWN, "info")
        return redirect(url_for("mail.forgot_password"))
    return render_template("mail/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(mail_limit, methods=["POST"])
def reset_password(token: str):
    db = get_session()
    form = ResetPasswordForm()
    if not account_email.reset_token_is_valid(db, token):
        return render_template("mail/link_invalid.html", message=account_email.INVALID), 404
    if form.validate_on_submit():
        ok, user = save(form, lambda: account_email.reset_password(db, token, form.password.data))
        if ok:
            if current_user.is_authenticated and current_user.id == user.id:
                logout_user()  # every session of that account has ended, this one too
            flash("Your password is changed and every device was signed out. Sign in with the new one.", "success")
            return redirect(url_for("threads.home"))
    return render_template("mail/reset.html", form=form), 400 if form.errors else 200


@bp.route("/verify-email/<token>", methods=["GET", "POST"])
@limiter.limit(mail_limit, methods=["POST"])
def verify_email(token: str):
    """GET shows a button and POST confirms: mail scanners that open links change nothing."""
    form = ActionForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            account_email.verify_email(db, token)
        except ValidationError as exc:
            db.rollback()
            return render_template("mail/link_invalid.html", message=str(exc)), 404
        db.commit()
        flash("Thank you: your email address is confirmed, and your posts may now contain links.", "success")
        return redirect(url_for("threads.home"))
    return render_template("mail/verify.html", form=form)


@bp.route("/settings/email", methods=["GET", "POST"])
@login_required
@limiter.limit(mail_limit, methods=["POST"])
def settings():
    db, user = get_session(), viewer()
    offered = kinds_for(user)
    form = EmailSettingsForm()
    form.kinds.choices = [(kind, label) for kind, label in offered.items()]
    if form.validate_on_submit():
        ok, _ = save(form, lambda: mail.set_email_kinds(db, user, set(form.kinds.data or []), set(offered)))
        if ok:
            flash("Your email settings are saved.", "success")
            return redirect(url_for("mail.settings"))
    elif not form.is_submitted():
        form.kinds.data = sorted(set(offered) - mail.email_kinds_off(db, user))
    return render_template(
        "mail/settings.html", form=form, kinds=offered, verified=user.email_verified_at is not None,
        can_email=mail.can_email(user), action_form=ActionForm(),
    ), 400 if form.errors else 200


@bp.route("/settings/email/verify", methods=["POST"])
@login_required
@limiter.limit(mail_limit)
def resend_verification():
    require_action_form()
    db = get_session()
    sent = account_email.send_verification(
        db, viewer(), _link("mail.verify_email"), current_app.config["SITE_NAME"]
    )
    db.commit()
    if sent:
        flash(f"A new link is on its way to {viewer().email}; earlier links no longer work.", "success")
    else:
        flash("Your address is confirmed already.", "info")
    return redirect(url_for("mail.settings"))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail clients POST here without a form; the signed token is the proof
@limiter.limit(mail_limit, methods=["POST"])
def unsubscribe(token: str):
    found = read_unsubscribe_token(current_app.config["SECRET_KEY"], token)
    if found is None:
        return render_template("mail/link_invalid.html", message="This unsubscribe link is not valid."), 404
    user_id, kind = found
    if request.method == "POST":
        db = get_session()
        if not mail.unsubscribe(db, user_id, kind):
            abort(404)
        db.commit()
        return render_template("mail/unsubscribed.html", label=KINDS[kind], done=True)
    return render_template("mail/unsubscribed.html", label=KINDS[kind], done=False)
