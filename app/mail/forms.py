from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.admin.forms import CheckboxesField
from community.accounts import MAX_PASSWORD, MIN_PASSWORD
from community.notifications import KINDS


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Your account's email address", validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(MIN_PASSWORD, MAX_PASSWORD)])


class EmailSettingsForm(FlaskForm):
    kinds = CheckboxesField(
        "Email me when", choices=[SelectChoice(kind, label) for kind, label in KINDS.items()], validate_choice=True
    )
