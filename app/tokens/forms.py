from flask_wtf import FlaskForm
from wtforms import StringField

from app.admin.forms import CheckboxesField
from community.api_tokens import NAME_MAX

# One line per scope, shown beside its checkbox; each adds to the ones before it.
SCOPE_HELP = {
    "read": "Read as you: everything you can see on the site. Always included.",
    "write": "Also ask, answer, edit, delete, vote and accept as you.",
    "staff": "Also the care queue, assignment and metrics.",
}


class TokenForm(FlaskForm):
    # The service checks the name and the scopes, so its messages are the ones shown.
    name = StringField(
        "Name",
        render_kw={"maxlength": NAME_MAX, "required": True, "autocomplete": "off"},
        description="What will use it, such as “Helpdesk sync” or “nightly export script”.",
    )
    scopes = CheckboxesField("Scopes", validate_choice=False)
