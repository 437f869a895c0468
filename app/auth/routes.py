from flask import current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import LoginForm, PasswordForm, ProfileForm, RegisterForm
from app.db import get_session
from app.extensions import limiter, login_limit, register_limit
from app.searching import visitor
from app.security import safe_next_url
from app.web import ActionForm, save
from community import accounts, sign_in_guard, signups
from community.errors import ValidationError
from community.suspensions import refuse_if_suspended


def _sign_in(user, remember: bool) -> None:
    # A fresh session at sign-in, so a session id planted before it is worthless.
    kept = visitor.carry_over()  # only the anonymous deflection key and search time
    session.clear()
    visitor.restore(kept)
    login_user(user, remember=remember)


def _signup_links() -> signups.Links:
    return signups.Links(
        finish=lambda token: url_for("auth.finish_signup", token=token, _external=True),
        reset=lambda token: url_for("mail.reset_password", token=token, _external=True),
        sign_in=url_for("auth.login", _external=True),
        site_name=current_app.config["SITE_NAME"],
    )


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(register_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("threads.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        db = get_session()
        next_url = safe_next_url(request.args.get("next"), "")
        ok, _ = save(
            form,
            lambda: signups.start(
                db, form.username.data, form.email.data, form.password.data, _signup_links(), next_url
            ),
        )
        if ok:
            # The same answer whether or not the address has an account.
            return redirect(url_for("auth.check_email"))
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.route("/register/check-email")
def check_email():
    return render_template("auth/check_email.html")


@bp.route("/register/finish/<token>", methods=["GET", "POST"])
@limiter.limit(register_limit, methods=["POST"])
def finish_signup(token: str):
    """GET shows a button and POST makes the account: mail scanners that open links change nothing."""
    if current_user.is_authenticated:
        flash("You are signed in: sign out first to finish creating another account.", "info")
        return redirect(url_for("threads.home"))
    db = get_session()
    again = (url_for("auth.register"), "Register again")
    username = signups.pending_username(db, token)
    if username is None:
        return render_template("mail/link_invalid.html", message=signups.INVALID, again=again), 404
    form = ActionForm()
    if form.validate_on_submit():
        try:
            user, next_url = signups.finish(db, token)
        except ValidationError as exc:
            db.rollback()
            return render_template("mail/link_invalid.html", message=str(exc), again=again), 409
        db.commit()
        _sign_in(user, remember=False)
        flash(f"Welcome to the community, {user.username}! Your account is ready.", "success")
        return redirect(safe_next_url(next_url, url_for("threads.home")))
    return render_template("auth/finish_signup.html", form=form, username=username)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("threads.home"))
    form = LoginForm()
    if form.validate_on_submit():
        db, address = get_session(), get_remote_address()
        wait = sign_in_guard.wait_seconds(db, form.login.data, address)
        if wait:
            return _throttled(form, wait)
        user = accounts.authenticate(db, form.login.data, form.password.data)
        if user is None:
            wait = sign_in_guard.record_failure(db, form.login.data, address)
            db.commit()
            if wait:
                return _throttled(form, wait)
            form.form_errors.append("That username or password is not right.")
        else:
            sign_in_guard.record_success(db, form.login.data, address)
            db.commit()
            _sign_in(user, remember=form.remember.data)
            return redirect(safe_next_url(request.args.get("next"), url_for("threads.home")))
    return render_template("auth/login.html", form=form), 400 if form.errors or form.form_errors else 200


def _throttled(form: LoginForm, wait: int):
    """Too many failed tries for this name from this address: the same answer whether or not it exists."""
    when = f"{wait} seconds" if wait < 120 else f"{(wait + 59) // 60} minutes"
    form.form_errors.append(
        f"Too many failed sign-ins for this name from your address. Try again in {when}."
    )
    response = make_response(render_template("auth/login.html", form=form), 429)
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/logout", methods=["POST"])
def logout():
    if ActionForm().validate_on_submit():
        if current_user.is_authenticated:
            db = get_session()
            accounts.end_sessions(db, current_user._get_current_object())
            db.commit()
        logout_user()
        session.clear()
        flash("You are signed out on this and every other device.", "info")
    return redirect(url_for("threads.home"))


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        db = get_session()
        ok, _ = save(
            form,
            lambda: accounts.change_password(
                db, current_user, form.current_password.data, form.new_password.data
            ),
        )
        if ok:
            # The token changed: sign this browser in again so only other sessions end.
            _sign_in(current_user._get_current_object(), remember=False)
            flash("Your password is changed. Other signed-in devices are signed out.", "success")
            return redirect(url_for("users.profile", username=current_user.username))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    refuse_if_suspended(current_user._get_current_object())
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        db = get_session()
        ok, _ = save(
            form,
            lambda: accounts.update_profile(
                db,
                current_user,
                display_name=form.display_name.data or "",
                bio=form.bio.data or "",
                location=form.location.data or "",
                website=form.website.data or "",
            ),
        )
        if ok:
            flash("Your profile is saved.", "success")
            return redirect(url_for("users.profile", username=current_user.username))
    return render_template("auth/profile.html", form=form), 400 if form.errors else 200
