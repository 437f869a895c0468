"""What a restored copy needs beyond the database: the secret key comes with the backup, the
files holding secrets are readable by their owner only, and webhook deliveries the copy carried
wait until an admin resumes them."""

import os
import stat

import pytest
from sqlalchemy import select

import config
from app import create_app
from app.mail_sender import unsubscribe_token
from app.webhook_sender import deliver_due
from community import webhooks
from community.models import AuditEntry, Role, User, WebhookDelivery
from tests.factories import PASSWORD, make_thread, make_user
from tests.integration.helpers import csrf_token, text
from tests.receiver import Receiver


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


class OriginalSite(config.TestingConfig):
    SECRET_KEY = "the-original-site-key"


@pytest.fixture
def member_backup(site, tmp_path):
    """A backup of a site with one member, taken with the site's own secret key."""
    app = site.app(OriginalSite)
    with app.extensions["hearth.sessionmaker"]() as session:
        member = make_user(session, "mailed_mia")
        session.commit()
    destination = tmp_path / "backups" / ("hearth.db" if site.sqlite_file else "hearth.dump")
    result = _cli(app, "backup", str(destination))
    assert result.exit_code == 0, result.output
    app.extensions["hearth.engine"].dispose()
    return destination, member.id, result.output


def test_the_backup_keeps_the_secret_key_beside_it_and_says_so(member_backup):
    destination, _member, output = member_backup
    key_file = destination.with_name(destination.name + ".key")
    assert key_file.read_text().strip() == "the-original-site-key"
    assert f"Saved the secret key beside it in {key_file}" in output
    assert "keep the two together" in output


def test_a_copy_restored_in_a_new_instance_folder_takes_the_key_back(site, member_backup, monkeypatch, tmp_path):
    destination, member_id, _output = member_backup
    mailed_link = "/unsubscribe/" + unsubscribe_token("the-original-site-key", member_id, "reply")
    # A new machine: a new instance folder, whose development key was generated on first start.
    site.instance = tmp_path / "new-instance"
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE_DIR", site.instance)
    assert config.DevelopmentConfig().SECRET_KEY != "the-original-site-key"
    restorer = site.app()

    result = _cli(restorer, "restore", str(destination), "--yes")

    assert result.exit_code == 0, result.output
    assert "Put back the secret key from" in result.output
    assert (site.instance / "secret_key").read_text() == "the-original-site-key"
    assert _mode(site.instance / "secret_key") == 0o600
    # The site as it starts on that machine reads the key back: links mailed before still work.
    restored = config.DevelopmentConfig()
    restored.DATABASE_URL = site.url
    restored.SEARCH_INDEX_DIR = str(site.index_dir)
    restored.SEARCH_INDEXER, restored.WEBHOOK_SENDER, restored.MAIL_SENDER = "sync", "sync", "worker"
    restored.RATELIMIT_ENABLED = False
    app = create_app(restored)
    site.apps.append(app)
    assert app.config["SECRET_KEY"] == "the-original-site-key"
    assert app.test_client().get(mailed_link).status_code == 200
    assert app.test_client().get("/unsubscribe/" + unsubscribe_token("another-key", member_id, "reply")).status_code == 404


def test_a_different_secret_key_in_the_environment_is_pointed_out(site, member_backup, monkeypatch):
    destination, _member, _output = member_backup
    monkeypatch.setenv("SECRET_KEY", "a-key-set-on-the-new-machine")

    result = _cli(site.app(), "restore", str(destination), "--yes")

    assert result.exit_code == 0, result.output
    assert "Warning: SECRET_KEY in the environment is not the key saved in" in result.output
    assert not (site.instance / "secret_key").exists()  # the environment's key is the admin's to change


def test_a_backup_without_its_key_file_is_restored_with_a_warning(site, member_backup):
    destination, _member, _output = member_backup
    destination.with_name(destination.name + ".key").unlink()

    result = _cli(site.app(), "restore", str(destination), "--yes")

    assert result.exit_code == 0, result.output
    assert "Warning: no key file" in result.output


