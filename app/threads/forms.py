"""Forms only carry the input and bound its size; the services decide what is valid."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

from community.flags import MAX_NOTE
from community.moderation import MAX_REASON

from community.threads import MAX_BODY, MAX_TITLE

BODY_HELP = "Markdown: **bold**, _italic_, `code`, ``` fenced blocks ```, [links](https://…), lists."


class AskForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[Length(max=MAX_TITLE)],
        description="Say what the problem is, as you would tell a friend.",
    )
    category = SelectField("Category", validate_choice=False)
    tags = StringField(
        "Tags", description="Up to 5, separated by commas or spaces (for example: billing wifi)."
    )
    body = TextAreaField(
        "Details",
        validators=[Length(max=MAX_BODY)],
        description=BODY_HELP,
    )


class AnswerForm(FlaskForm):
    body = TextAreaField(
        "Write your answer",
        validators=[Length(max=MAX_BODY)],
        description=BODY_HELP,
    )


class EditAnswerForm(AnswerForm):
    pass


class EditQuestionForm(AskForm):
    pass


class FlagForm(FlaskForm):
    # The reason's choices are rendered by the template and checked by the service.
    reason = StringField("Why")
    note = TextAreaField("Note for the moderators (optional)", validators=[Length(max=MAX_NOTE)])


class HideForm(FlaskForm):
    reason = StringField("Reason (staff see it beside the post)", validators=[Length(max=MAX_REASON)])
