from flask import abort, flash, redirect, render_template, url_for
from flask_login import login_required

from app.admin import bp
from app.admin.forms import CategoryForm
from app.db import get_session
from app.web import ActionForm, save, viewer
from community import categories, permissions
from community.errors import ValidationError


@bp.before_request
@login_required
def require_admin():
    if not permissions.can_manage_categories(viewer()):
        abort(403)


@bp.route("/categories")
def category_list():
    db = get_session()
    return render_template(
        "admin/categories.html",
        categories=categories.list_categories(db),
        counts=categories.thread_counts(db),
        action_form=ActionForm(),
    )


@bp.route("/categories/new", methods=["GET", "POST"])
def category_new():
    form = CategoryForm()
    if form.validate_on_submit():
        db = get_session()
        ok, _ = save(
            form,
            lambda: categories.create_category(
                db,
                viewer(),
                name=form.name.data,
                slug=form.slug.data,
                description=form.description.data or "",
                position=form.position.data or 0,
            ),
        )
        if ok:
            flash(f"Category “{form.name.data}” is created.", "success")
            return redirect(url_for("admin.category_list"))
    return render_template("admin/category_form.html", form=form, category=None), 400 if form.errors else 200


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
def category_edit(category_id: int):
    db = get_session()
    category = categories.get_category(db, category_id)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        ok, _ = save(
            form,
            lambda: categories.update_category(
                db,
                viewer(),
                category,
                name=form.name.data,
                slug=form.slug.data,
                description=form.description.data or "",
                position=form.position.data or 0,
            ),
        )
        if ok:
            flash("Category saved.", "success")
            return redirect(url_for("admin.category_list"))
    return render_template(
        "admin/category_form.html", form=form, category=category
    ), 400 if form.errors else 200


@bp.route("/categories/<int:category_id>/delete", methods=["POST"])
def category_delete(category_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    db = get_session()
    category = categories.get_category(db, category_id)
    try:
        categories.delete_category(db, viewer(), category)
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        db.commit()
        flash("Category deleted.", "info")
    return redirect(url_for("admin.category_list"))