def test_backups_keys_and_the_live_database_are_readable_by_their_owner_only(site, member_backup, tmp_path):
    destination, _member, _output = member_backup
    assert _mode(destination) == 0o600
    assert _mode(destination.with_name(destination.name + ".key")) == 0o600
    assert _mode(destination.parent) == 0o700
    if not site.sqlite_file:
        return
    assert _mode(site.sqlite_file) == 0o600
    # A database the site creates, with its -wal and -shm, and one an earlier version left 0644.
    fresh = tmp_path / "fresh" / "hearth.db"
    fresh.parent.mkdir()
    old_umask = os.umask(0o022)
    try:
        app = create_app(config.TestingConfig(f"sqlite:///{fresh}", search_index_dir=str(tmp_path / "index")))
        with app.extensions["hearth.engine"].connect() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.commit()
            for part in ("hearth.db", "hearth.db-wal", "hearth.db-shm"):
                assert _mode(fresh.parent / part) == 0o600, part
        app.extensions["hearth.engine"].dispose()
        fresh.chmod(0o644)
        again = create_app(config.TestingConfig(f"sqlite:///{fresh}", search_index_dir=str(tmp_path / "index")))
        again.extensions["hearth.engine"].dispose()
        assert _mode(fresh) == 0o600
    finally:
        os.umask(old_umask)


# -- webhook deliveries a restored copy carried ---------------------------------------------------


class CopyWithForms(config.TestingConfig):
    WTF_CSRF_ENABLED = True
    WEBHOOK_SENDER = "worker"  # nothing is sent after a commit: the deliveries stay pending


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


@pytest.fixture
def restored_with_pending(site, receiver, tmp_path):
    """A site whose backup holds a delivery not yet sent to a receiver, restored."""
    app = site.app(CopyWithForms)
    with app.extensions["hearth.sessionmaker"]() as session:
        boss = make_user(session, "boss", role=Role.ADMIN)
        webhooks.create_endpoint(session, boss, url=receiver.url, events=["thread.created"])
        make_thread(session, title="Queued before the backup")
        session.commit()
        assert session.scalar(select(WebhookDelivery.status)) == webhooks.PENDING
    destination = tmp_path / "backups" / ("hearth.db" if site.sqlite_file else "hearth.dump")
    assert _cli(app, "backup", str(destination)).exit_code == 0
    result = _cli(app, "restore", str(destination), "--yes")
    assert result.exit_code == 0, result.output
    assert "Webhook deliveries are paused" in result.output
    return app


def _signed_in_admin(app):
    client = app.test_client()
    token = csrf_token(text(client.get("/login")))
    response = client.post("/login", data={"login": "boss", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def test_a_restored_copy_sends_nothing_until_an_admin_resumes(site, receiver, restored_with_pending):
    app = restored_with_pending
    factory = app.extensions["hearth.sessionmaker"]

    assert deliver_due(factory) == []
    with app.app_context():  # as `flask webhooks send` runs
        sent = _cli(app, "webhooks", "send")
    assert "Made 0 delivery attempts" in sent.output
    assert receiver.requests == []

    admin = _signed_in_admin(app)
    page = text(admin.get("/admin/webhooks"))
    assert "Deliveries are paused" in page
    assert "Restored from the backup hearth." in page
    assert "1 delivery is waiting" in page
    assert 'action="/admin/webhooks/resume"' in page

    # Without the form's token the button does nothing.
    assert admin.post("/admin/webhooks/resume").status_code == 400
    assert deliver_due(factory) == [] and receiver.requests == []

    response = admin.post("/admin/webhooks/resume", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert "Deliveries resumed: 1 waiting delivery goes out now." in text(admin.get("/admin/webhooks"))
    assert "Deliveries are paused" not in text(admin.get("/admin/webhooks"))
    attempts = deliver_due(factory)
    assert [attempt.outcome.ok for attempt in attempts] == [True]
    assert [r.json["event"] for r in receiver.requests] == ["thread.created"]
    with factory() as session:
        trail = session.execute(
            select(AuditEntry.action, User.username).outerjoin(User, User.id == AuditEntry.actor_id)
            .where(AuditEntry.action.like("webhook.%")).order_by(AuditEntry.id)
        ).all()
    assert [tuple(row) for row in trail] == [("webhook.create", "boss"), ("webhook.pause", None), ("webhook.resume", "boss")]


def test_only_admins_resume_deliveries(site, restored_with_pending):
    app = restored_with_pending
    with app.extensions["hearth.sessionmaker"]() as session:
        make_user(session, "sam_staff", role=Role.STAFF)
        session.commit()
    client = app.test_client()
    token = csrf_token(text(client.get("/login")))
    client.post("/login", data={"login": "sam_staff", "password": PASSWORD, "csrf_token": token})
    token = csrf_token(text(client.get("/settings/password")))

    response = client.post("/admin/webhooks/resume", data={"csrf_token": token})

    assert response.status_code == 403
    with app.extensions["hearth.sessionmaker"]() as session:
        assert webhooks.paused_reason(session) is not None
