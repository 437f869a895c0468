"""Admin pages for outgoing webhooks: endpoints, their delivery logs, redelivery."""

from flask import flash, make_response, redirect, render_template, request, url_for
from flask import session as browser_session

from app.admin import bp
from app.admin.forms import WebhookForm
from app.db import get_session
from app.web import ActionForm, page_arg, require_action_form, save, viewer
from community import webhooks
from community.errors import NotFound, ValidationError

# The endpoint whose secret the next view of the list shows, once (its id, never the secret).
SHOW_SECRET = "webhook_secret_for"


@bp.route("/webhooks", methods=["GET", "POST"])
def webhook_list():
    db = get_session()
    form = WebhookForm()
    if form.validate_on_submit():
        ok, endpoint = save(
            form,
            lambda: webhooks.create_endpoint(
                db,
                viewer(),
                url=form.url.data or "",
                events=form.events.data or [],
                description=form.description.data or "",
            ),
        )
        if ok:
            browser_session[SHOW_SECRET] = endpoint.id
            return redirect(url_for("admin.webhook_list"))
    created = None
    if request.method == "GET" and (endpoint_id := browser_session.pop(SHOW_SECRET, None)):
        try:
            created = webhooks.get_endpoint(db, viewer(), endpoint_id)
        except NotFound:
            pass  # deleted before the page was seen
    status = 400 if form.errors or form.form_errors else 200
    response = make_response(
        render_template(
            "admin/webhooks.html",
            form=form,
            endpoints=webhooks.list_endpoints(db, viewer()),
            counts=webhooks.delivery_counts(db, viewer()),
            events=webhooks.EVENTS,
            created=created,
            paused=webhooks.paused_reason(db),
            waiting=webhooks.waiting_count(db),
        ),
        status,
    )
    if created is not None:
        response.headers["Cache-Control"] = "no-store"  # the secret stays out of every cache
    return response


@bp.route("/webhooks/resume", methods=["POST"])
def webhook_resume():
    require_action_form()
    db = get_session()
    try:
        waiting = webhooks.resume_deliveries(db, viewer())
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "info")
    else:
        db.commit()
        flash(f"Deliveries resumed: {waiting} waiting {'delivery goes' if waiting == 1 else 'deliveries go'} out now.", "success")
    return redirect(url_for("admin.webhook_list"))


@bp.route("/webhooks/<int:endpoint_id>")
def webhook_detail(endpoint_id: int):
    db = get_session()
    endpoint = webhooks.get_endpoint(db, viewer(), endpoint_id)
    return render_template(
        "admin/webhook_deliveries.html",
        endpoint=endpoint,
        page=webhooks.deliveries(db, viewer(), endpoint, page=page_arg()),
        max_attempts=webhooks.MAX_ATTEMPTS,
        action_form=ActionForm(),
    )


@bp.route("/webhooks/<int:endpoint_id>/active", methods=["POST"])
def webhook_set_active(endpoint_id: int):
    require_action_form()
    db = get_session()
    endpoint = webhooks.get_endpoint(db, viewer(), endpoint_id)
    active = request.form.get("active") == "1"
    webhooks.set_active(db, viewer(), endpoint, active)
    db.commit()
    if active:
        flash(f"{endpoint.url} is active again: it receives new events and its waiting deliveries.", "info")
    else:
        flash(f"{endpoint.url} is inactive: it receives nothing until you activate it again.", "info")
    return redirect(url_for("admin.webhook_list"))


@bp.route("/webhooks/<int:endpoint_id>/delete", methods=["POST"])
def webhook_delete(endpoint_id: int):
    require_action_form()
    db = get_session()
    endpoint = webhooks.get_endpoint(db, viewer(), endpoint_id)
    url = endpoint.url
    webhooks.delete_endpoint(db, viewer(), endpoint)
    db.commit()
    flash(f"{url} and its delivery log are deleted.", "info")
    return redirect(url_for("admin.webhook_list"))


@bp.route("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
def webhook_redeliver(endpoint_id: int, delivery_id: int):
    require_action_form()
    db = get_session()
    endpoint = webhooks.get_endpoint(db, viewer(), endpoint_id)
    delivery = webhooks.get_delivery(db, viewer(), endpoint, delivery_id)
    try:
        webhooks.redeliver(db, viewer(), delivery)
    except ValidationError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        db.commit()
        flash(f"Delivery {delivery.delivery_id} is queued to be sent again.", "success")
    return redirect(url_for("admin.webhook_detail", endpoint_id=endpoint.id))
