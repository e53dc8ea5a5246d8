from odoo import fields, models


class ResponsoAutoresponderMixin(models.AbstractModel):
    """The actions of an answering workflow that do not send: applied at once, in the transaction of the buyer
    message, in the workflow's order (sending actions keep their queue: responso.reply)."""

    _name = "responso.autoresponder.mixin"
    _inherit = ["responso.autoresponder.mixin"]

    responso_no_answer_needed = fields.Boolean(
        "No Answer Needed", copy=False, tracking=True,
        help="A workflow decided that the buyer's last message needs no answer (closes the response clock). "
             "Cleared by the buyer's next message.")
    responso_no_answer_message_id = fields.Many2one(
        "mail.message", string="Message Needing No Answer", copy=False, readonly=True, ondelete="set null",
        # indexed: every mail.message deleted anywhere looks up the rows pointing at it
        index="btree_not_null", help="The buyer message a workflow marked as needing no answer.")

    def _responso_run_workflow_actions(self, planned, message):
        """Apply at once the non-sending actions of `planned` (a workflow's ((action id, sequence), …), compiled) for
        `message`, in order; return its sending ones, (action id, sequence) pairs, for the reply queue. The action
        types come from the compiled cache: a workflow that only sends costs no query here."""
        Action = self.env["responso.workflow.action"]
        types = Action._responso_action_types(self._responso_company().id)
        missing = [action_id for action_id, _sequence in planned if action_id not in types]
        if missing:  # created since the types were cached
            types = dict(types, **{action.id: action.action_type for action in Action.browse(missing).exists()})
        immediate = [action_id for action_id, _sequence in planned
                     if types.get(action_id, "send_message") != "send_message"]
        if immediate:
            self._responso_run_actions(Action.browse(immediate), message)
        return [(action_id, sequence) for action_id, sequence in planned if types.get(action_id) == "send_message"]

    def _responso_run_actions(self, actions, message):
        """Apply `actions` (responso.workflow.action, non-sending, in order) to this record for `message`."""
        self.ensure_one()
        for action in actions:
            getattr(self, f"_responso_action_{action.action_type}")(action, message)

    def _responso_new_buyer_message(self, message):
        """A buyer message arrived: an earlier "no answer needed" no longer holds."""
        if self.responso_no_answer_needed:
            self.sudo().responso_no_answer_needed = False

    # the hook the response clock reads: override and call super() to close the clock as well
    def _responso_action_no_answer_needed(self, action, message):
        self.sudo().write({"responso_no_answer_needed": True, "responso_no_answer_message_id": message.id})

    def _responso_action_post_note(self, action, message):
        company = self._responso_company()
        self.sudo().message_post(
            body=action.note_body, author_id=self.env.ref("responso_autoresponder.partner_autoresponder").id,
            email_from=company.email_formatted or None, message_type="comment", subtype_xmlid="mail.mt_note")

    # records without tags, status or agent (other mail.thread models) ignore those actions
    def _responso_action_add_tags(self, action, message):
        if "tag_ids" in self._fields:
            self.sudo().tag_ids = [fields.Command.link(tag.id) for tag in action.tag_ids]

    def _responso_action_remove_tags(self, action, message):
        if "tag_ids" in self._fields:
            self.sudo().tag_ids = [fields.Command.unlink(tag.id) for tag in action.tag_ids]

    def _responso_action_set_status(self, action, message):
        if "status_id" in self._fields:
            self.sudo().status_id = action.status_id

    def _responso_action_assign(self, action, message):
        if "user_id" not in self._fields:
            return
        user = action.user_id if action.assign_to == "agent" else self._responso_next_team_agent()
        if user:
            self.sudo().user_id = user

    def _responso_next_team_agent(self):
        """The account's next agent in turn (round robin over its team, by id), or no one."""
        account = self._responso_account().sudo()
        team = account.user_ids.filtered(lambda user: user.active and not user.share).sorted("id")
        if not team:
            return team
        last = account.responso_last_assigned_user_id
        following = team.filtered(lambda user: user.id > last.id) if last else team
        user = following[:1] or team[:1]
        account.responso_last_assigned_user_id = user
        return user


class ResponsoAccount(models.Model):
    _name = "responso.account"
    _inherit = ["responso.account"]

    responso_last_assigned_user_id = fields.Many2one(
        "res.users", string="Last Assigned Agent", copy=False, readonly=True,
        help="Round robin: the team's agent who got the last conversation assigned by a workflow.")


