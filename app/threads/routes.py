"""Reading pages: home, category lists, thread pages, revision history."""

from flask import abort, current_app, redirect, render_template, request, url_for
from markupsafe import Markup

from app import page_cache, view_counts
from app.db import get_session
from app.searching import visitor
from app.threads import bp
from app.threads.forms import AnswerForm
from app.web import page_arg, viewer
from community import canned, care, care_panel, categories, merging, permissions, publishing, reading, threads, tone
from community.errors import NotFound, ValidationError


def _list_options():
    try:
        return reading.parse_list_options(request.args.get("filter"), request.args.get("sort"))
    except ValidationError:
        abort(400)


@bp.route("/")
def home():
    db = get_session()
    list_filter, sort = _list_options()

    def render() -> str:
        page = reading.list_threads(
            db,
            viewer(),
            page=page_arg(),
            per_page=current_app.config["THREADS_PER_PAGE"],
            list_filter=list_filter,
            sort=sort,
        )
        return render_template(
            "threads/home.html",
            categories=categories.list_categories(db),
            counts=categories.thread_counts(db),
            site=reading.site_counts(db),
            threads=page,
            list_filter=list_filter.value,
            sort=sort.value,
        )

    return page_cache.cached(render)


@bp.route("/c/<slug>")
def category(slug: str):
    db = get_session()
    list_filter, sort = _list_options()

    def render() -> str:
        cat = categories.get_by_slug(db, slug)
        page = reading.list_threads(
            db,
            viewer(),
            category=cat,
            page=page_arg(),
            per_page=current_app.config["THREADS_PER_PAGE"],
            list_filter=list_filter,
            sort=sort,
        )
        return render_template(
            "threads/category.html",
            category=cat,
            pinned=reading.pinned_threads(db, viewer(), category=cat, list_filter=list_filter, sort=sort)
            if page.page == 1
            else [],
            categories=categories.list_categories(db),
            threads=page,
            list_filter=list_filter.value,
            sort=sort.value,
        )

    return page_cache.cached(render)


@bp.route("/t/<int:thread_id>")
@bp.route("/t/<int:thread_id>/<slug>")
def thread(thread_id: int, slug: str | None = None):
    db = get_session()
    # A visitor's page straight from the cache, unless the visit may count as a question
    # avoided (thread_opened needs the thread).
    stamp = threads.revision_of(db, thread_id)
    if stamp is not None and stamp[0] == slug and visitor.last_search() is None:
        html = page_cache.lookup(stamp[1])
        if html is not None:
            view_counts.count_view(current_app, thread_id)
            return html
    try:
        found = threads.get_thread(db, thread_id, viewer())
    except NotFound:
        # Only a thread that is gone costs this look-up: a merged one sends readers on.
        target = merging.merged_into(db, thread_id)
        if target is None or not permissions.can_see_thread(viewer(), target):
            raise
        return redirect(url_for("threads.thread", thread_id=target.id, slug=target.slug), 301)
    if slug != found.slug:
        args = {k: v for k, v in request.args.items() if k == "page"}
        return redirect(url_for("threads.thread", thread_id=found.id, slug=found.slug, **args), 301)
    visitor.thread_opened(db, found)

    def render() -> str:
        view = reading.thread_page(
            db,
            found,
            viewer(),
            page=page_arg(),
            per_page=current_app.config["ANSWERS_PER_PAGE"],
            outscored_margin=current_app.config["OUTSCORED_MARGIN"],
        )
        # A form makes a CSRF token: only readers who may answer get one.
        answer_form = AnswerForm() if view.can_answer else None
        # Only staff get the care panel; their pages are never cached (they are signed in).
        panel = care_panel.panel(db, viewer(), found) if care.can_handle_care(viewer()) else None
        if panel is not None and answer_form is not None and request.args.get("canned"):
            try:
                answer_form.body.data = canned.get_canned(db, viewer(), request.args["canned"]).body_md
            except NotFound:  # a response deleted meanwhile just leaves the box empty
                pass
        return render_template(
            "threads/thread.html",
            view=view,
            thread=view.thread,
            structured_data=_structured_data(view),
            # None unless the reader is staff, so a page a visitor may share never carries it.
            staff_tone=tone.tone_for_staff(db, found, viewer()),
            answer_form=answer_form,
            care_panel=panel,
        )

    html = page_cache.cached(render, found.revision)
    view_counts.count_view(current_app, found.id)  # after rendering: the page shows the views before this one
    return html


def _structured_data(view: reading.ThreadPage) -> Markup | None:
    """schema.org QAPage JSON for the posts this page shows, ready to sit in a <script> element."""
    page = view.answers.page
    page_url = url_for(
        "threads.thread", thread_id=view.thread.id, slug=view.thread.slug, _external=True,
        **({"page": page} if page > 1 else {}),
    )
    data = publishing.qa_page(
        view.thread,
        view.question,
        view.accepted if page == 1 else None,  # the accepted answer is shown on page 1 only
        view.answers.items,
        page_url=page_url,
        profile_url=lambda user: url_for("users.profile", username=user.username, _external=True),
    )
    return Markup(publishing.embed_json(data)) if data else None


@bp.route("/p/<int:post_id>")
def post_link(post_id: int):
    """A permanent link to a post: the thread page that shows it, scrolled to it."""
    db = get_session()
    post = threads.get_post(db, post_id, viewer())
    found = threads.get_thread(db, post.thread_id, viewer())
    page = reading.answer_page_of(db, found, post, viewer(), current_app.config["ANSWERS_PER_PAGE"])
    args = {"page": page} if page > 1 else {}
    return redirect(
        url_for("threads.thread", thread_id=found.id, slug=found.slug, _anchor=f"post-{post.id}", **args)
    )


@bp.route("/p/<int:post_id>/revisions")
def revisions(post_id: int):
    db = get_session()
    post = threads.get_post(db, post_id, viewer())
    found = threads.get_thread(db, post.thread_id, viewer())
    history = threads.revision_history(db, post)
    return render_template("threads/revisions.html", post=post, thread=found, history=history)
