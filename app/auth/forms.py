from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length, Optional

from community.accounts import MAX_PASSWORD, MIN_PASSWORD


class RegisterForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(3, 30)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(MIN_PASSWORD, MAX_PASSWORD)])


class LoginForm(FlaskForm):
    login = StringField("Username or email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    remember = BooleanField("Remember me on this device")


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        "New password", validators=[DataRequired(), Length(MIN_PASSWORD, MAX_PASSWORD)]
    )


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=[Optional(), Length(max=60)])
    location = StringField("Location", validators=[Optional(), Length(max=100)])
    website = URLField("Website", validators=[Optional(), Length(max=200)])
    bio = TextAreaField("About you", validators=[Optional(), Length(max=1000)])
