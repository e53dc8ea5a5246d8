

from odoo import _, api, models
from odoo.exceptions import UserError


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    def _responso_is_working_time(self, moment, tz_name):
        """Whether the aware datetime `moment` is working time of this calendar (attendances minus time off,
        public holidays included), seen in `tz_name`: from the registry cache (resource.calendar's arithmetic)."""
        self.ensure_one()
        return self._responso_working_calendar(self.id).is_working(moment, tz_name)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_responso_workflow(self):
        """A working-hours condition needs its calendar: deleting one that a workflow uses is refused, with the
        workflows named (archive the calendar, or change the conditions first)."""
        conditions = self.env["responso.workflow.condition"].sudo().with_context(active_test=False).search(
            [("calendar_id", "in", self.ids)])
        if conditions:
            names = ", ".join(sorted(set(conditions.workflow_id.mapped("display_name"))))
            raise UserError(_("These working hours are used by the automated workflows %(workflows)s: change "
                              "their working-hours conditions before deleting them, or archive the working hours "
                              "instead.", workflows=names))
