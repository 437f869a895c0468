"""Errors raised by services; the web layer maps them to 400, 403 and 404 pages."""


class CommunityError(Exception):
    """Base class for every rule a service refuses."""


class NotFound(CommunityError):
    """The thing does not exist, or the actor may not know that it does."""


class PermissionDenied(CommunityError):
    """The actor may not do this."""


class ValidationError(CommunityError):
    """Input that breaks a rule; `errors` maps a field name to a message people can act on."""

    def __init__(self, errors: dict[str, str] | str):
        if isinstance(errors, str):
            errors = {"": errors}
        self.errors = errors
        super().__init__("; ".join(errors.values()))
