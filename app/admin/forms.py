from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


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
