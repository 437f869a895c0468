"""Forms of the care console: they carry the input and bound its size; the services decide the rest."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from community import canned, care, staff_notes


class AssignForm(FlaskForm):
    assignee = SelectField("Assignee", validate_choice=False)  # "", "me" or a staff member's id
    team = SelectField("Team", validate_choice=False)


class StateForm(FlaskForm):
    state = SelectField("State", choices=[SelectChoice(s) for s in care.STATES], validate_choice=False)


class EscalateForm(FlaskForm):
    reason = StringField(
        "Reason", validators=[Length(max=care.MAX_REASON)], description="Staff only: never sent with the webhook."
    )


class TicketForm(FlaskForm):
    ticket_ref = StringField("Ticket reference", validators=[Length(max=care.MAX_TICKET_REF)])


class NoteForm(FlaskForm):
    body = TextAreaField(
        "Private note", validators=[Length(max=staff_notes.MAX_NOTE)],
        description="Only staff see notes: never members, search or webhooks.",
    )


class CannedForm(FlaskForm):
    title = StringField("Title", validators=[Length(max=canned.MAX_TITLE)])
    body = TextAreaField("Text (Markdown)", validators=[Length(max=canned.MAX_BODY)])
