"""Forms of the staff pages."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

from community.listening import MAX_NAME


class WatchlistForm(FlaskForm):
    # The service checks names, keywords and the assignee, so its messages are the ones shown.
    name = StringField("Name", validators=[Length(max=MAX_NAME)], description="For example: Competitors, Refunds.")
    keywords = TextAreaField(
        "Keywords",
        description="One word or phrase per line. Matched on whole words, ignoring case: “cancel” finds "
        "“Cancel my plan” but not “cancellation” (list that too if you want it).",
    )
    assignee = SelectField("Assignee", choices=[], validate_choice=False, description="Told about every new match.")
