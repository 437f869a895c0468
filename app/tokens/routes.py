from flask import flash, make_response, redirect, render_template, url_for
from flask_login import login_required

from app.db import get_session
from app.extensions import write_limited
from app.tokens import bp
from app.tokens.forms import SCOPE_HELP, TokenForm
from app.web import require_action_form, save, viewer
from community import api_tokens, permissions
from community.suspensions import refuse_if_suspended


def _form(user, **kwargs) -> TokenForm:
    form = TokenForm(**kwargs)
    form.scopes.choices = [(scope, scope) for scope in api_tokens.scopes_offered(user)]
    return form


def _page(form: TokenForm, status: int = 200, created=None, secret: str | None = None):
    user = viewer()
    return make_response(
        render_template(
            "tokens/settings.html",
            form=form,
            tokens=api_tokens.active_tokens(get_session(), user),
            scope_help=SCOPE_HELP,
            can_create=permissions.can_change_account(user),
            created=created,
            secret=secret,
        ),
        status,
    )


# GET and POST are two views so that a suspended member may still list (and revoke) tokens
# while creating one needs an active account.
@bp.route("/settings/tokens")
@login_required
def settings():
    return _page(_form(viewer()))


@bp.route("/settings/tokens", methods=["POST"])
@login_required
@write_limited
def create():
    user = viewer()
    refuse_if_suspended(user)
    db = get_session()
    form = _form(user)
    if form.validate_on_submit():
        ok, made = save(
            form, lambda: api_tokens.create(db, user, name=form.name.data or "", scopes=form.scopes.data or [])
        )
        if ok:
            token, secret = made
            # Rendered, not redirected: the secret exists only in this response, never in the
            # session or a flash message, and no cache may keep it.
            response = _page(_form(user, formdata=None), 201, created=token, secret=secret)
            response.headers["Cache-Control"] = "no-store"
            return response
    return _page(form, 400)


@bp.route("/settings/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
@write_limited
def revoke(token_id: int):
    require_action_form()
    db = get_session()
    token = api_tokens.revoke(db, viewer(), token_id)
    db.commit()
    flash(f"Token “{token.name}” ({token.prefix}…) revoked: whatever used it can no longer call the API.", "info")
    return redirect(url_for("tokens.settings"))
