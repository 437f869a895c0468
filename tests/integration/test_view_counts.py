"""Thread views are counted in batches; crawlers are not counted; views earn question badges."""

from sqlalchemy import select

from app.view_counts import ViewCounter
from community.models import BadgeAward, Thread
from tests.factories import make_thread


def views(db, thread) -> int:
    db.expire_all()
    return db.get(Thread, thread.id).view_count


def test_each_reader_view_counts_and_crawlers_do_not(client, db):
    thread = make_thread(db)
    db.commit()
    url = f"/t/{thread.id}/{thread.slug}"
    for _ in range(3):
        assert client.get(url).status_code == 200
    client.get(url, headers={"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"})
    client.head(url)
    assert views(db, thread) == 3
    assert "viewed 3 times" in client.get(url).get_data(as_text=True)


def test_views_wait_in_memory_until_the_flush_interval(app, db):
    thread = make_thread(db)
    db.commit()
    counter = ViewCounter(app.extensions["hearth.sessionmaker"], flush_seconds=3600)
    for _ in range(5):
        counter.add(thread.id)
    assert views(db, thread) == 0  # not a write per view
    counter.flush()
    assert views(db, thread) == 5
    counter.flush()  # nothing pending: nothing written twice
    assert views(db, thread) == 5


def test_a_thousand_views_earn_the_asker_popular_question(app, db):
    thread = make_thread(db)
    db.commit()
    counter = ViewCounter(app.extensions["hearth.sessionmaker"], flush_seconds=3600)
    for _ in range(1_000):
        counter.add(thread.id)
    counter.flush()
    db.expire_all()
    awards = db.execute(select(BadgeAward.user_id, BadgeAward.badge, BadgeAward.item_id)).all()
    assert (thread.author_id, "popular-question", thread.id) in awards
