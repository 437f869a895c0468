"""Views that change threads and posts: each validates, calls one service, commits, redirects."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.db import get_session
from app.extensions import new_account_posts, write_limited
from app.searching import backend as search_backend
from app.searching import result_cache
from app.searching import visitor
from app.threads import bp
from app.threads.forms import AnswerForm, AskForm, EditAnswerForm, EditQuestionForm
from app.web import require_action_form, save, viewer
from community import accepting, categories, moderation, permissions, reading, threads, voting
from community.errors import NotFound
from community.suspensions import refuse_if_suspended
from community.models import Thread
from search.service import similar_threads


def _category_choices():
    return [("", "Choose a category…")] + [
        (str(c.id), c.name) for c in categories.list_categories(get_session())
    ]


def _thread_url(thread, **kwargs):
    return url_for("threads.thread", thread_id=thread.id, slug=thread.slug, **kwargs)


@bp.route("/ask", methods=["GET", "POST"])
@login_required
@write_limited
@new_account_posts
def ask():
    refuse_if_suspended(viewer())  # before the form: a suspended member should not write in vain
    db = get_session()
    form = AskForm()
    form.category.choices = _category_choices()
    if request.method == "GET" and request.args.get("category"):
        try:
            form.category.data = str(categories.get_by_slug(db, request.args["category"]).id)
        except NotFound:  # an unknown slug just leaves the choice open
            pass
    if request.method == "GET" and request.args.get("title"):
        form.title.data = request.args["title"][:200]
    title = (form.title.data or "").strip()
    similar = similar_threads(db, search_backend(), title, cache=result_cache())
    checking = request.form.get("action") == "check"
    # Before a first submit, show solved look-alikes once; posting again means "mine is different".
    must_review = any(item.thread.is_solved for item in similar) and request.form.get("reviewed_title") != title
    if form.validate_on_submit() and not checking and not must_review:
        ok, created = save(
            form,
            lambda: threads.ask(
                db,
                viewer(),
                title=form.title.data or "",
                body=form.body.data or "",
                category_id=form.category.data,
                tags=form.tags.data or "",
            ),
        )
        if ok:
            visitor.question_asked(db)
            if created.is_hidden:
                flash("Your question is saved and waits for a moderator's review before others can see it.", "info")
            else:
                flash("Your question is posted. You will find it on your profile under Following.", "success")
            return redirect(_thread_url(created))
    status = 400 if form.errors or form.form_errors else 200
    review = request.method == "POST" and not form.errors and not form.form_errors and similar
    if similar:
        visitor.note_search()
    return render_template(
        "threads/ask.html", form=form, similar=similar, review=review, reviewed_title=title
    ), status


@bp.route("/t/<int:thread_id>/answer", methods=["POST"])
@login_required
@write_limited
@new_account_posts
def answer(thread_id: int):
    db = get_session()
    found = threads.get_thread(db, thread_id, viewer())
    form = AnswerForm()
    if form.validate_on_submit():
        ok, post = save(form, lambda: threads.answer(db, viewer(), found, body=form.body.data or ""))
        if ok and post.is_hidden:
            flash("Your answer is saved and waits for a moderator's review before others can see it.", "info")
        if ok:
            if not post.is_hidden:
                flash("Thanks for helping! Your answer is posted.", "success")
            return redirect(url_for("threads.post_link", post_id=post.id))
    # Show the thread again with the text kept in the form and the errors beside it.
    view = reading.thread_page(
        db,
        found,
        viewer(),
        per_page=current_app.config["ANSWERS_PER_PAGE"],
        outscored_margin=current_app.config["OUTSCORED_MARGIN"],
    )
    return render_template(
        "threads/thread.html", view=view, thread=view.thread, answer_form=form
    ), 400


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
@write_limited
def edit(post_id: int):
    db = get_session()
    post = threads.get_post(db, post_id, viewer())
    found = threads.get_thread(db, post.thread_id, viewer())
    if post.is_question:
        form = EditQuestionForm()
        form.category.choices = _category_choices()
        if request.method == "GET":
            form.title.data = found.title
            form.category.data = str(found.category_id)
            form.tags.data = " ".join(t.name for t in found.tags)
    else:
        form = EditAnswerForm()
    if request.method == "GET":
        form.body.data = post.body_md
        # Refuse a forbidden edit before anyone types, not only when they save.
        if not permissions.can_edit(viewer(), post, found):
            abort(403)
    if form.validate_on_submit():
        fields = {}
        if post.is_question:
            fields = {
                "title": form.title.data,
                "tags": form.tags.data or "",
                "category_id": form.category.data,
            }
        ok, _ = save(form, lambda: threads.edit_post(db, viewer(), post, body=form.body.data or "", **fields))
        if ok:
            flash("Your edit is saved; earlier versions stay in the history.", "success")
            return redirect(url_for("threads.post_link", post_id=post.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("threads/edit.html", form=form, post=post, thread=found), status


@bp.route("/p/<int:post_id>/delete", methods=["POST"])
@login_required
@write_limited
def delete(post_id: int):
    require_action_form()
    db = get_session()
    post = threads.get_post(db, post_id, viewer())
    threads.delete_post(db, viewer(), post)
    db.commit()
    found = db.get(Thread, post.thread_id)
    if post.is_question and not viewer().is_staff:
        flash("Your question is deleted. Staff can restore it if you ask them.", "info")
        return redirect(url_for("threads.home"))
    flash("The post is deleted. Staff can still see and restore it.", "info")
    return redirect(_thread_url(found))


@bp.route("/p/<int:post_id>/restore", methods=["POST"])
@login_required
def restore(post_id: int):
    require_action_form()
    db = get_session()
    post = threads.get_post(db, post_id, viewer())
    threads.restore_post(db, viewer(), post)
    db.commit()
    flash("The post is restored.", "success")
    return redirect(url_for("threads.post_link", post_id=post.id))


@bp.route("/p/<int:post_id>/vote", methods=["POST"])
@login_required
@write_limited
def vote(post_id: int):
    require_action_form()
    value = {"up": 1, "down": -1, "clear": 0}.get(request.form.get("value", ""))
    if value is None:
        abort(400)
    db = get_session()
    post = threads.get_post(db, post_id, viewer())
    voting.cast_vote(db, viewer(), post, value)
    db.commit()
    return redirect(url_for("threads.post_link", post_id=post.id))


@bp.route("/p/<int:post_id>/accept", methods=["POST"])
@login_required
@write_limited
def accept(post_id: int):
    require_action_form()
    db = get_session()
    post = threads.get_post(db, post_id, viewer())
    accepting.accept_answer(db, viewer(), post)
    db.commit()
    flash("Marked as the accepted answer: the thread now shows as solved.", "success")
    return redirect(url_for("threads.post_link", post_id=post.id))


@bp.route("/t/<int:thread_id>/unaccept", methods=["POST"])
@login_required
@write_limited
def unaccept(thread_id: int):
    require_action_form()
    db = get_session()
    found = threads.get_thread(db, thread_id, viewer())
    accepting.unaccept_answer(db, viewer(), found)
    db.commit()
    flash("The accepted answer is withdrawn: the thread is open for a solution again.", "info")
    return redirect(_thread_url(found))


@bp.route("/t/<int:thread_id>/follow", methods=["POST"])
@login_required
def follow(thread_id: int):
    require_action_form()
    db = get_session()
    found = threads.get_thread(db, thread_id, viewer())
    if request.form.get("follow") == "0":
        threads.unfollow(db, viewer(), found)
        flash("You no longer follow this thread.", "info")
    else:
        threads.follow(db, viewer(), found)
        flash("You follow this thread: it is listed on your profile.", "success")
    db.commit()
    return redirect(_thread_url(found))


@bp.route("/t/<int:thread_id>/pin", methods=["POST"])
@login_required
@write_limited
def pin(thread_id: int):
    require_action_form()
    db = get_session()
    found = threads.get_thread(db, thread_id, viewer())
    pinned = request.form.get("pinned") != "0"
    moderation.set_pinned(db, viewer(), found, pinned)
    db.commit()
    flash("The thread is pinned to the top of its category." if pinned else "The thread is unpinned.", "info")
    return redirect(_thread_url(found))


@bp.route("/t/<int:thread_id>/lock", methods=["POST"])
@login_required
def lock(thread_id: int):
    require_action_form()
    db = get_session()
    found = threads.get_thread(db, thread_id, viewer())
    locked = request.form.get("locked") != "0"
    threads.set_locked(db, viewer(), found, locked)
    db.commit()
    flash("The thread is locked." if locked else "The thread is unlocked.", "info")
    return redirect(_thread_url(found))
