"""Site-wide settings stored in the database: one value per name."""

from sqlalchemy.orm import Session

from community.db import utcnow
from community.models import SiteSetting


def get(session: Session, name: str) -> str | None:
    setting = session.get(SiteSetting, name)
    return setting.value if setting is not None else None


def put(session: Session, name: str, value: str) -> None:
    setting = session.get(SiteSetting, name)
    if setting is None:
        session.add(SiteSetting(name=name, value=value, updated_at=utcnow()))
    else:
        setting.value, setting.updated_at = value, utcnow()
    session.flush()


def remove(session: Session, name: str) -> None:
    setting = session.get(SiteSetting, name)
    if setting is not None:
        session.delete(setting)
        session.flush()
