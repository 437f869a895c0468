"""Canned responses: staff list, add, edit and delete them."""

from flask import flash, redirect, render_template, request, url_for

from app.care import bp
from app.care.forms import CannedForm
from app.db import get_session
from app.extensions import write_limited
from app.web import ActionForm, require_action_form, save, viewer
from community import canned


@bp.route("/canned", methods=["GET", "POST"])
@write_limited
def canned_list():
    db = get_session()
    form = CannedForm()
    if form.validate_on_submit():
        ok, created = save(
            form, lambda: canned.create_canned(db, viewer(), title=form.title.data or "", body=form.body.data or "")
        )
        if ok:
            flash(f"“{created.title}” is added.", "success")
            return redirect(url_for("care.canned_list"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "care/canned.html", responses=canned.list_canned(db, viewer()), form=form, action_form=ActionForm()
    ), status


@bp.route("/canned/<int:canned_id>/edit", methods=["GET", "POST"])
@write_limited
def canned_edit(canned_id: int):
    db = get_session()
    item = canned.get_canned(db, viewer(), canned_id)
    form = CannedForm()
    if request.method == "GET":
        form.title.data, form.body.data = item.title, item.body_md
    if form.validate_on_submit():
        ok, _ = save(
            form,
            lambda: canned.update_canned(db, viewer(), item, title=form.title.data or "", body=form.body.data or ""),
        )
        if ok:
            flash("The canned response is saved.", "success")
            return redirect(url_for("care.canned_list"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("care/canned_edit.html", form=form, item=item), status


@bp.route("/canned/<int:canned_id>/delete", methods=["POST"])
@write_limited
def canned_delete(canned_id: int):
    require_action_form()
    db = get_session()
    item = canned.get_canned(db, viewer(), canned_id)
    title = item.title
    canned.delete_canned(db, viewer(), item)
    db.commit()
    flash(f"“{title}” is deleted.", "info")
    return redirect(url_for("care.canned_list"))
