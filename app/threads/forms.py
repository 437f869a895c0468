from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from community.threads import MAX_BODY, MAX_TITLE

BODY_HELP = "Markdown: **bold**, _italic_, `code`, ``` fenced blocks ```, [links](https://…), lists."


class AskForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired("Write a title."), Length(max=MAX_TITLE)],
        description="Say what the problem is, as you would tell a friend.",
    )
    category = SelectField("Category", validate_choice=False)
    tags = StringField(
        "Tags", description="Up to 5, separated by commas or spaces (for example: billing wifi)."
    )
    body = TextAreaField(
        "Details",
        validators=[DataRequired("Describe the problem."), Length(max=MAX_BODY)],
        description=BODY_HELP,
    )


class AnswerForm(FlaskForm):
    body = TextAreaField(
        "Write your answer",
        validators=[DataRequired("Write your answer."), Length(max=MAX_BODY)],
        description=BODY_HELP,
    )


class EditAnswerForm(AnswerForm):
    pass


class EditQuestionForm(AskForm):
    pass
