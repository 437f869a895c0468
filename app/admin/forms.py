from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, StringField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from community.webhooks import EVENTS


class CategoryForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    slug = StringField(
        "Slug", validators=[DataRequired(), Length(max=80)], description="Used in the address: /c/<slug>."
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    position = IntegerField(
        "Order", default=0, validators=[Optional(), NumberRange(-1000, 1000)],
        description="Lower numbers come first.",
    )


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WebhookForm(FlaskForm):
    # The service checks the address and the events, so its messages are the ones shown.
    url = URLField(
        "Payload URL", validators=[Length(max=500)],
        description="Hearth POSTs each event here as JSON: an http:// or https:// address.",
    )
    events = CheckboxesField("Events", choices=[SelectChoice(name) for name in EVENTS], validate_choice=False)
    description = StringField(
        "Description", validators=[Optional(), Length(max=200)], description="What receives these events (optional)."
    )
